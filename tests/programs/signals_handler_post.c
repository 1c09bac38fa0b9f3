/* A SIGALRM handler (from an interval timer) writes a byte to a pipe and
 * posts a semaphore while worker threads run: a reader thread blocked in
 * read() gets every byte, a waiter blocked in sem_wait (restarted by its loop
 * on EINTR) sees every post. Then alarm() interrupts pause() and a sleep(),
 * which returns the seconds left. Only async-signal-safe calls in handlers. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define TICKS 20
static int pfd[2];
static sem_t sem;
static volatile sig_atomic_t ticks, stop_work;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long shared_counter;

static void on_alarm(int s) {
  (void)s;
  int saved = errno;
  if (ticks < TICKS) {
    ticks++;
    char c = 'x';
    if (write(pfd[1], &c, 1) != 1) ticks = -1000;
    sem_post(&sem);
  }
  errno = saved;
}

static void *worker(void *a) {
  (void)a;
  while (!stop_work) {
    pthread_mutex_lock(&mu);
    shared_counter++;
    pthread_mutex_unlock(&mu);
    if ((shared_counter & 1023) == 0) sched_yield();
  }
  return NULL;
}

static void *reader(void *a) {
  (void)a;
  long got = 0;
  char buf[8];
  while (got < TICKS) {
    ssize_t n = read(pfd[0], buf, sizeof buf);
    if (n > 0) got += n;
    else if (n < 0 && errno != EINTR) break;
  }
  return (void *)got;
}

static void *sem_waiter(void *a) {
  (void)a;
  long got = 0, eintr = 0;
  while (got < TICKS) {
    if (sem_wait(&sem) == 0) got++;
    else if (errno == EINTR) eintr++;
    else break;
  }
  (void)eintr;
  return (void *)got;
}

static volatile sig_atomic_t alarms;
static void on_alarm2(int s) {
  (void)s;
  alarms++;
}

int main(void) {
  if (pipe(pfd) != 0) return 1;
  sem_init(&sem, 0, 0);
  /* The handler may run on any thread: block SIGALRM nowhere. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  pthread_t w[4], r, s;
  for (int i = 0; i < 4; i++) pthread_create(&w[i], NULL, worker, NULL);
  pthread_create(&r, NULL, reader, NULL);
  pthread_create(&s, NULL, sem_waiter, NULL);
  struct itimerval it = {{0, 5000}, {0, 5000}};
  setitimer(ITIMER_REAL, &it, NULL);
  void *got_r, *got_s;
  pthread_join(r, &got_r);
  pthread_join(s, &got_s);
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  stop_work = 1;
  for (int i = 0; i < 4; i++) pthread_join(w[i], NULL);
  printf("handler ticks %d, reader got %ld bytes, sem waiter got %ld posts\n", (int)ticks, (long)got_r, (long)got_s);

  /* alarm + pause: the handler runs, pause returns -1 EINTR. */
  sa.sa_handler = on_alarm2;
  sa.sa_flags = 0;
  sigaction(SIGALRM, &sa, NULL);
  alarm(1);
  int p = pause();
  printf("pause: %d %s, alarms %d\n", p, errno == EINTR ? "EINTR" : strerror(errno), (int)alarms);
  /* alarm + sleep: sleep returns what was left (about 4 of 5 seconds). */
  alarm(1);
  unsigned left = sleep(5);
  printf("sleep(5) interrupted after ~1 s: left in 3..4: %d, alarms %d\n", left >= 3 && left <= 4, (int)alarms);
  return 0;
}
