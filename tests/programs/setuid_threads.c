/* setegid/setgroups/setresuid from one thread while 50 others are parked or
 * running: Linux credentials are per kernel thread, so glibc changes them
 * on every thread. Each thread then reads its own effective gid with a raw
 * syscall. (As root the gid really changes; otherwise the calls set the
 * current values, which still goes through the all-threads broadcast.) */
#define _GNU_SOURCE
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define N 50
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int phase, arrived;
static long want;
static int right;

static void *thread(void *a) {
  long i = (long)a;
  pthread_mutex_lock(&mu);
  arrived++;
  pthread_cond_broadcast(&cv);
  while (phase == 0) {
    if (i % 2) {
      pthread_cond_wait(&cv, &mu);
    } else {
      pthread_mutex_unlock(&mu);
      struct timespec ts = {0, 1000 * 1000};
      nanosleep(&ts, NULL);
      pthread_mutex_lock(&mu);
    }
  }
  if (syscall(SYS_getegid) == want) right++;
  pthread_mutex_unlock(&mu);
  return NULL;
}

int main(void) {
  pthread_t t[N];
  for (long i = 0; i < N; i++) pthread_create(&t[i], NULL, thread, (void *)i);
  pthread_mutex_lock(&mu);
  while (arrived < N) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  gid_t old = getegid();
  gid_t target = geteuid() == 0 ? 65534 : old;
  int r1 = setegid(target);
  gid_t groups[1] = {old};
  int r2 = geteuid() == 0 ? setgroups(1, groups) : 0;
  int r3 = setresuid(-1, -1, -1);
  pthread_mutex_lock(&mu);
  want = target;
  phase = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
  printf("setegid %d setgroups %d setresuid %d; threads seeing the new egid: %d of %d; main: %d\n", r1, r2, r3,
         right, N, (long)syscall(SYS_getegid) == (long)target);
  printf("setegid back: %d, seteuid(-1): %d\n", setegid(old), seteuid((uid_t)-1));
  return 0;
}
