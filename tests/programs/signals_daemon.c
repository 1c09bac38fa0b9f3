/* A daemon's shutdown pattern: main blocks SIGTERM and SIGINT before it
 * starts any thread (so every thread inherits the mask), 200 threads park in
 * pipe reads, sleeps and a condition variable, and one thread sigwaits for
 * the shutdown signal. A process-directed SIGTERM (kill) must reach the
 * sigwaiting thread, not kill the process, and everyone shuts down cleanly. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NREAD 100
#define NSLEEP 50
#define NCOND 50

static int pipes[NREAD][2];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile int stopping;
static int started;

static void ready_one(void) {
  pthread_mutex_lock(&mu);
  started++;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

static void *reader(void *arg) {
  int i = (int)(long)arg;
  char c;
  ready_one();
  ssize_t n = read(pipes[i][0], &c, 1);
  return (void *)(long)(n == 1 && c == 'q');
}

static void *sleeper(void *arg) {
  (void)arg;
  ready_one();
  while (!stopping) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return (void *)1L;
}

static void *waiter(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  started++;
  pthread_cond_broadcast(&cv);
  while (!stopping) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return (void *)1L;
}

static void *killer(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  while (started < NREAD + NSLEEP + NCOND) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  kill(getpid(), SIGTERM);
  return NULL;
}

int main(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);

  pthread_t t[NREAD + NSLEEP + NCOND], k;
  int n = 0;
  for (int i = 0; i < NREAD; i++) {
    if (pipe(pipes[i]) != 0) return 1;
    pthread_create(&t[n++], NULL, reader, (void *)(long)i);
  }
  for (int i = 0; i < NSLEEP; i++) pthread_create(&t[n++], NULL, sleeper, NULL);
  for (int i = 0; i < NCOND; i++) pthread_create(&t[n++], NULL, waiter, NULL);
  pthread_create(&k, NULL, killer, NULL);

  int sig = 0;
  int r = sigwait(&set, &sig);
  printf("sigwait: %d %s\n", r, sig == SIGTERM ? "SIGTERM" : "other");
  pthread_join(k, NULL);

  pthread_mutex_lock(&mu);
  stopping = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < NREAD; i++)
    if (write(pipes[i][1], "q", 1) != 1) return 1;
  long ok = 0;
  for (int i = 0; i < n; i++) {
    void *v;
    pthread_join(t[i], &v);
    ok += (long)v;
  }
  printf("threads shut down cleanly: %ld of %d\n", ok, n);
  sigset_t pend;
  sigpending(&pend);
  printf("still pending: SIGTERM %d SIGINT %d\n", sigismember(&pend, SIGTERM), sigismember(&pend, SIGINT));
  return 0;
}
