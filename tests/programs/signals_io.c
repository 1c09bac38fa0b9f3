/* Signals and calls parked on file descriptors: alarm() interrupts a
 * blocking pipe read with EINTR; under SA_RESTART the read restarts and gets
 * the byte the handler wrote; a socket with SO_RCVTIMEO never restarts;
 * poll() is never restarted; pthread_kill reaches a thread parked in recv on
 * that thread; pselect with a mask that unblocks the signal returns EINTR;
 * pthread_cancel ends a thread blocked in read, running its cleanup. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int pfd[2];
static volatile sig_atomic_t hits, on_target;
static pthread_t target;

static void on_alarm(int s) {
  (void)s;
  hits++;
}
static void on_alarm_write(int s) {
  (void)s;
  hits++;
  char c = 'r';
  if (write(pfd[1], &c, 1) != 1) hits = -100;
}
static void on_usr1(int s) {
  (void)s;
  hits++;
  if (pthread_equal(pthread_self(), target)) on_target++;
}

static void set(int sig, void (*h)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = h;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

static void arm_ms(int ms) {
  struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
  setitimer(ITIMER_REAL, &it, NULL);
}

static int sv[2];
static volatile int recv_done;
static void *recv_thread(void *a) {
  (void)a;
  char c;
  ssize_t r = recv(sv[0], &c, 1, 0);
  int e = errno;
  printf("recv in target: %zd %s\n", r, r < 0 && e == EINTR ? "EINTR" : "?");
  recv_done = 1;
  return NULL;
}

static void *pselect_thread(void *a) {
  (void)a;
  sigset_t usr1, empty;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);
  sigemptyset(&empty);
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(sv[0], &rd);
  int r = pselect(sv[0] + 1, &rd, NULL, NULL, NULL, &empty);
  int e = errno;
  sigset_t now;
  pthread_sigmask(SIG_BLOCK, NULL, &now);
  printf("pselect with an unblocking mask: %d %s, SIGUSR1 blocked again: %d\n", r, r < 0 && e == EINTR ? "EINTR" : "?",
         sigismember(&now, SIGUSR1));
  recv_done = 1;
  return NULL;
}

static int cleaned;
static void cleanup(void *a) { (void)a; cleaned = 1; }
static void *cancel_thread(void *a) {
  (void)a;
  char c;
  pthread_cleanup_push(cleanup, NULL);
  for (;;) read(pfd[0], &c, 1);
  pthread_cleanup_pop(0);
  return NULL;
}

int main(void) {
  if (pipe(pfd) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
  char c;

  set(SIGALRM, on_alarm, 0);
  arm_ms(50);
  ssize_t r = read(pfd[0], &c, 1);
  printf("read, no SA_RESTART: %zd %s, handler ran %d\n", r, r < 0 && errno == EINTR ? "EINTR" : "?", (int)hits);

  set(SIGALRM, on_alarm_write, SA_RESTART);
  arm_ms(50);
  r = read(pfd[0], &c, 1);
  printf("read, SA_RESTART: %zd '%c', handler ran %d\n", r, r == 1 ? c : '?', (int)hits);

  struct timeval tv = {5, 0};
  setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  set(SIGALRM, on_alarm, SA_RESTART);
  arm_ms(50);
  r = recv(sv[0], &c, 1, 0);
  printf("recv with SO_RCVTIMEO, SA_RESTART: %zd %s\n", r, r < 0 && errno == EINTR ? "EINTR" : "?");
  tv.tv_sec = 0;
  setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  arm_ms(50);
  struct pollfd p = {pfd[0], POLLIN, 0};
  int pr = poll(&p, 1, 5000);
  printf("poll, SA_RESTART: %d %s\n", pr, pr < 0 && errno == EINTR ? "EINTR" : "?");

  set(SIGUSR1, on_usr1, 0);
  pthread_create(&target, NULL, recv_thread, NULL);
  while (!recv_done) {
    pthread_kill(target, SIGUSR1);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  pthread_join(target, NULL);
  printf("handler ran on the target: %s\n", on_target > 0 ? "yes" : "no");

  recv_done = 0;
  pthread_create(&target, NULL, pselect_thread, NULL);
  while (!recv_done) {
    pthread_kill(target, SIGUSR1);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  pthread_join(target, NULL);

  pthread_t ct;
  pthread_create(&ct, NULL, cancel_thread, NULL);
  struct timespec ts = {0, 50 * 1000 * 1000};
  nanosleep(&ts, NULL);
  pthread_cancel(ct);
  void *ret;
  pthread_join(ct, &ret);
  printf("cancel in read: %s, cleanup ran %d\n", ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "?", cleaned);
  return 0;
}
