/* sem_wait and sem_timedwait interrupted by a signal handler, as glibc 2.36
 * on Linux does it: sem_wait is restarted after an SA_RESTART handler and
 * fails with EINTR after one without it; sem_timedwait fails with EINTR
 * after any handler (the kernel's futex wait with a timeout is not
 * restarted once a handler ran).
 *
 * main signals the waiting thread every 5 ms until the thread returns
 * (EINTR cases) or until the handler ran 5 times (the restarted case, which
 * then posts): no outcome depends on timing. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static sem_t sem;
static volatile sig_atomic_t hits;
static volatile int done;
static int timed;

static void on_usr1(int sig) {
  (void)sig;
  hits++;
}

static void* waiter(void* arg) {
  (void)arg;
  int r;
  if (timed) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 60;
    r = sem_timedwait(&sem, &ts);
  } else {
    r = sem_wait(&sem);
  }
  long e = r == 0 ? 0 : errno;
  __atomic_store_n(&done, 1, __ATOMIC_SEQ_CST);
  return (void*)e;
}

static void run(const char* name, int flags, int is_timed) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = flags;
  sigaction(SIGUSR1, &sa, NULL);
  sem_init(&sem, 0, 0);
  hits = 0;
  done = 0;
  timed = is_timed;
  pthread_t t;
  pthread_create(&t, NULL, waiter, NULL);
  struct timespec ms5 = {0, 5000000};
  int posted = 0;
  while (!__atomic_load_n(&done, __ATOMIC_SEQ_CST)) {
    if (!posted && hits >= 5) {
      sem_post(&sem);
      posted = 1;
    }
    if (!posted) pthread_kill(t, SIGUSR1);
    nanosleep(&ms5, NULL);
  }
  void* v;
  pthread_join(t, &v);
  long e = (long)v;
  printf("%s: %s, handler ran: %s\n", name, e == 0 ? "0" : e == EINTR ? "EINTR" : strerror((int)e),
         hits > 0 ? "yes" : "no");
  sem_destroy(&sem);
}

int main(void) {
  run("sem_wait, SA_RESTART", SA_RESTART, 0);
  run("sem_wait, no SA_RESTART", 0, 0);
  run("sem_timedwait, SA_RESTART", SA_RESTART, 1);
  run("sem_timedwait, no SA_RESTART", 0, 1);
  return 0;
}
