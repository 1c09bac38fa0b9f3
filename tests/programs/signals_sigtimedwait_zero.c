/* sigtimedwait with a zero timeout polls: a signal already sent to the
 * process (kill(getpid(), ...) just before, blocked in every thread) is
 * found at once — the call returns its number, not EAGAIN. Several rounds,
 * with threads sleeping, computing and waiting meanwhile, from main and
 * from a created thread, for a standard and a real-time signal, then with
 * sigqueue's value. Afterwards nothing is left: the same zero-timeout call
 * fails with EAGAIN, and sigpending is empty. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile int stop;

static void *sleeper(void *a) {
  (void)a;
  while (!stop) usleep(1000);
  return NULL;
}
static void *spinner(void *a) {
  (void)a;
  volatile unsigned long x = 0;
  while (!stop) x++;
  return NULL;
}
static void *waiter(void *a) {
  (void)a;
  pthread_mutex_lock(&mu);
  while (!stop) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return NULL;
}

static int rounds(const char *who) {
  const struct timespec zero = {0, 0};
  int bad = 0;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGRTMIN + 2);
  for (int i = 0; i < 50; i++) {
    int s = i % 2 ? SIGRTMIN + 2 : SIGUSR1;
    siginfo_t info;
    if (i % 5 == 4) {
      union sigval v = {.sival_int = i};
      sigqueue(getpid(), s, v);
    } else {
      kill(getpid(), s);
    }
    int r = sigtimedwait(&set, &info, &zero);
    if (r != s || info.si_pid != getpid() || (i % 5 == 4 && info.si_value.sival_int != i)) {
      if (bad++ < 3) printf("  %s round %d: sigtimedwait returned %d (%s), wanted %d\n", who, i, r, r < 0 ? strerror(errno) : "-", s);
      if (r < 0) sigwaitinfo(&set, &info);  // take it anyway
    }
  }
  siginfo_t info;
  int r = sigtimedwait(&set, &info, &zero);
  int e = errno;
  sigset_t p;
  sigpending(&p);
  printf("%s: 50 rounds, %d wrong; then %d %s, pending %d %d\n", who, bad, r, r < 0 ? strerror(e) : "?",
         sigismember(&p, SIGUSR1), sigismember(&p, SIGRTMIN + 2));
  return bad;
}

static void *in_thread(void *a) {
  (void)a;
  rounds("thread");
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGRTMIN + 2);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  pthread_t th[4];
  pthread_create(&th[0], NULL, sleeper, NULL);
  pthread_create(&th[1], NULL, spinner, NULL);
  pthread_create(&th[2], NULL, waiter, NULL);
  pthread_create(&th[3], NULL, sleeper, NULL);
  rounds("main");
  pthread_t t;
  pthread_create(&t, NULL, in_thread, NULL);
  pthread_join(t, NULL);
  pthread_mutex_lock(&mu);
  stop = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  return 0;
}
