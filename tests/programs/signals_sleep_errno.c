/* sleep() cut short by a signal handler returns the seconds not slept and
 * leaves errno EINTR (glibc's sleep is nanosleep, whose failure sets it);
 * a sleep that runs to its end leaves errno as it was. In main and in a
 * created thread; the signal comes from another thread (pthread_kill) and
 * from alarm(). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int hits;
static void handler(int s) {
  (void)s;
  hits++;
  errno = 0;  // a handler that changes errno: the kernel's EINTR still wins
}

struct target {
  pthread_t t;
};
static void *kicker(void *a) {
  struct target *tg = a;
  usleep(100000);
  pthread_kill(tg->t, SIGUSR1);
  return NULL;
}

static void run(const char *who) {
  struct target tg = {pthread_self()};
  pthread_t k;
  pthread_create(&k, NULL, kicker, &tg);
  hits = 0;
  errno = 0;
  unsigned left = sleep(5);
  int e = errno;
  printf("%s: sleep(5) after pthread_kill: left %s, errno %s, handler ran %d\n", who,
         left >= 1 && left <= 4 ? "1..4" : "?", e == EINTR ? "EINTR" : strerror(e), hits);
  pthread_join(k, NULL);

  hits = 0;
  errno = 0;
  alarm(1);
  left = sleep(10);
  e = errno;
  printf("%s: sleep(10) after alarm(1): left %s, errno %s, handler ran %d\n", who,
         left >= 1 && left <= 9 ? "1..9" : "?", e == EINTR ? "EINTR" : strerror(e), hits);

  errno = ENOENT;
  left = sleep(1);
  e = errno;
  printf("%s: sleep(1) not interrupted: left %u, errno %s\n", who, left, e == ENOENT ? "unchanged" : strerror(e));
  errno = ENOENT;
  left = sleep(0);
  e = errno;
  printf("%s: sleep(0): left %u, errno %s\n", who, left, e == ENOENT ? "unchanged" : strerror(e));
}

static void *thread_body(void *a) {
  (void)a;
  sigset_t m;  // main blocks SIGALRM: this thread alone takes it
  sigemptyset(&m);
  sigaddset(&m, SIGALRM);
  pthread_sigmask(SIG_UNBLOCK, &m, NULL);
  run("thread");
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGALRM, &sa, NULL);
  run("main");
  // SIGALRM is process-directed: only the thread may take it now.
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGALRM);
  pthread_sigmask(SIG_BLOCK, &m, NULL);
  pthread_t t;
  pthread_create(&t, NULL, thread_body, NULL);
  pthread_join(t, NULL);
  return 0;
}
