/* fork() from a thread while other threads run: the child has only the
 * forking thread, can start threads of its own, use mutexes, condition
 * variables, sleeps and pipes, and exits; the parent's threads are unharmed.
 * pthread_atfork handlers run in POSIX order: prepare newest first, parent
 * and child oldest first. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char order[64];
static int norder;
static void rec(char c) { if (norder < 63) order[norder++] = c; }
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
/* The classic use: hold the program's lock across the fork, so the child
 * never inherits it locked by a thread it does not have. */
static void prep1(void) { pthread_mutex_lock(&mu); rec('A'); }
static void prep2(void) { rec('B'); }
static void par1(void) { rec('p'); pthread_mutex_unlock(&mu); }
static void par2(void) { rec('q'); }
static void chi1(void) { rec('c'); pthread_mutex_unlock(&mu); }
static void chi2(void) { rec('d'); }

static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile int stop;
static long pings;

static void *pinger(void *a) {
  (void)a;
  pthread_mutex_lock(&mu);
  while (!stop) {
    pings++;
    pthread_cond_broadcast(&cv);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 1000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    pthread_cond_timedwait(&cv, &mu, &ts);
  }
  pthread_mutex_unlock(&mu);
  return NULL;
}

static void *child_worker(void *a) {
  long i = (long)a, sum = 0;
  for (long k = 1; k <= 1000 * (i + 1); k++) sum += k;
  struct timespec ts = {0, 2 * 1000 * 1000};
  nanosleep(&ts, NULL);
  pthread_mutex_lock(&mu);
  pings++;
  pthread_mutex_unlock(&mu);
  return (void *)sum;
}

static void *forker(void *a) {
  (void)a;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    /* The child: only this thread. */
    order[norder] = 0;
    printf("child: atfork order %s\n", order);
    pings = 0;
    pthread_t t[4];
    for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, child_worker, (void *)i);
    long total = 0;
    for (int i = 0; i < 4; i++) {
      void *v;
      pthread_join(t[i], &v);
      total += (long)v;
    }
    int p[2];
    char buf[6] = {0};
    if (pipe(p) != 0 || write(p[1], "hello", 5) != 5 || read(p[0], buf, 5) != 5) return (void *)1L;
    printf("child: 4 threads summed %ld, counted %ld, pipe said %s\n", total, pings, buf);
    fflush(stdout);
    _exit(7);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  order[norder] = 0;
  printf("parent: child exited %d with %d, atfork order %s\n", WIFEXITED(st), WEXITSTATUS(st), order);
  return NULL;
}

int main(void) {
  pthread_atfork(prep1, par1, chi1);
  pthread_atfork(prep2, par2, chi2);
  pthread_t p[3], f;
  for (int i = 0; i < 3; i++) pthread_create(&p[i], NULL, pinger, NULL);
  struct timespec ts = {0, 20 * 1000 * 1000};
  nanosleep(&ts, NULL);
  pthread_create(&f, NULL, forker, NULL);
  pthread_join(f, NULL);
  long before;
  pthread_mutex_lock(&mu);
  before = pings;
  pthread_mutex_unlock(&mu);
  nanosleep(&ts, NULL);
  pthread_mutex_lock(&mu);
  stop = 1;
  int moved = pings > before;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < 3; i++) pthread_join(p[i], NULL);
  printf("parent threads still running after the fork: %s\n", moved ? "yes" : "no");
  return 0;
}
