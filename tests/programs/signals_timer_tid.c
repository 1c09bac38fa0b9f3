/* POSIX timers aimed at one thread (SIGEV_THREAD_ID with its gettid()):
 *  - a thread that blocks SIGUSR1 arms a timer for itself and takes its
 *    signal with sigwaitinfo: SI_TIMER, the timer's value, and the signal
 *    was pending for that thread only (sigpending in main does not show it);
 *  - main arms a periodic timer for a worker parked in a condition
 *    variable wait with a SIGUSR2 handler: the handler runs on that worker
 *    (pthread_self() inside it is the worker) three times;
 *  - timer_delete stops it; a timer for a thread id that is not one of the
 *    process's fails with EINVAL. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static pthread_t worker_t;
static volatile int on_worker, elsewhere;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int done, worker_tid_ready;
static pid_t worker_tid;

static void on_usr2(int s) {
  (void)s;
  if (pthread_equal(pthread_self(), worker_t))
    on_worker++;
  else
    elsewhere++;
}

static int arm(pid_t tid, int sig, int value, long first_ns, long every_ns, timer_t *t) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = sig;
  ev.sigev_value.sival_int = value;
  ev.sigev_notify_thread_id = tid;
  if (timer_create(CLOCK_MONOTONIC, &ev, t) != 0) return errno;
  struct itimerspec its = {{0, every_ns}, {0, first_ns}};
  return timer_settime(*t, 0, &its, NULL) == 0 ? 0 : errno;
}

static void *self_timer(void *arg) {
  (void)arg;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  timer_t t;
  int e = arm(gettid(), SIGUSR1, 4242, 20000000, 0, &t);
  siginfo_t si;
  int s = sigwaitinfo(&set, &si);
  printf("own timer: arm %s; sigwaitinfo %d, SI_TIMER %d, value %d\n", strerror(e), s, si.si_code == SI_TIMER,
         si.si_value.sival_int);
  timer_delete(t);
  return NULL;
}

static void *waiter(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  worker_tid = gettid();
  worker_tid_ready = 1;
  pthread_cond_broadcast(&cv);
  while (!done) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);  // only the timer's thread may take it
  pthread_t a;
  pthread_create(&a, NULL, self_timer, NULL);
  pthread_join(a, NULL);
  sigset_t p;
  sigpending(&p);
  printf("main sees SIGUSR1 pending: %d\n", sigismember(&p, SIGUSR1));

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr2;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &sa, NULL);
  pthread_create(&worker_t, NULL, waiter, NULL);
  pthread_mutex_lock(&mu);
  while (!worker_tid_ready) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  timer_t t;
  int e = arm(worker_tid, SIGUSR2, 0, 5000000, 5000000, &t);
  while (on_worker + elsewhere < 3) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  timer_delete(t);
  int seen = on_worker + elsewhere;
  pthread_mutex_lock(&mu);
  done = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  pthread_join(worker_t, NULL);
  printf("worker's timer: arm %s; handler ran on the worker %s, elsewhere %d\n", strerror(e),
         on_worker >= 3 && on_worker == seen ? "every time" : "not always", elsewhere);
  timer_t bad;
  printf("timer for a tid outside the process: %s\n", strerror(arm(0x3fffffff, SIGUSR2, 0, 1000000, 0, &bad)));
  return 0;
}
