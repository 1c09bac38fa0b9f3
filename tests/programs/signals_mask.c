#define _GNU_SOURCE
/* Per-thread signal masks: a new thread inherits its creator's mask; a
 * signal sent to a thread that blocks it stays pending (sigpending shows it)
 * until the thread unblocks it, and then its handler runs before
 * pthread_sigmask returns; sigsuspend waits with a temporary mask and
 * returns EINTR after the handler; sigwaitinfo takes a queued signal with
 * its value; sigtimedwait times out with EAGAIN; a signal every thread
 * blocks stays pending for the process until a thread waits for it. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_usr1;
static sem_t step, ready;

static void on_usr1(int s) {
  (void)s;
  got_usr1++;
}

static int blocked(int sig) {
  sigset_t m;
  pthread_sigmask(SIG_BLOCK, NULL, &m);
  return sigismember(&m, sig);
}

static void *inherit(void *a) {
  (void)a;
  printf("child inherits SIGUSR2 blocked: %d, SIGUSR1 blocked: %d\n", blocked(SIGUSR2), blocked(SIGUSR1));
  return NULL;
}

static void *pend_then_unblock(void *a) {
  (void)a;
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &one, NULL);
  sem_post(&ready);
  sem_wait(&step); /* main sends SIGUSR1 meanwhile */
  sigset_t pend;
  sigpending(&pend);
  printf("blocked SIGUSR1 pending: %d, handler ran: %d\n", sigismember(&pend, SIGUSR1), (int)got_usr1);
  pthread_sigmask(SIG_UNBLOCK, &one, NULL);
  printf("after unblocking: handler ran: %d\n", (int)got_usr1);
  sigpending(&pend);
  printf("pending after delivery: %d\n", sigismember(&pend, SIGUSR1));
  return NULL;
}

static volatile int suspended_done;
static void *suspender(void *a) {
  (void)a;
  sigset_t one, none;
  sigemptyset(&one);
  sigaddset(&one, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &one, NULL);
  sigemptyset(&none);
  sem_post(&ready);
  int before = got_usr1;
  int r = sigsuspend(&none);
  int e = errno;
  printf("sigsuspend: %d %s, handler ran: %d, SIGUSR1 blocked again: %d\n", r, e == EINTR ? "EINTR" : strerror(e),
         (int)got_usr1 - before, blocked(SIGUSR1));
  suspended_done = 1;
  return NULL;
}

static void *info_waiter(void *a) {
  (void)a;
  sigset_t rt;
  sigemptyset(&rt);
  sigaddset(&rt, SIGRTMIN + 1);
  pthread_sigmask(SIG_BLOCK, &rt, NULL);
  sem_post(&ready);
  siginfo_t si;
  int s = sigwaitinfo(&rt, &si);
  printf("sigwaitinfo: %s, code %s, value %d, from self %d\n", s == SIGRTMIN + 1 ? "SIGRTMIN+1" : "other",
         si.si_code == SI_QUEUE ? "SI_QUEUE" : "other", si.si_value.sival_int, si.si_pid == getpid());
  struct timespec ts = {0, 10 * 1000 * 1000};
  s = sigtimedwait(&rt, &si, &ts);
  printf("sigtimedwait with nothing pending: %d %s\n", s, errno == EAGAIN ? "EAGAIN" : strerror(errno));
  return NULL;
}

int main(void) {
  sem_init(&step, 0, 0);
  sem_init(&ready, 0, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  struct sigaction back;
  sigaction(SIGUSR1, NULL, &back);
  printf("sigaction reads back the handler: %d\n", back.sa_handler == on_usr1);

  sigset_t two;
  sigemptyset(&two);
  sigaddset(&two, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &two, NULL);
  pthread_t t;
  pthread_create(&t, NULL, inherit, NULL);
  pthread_join(t, NULL);

  pthread_create(&t, NULL, pend_then_unblock, NULL);
  sem_wait(&ready);
  pthread_kill(t, SIGUSR1);
  sem_post(&step);
  pthread_join(t, NULL);

  pthread_create(&t, NULL, suspender, NULL);
  sem_wait(&ready);
  while (!suspended_done) {
    pthread_kill(t, SIGUSR1);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  pthread_join(t, NULL);

  pthread_create(&t, NULL, info_waiter, NULL);
  sem_wait(&ready);
  union sigval v;
  v.sival_int = 42;
  pthread_sigqueue(t, SIGRTMIN + 1, v);
  pthread_join(t, NULL);

  /* Every thread (only main now) blocks SIGUSR2: a process-directed one
   * stays pending until main waits for it. */
  kill(getpid(), SIGUSR2);
  sigset_t pend;
  int tries = 0;
  do {
    sigpending(&pend);
    if (!sigismember(&pend, SIGUSR2)) {
      struct timespec ts = {0, 1000 * 1000};
      nanosleep(&ts, NULL);
    }
  } while (!sigismember(&pend, SIGUSR2) && ++tries < 5000);
  printf("process-directed SIGUSR2 pending: %d\n", sigismember(&pend, SIGUSR2));
  int sig = 0;
  sigwait(&two, &sig);
  printf("sigwait took it: %s\n", sig == SIGUSR2 ? "SIGUSR2" : "other");
  return 0;
}
