// poll, ppoll, select, pselect and epoll_wait with timeouts and with
// readiness that other threads create: exact revents / fd_set contents /
// epoll events, timeouts that expire (verdicts, not times), select's
// remaining-time report, many threads polling one fd (all wake), POLLNVAL.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
static void msleep(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}
static const char* waited(double el, int ms) { return el >= ms - 10 && el < ms + 2000 ? "ok" : "WRONG"; }

struct delayed {
  int fd;
  int ms;
  const char* msg;
};
static void* delayed_write(void* arg) {
  struct delayed* d = arg;
  msleep(d->ms);
  if (write(d->fd, d->msg, strlen(d->msg)) < 0) printf("FAIL: delayed write: %s\n", strerror(errno));
  return NULL;
}
static pthread_t later(int fd, int ms, const char* msg) {
  static struct delayed d[64];
  static int n;
  struct delayed* x = &d[n++ % 64];
  *x = (struct delayed){fd, ms, msg};
  pthread_t t;
  pthread_create(&t, NULL, delayed_write, x);
  return t;
}

static void* delayed_close(void* arg) {
  msleep(30);
  close((int)(long)arg);
  return NULL;
}

#define POLLERS 8
static int g_shared[2];
static int g_woke[POLLERS];
static void* poller(void* arg) {
  int i = (int)(long)arg;
  struct pollfd p = {g_shared[0], POLLIN, 0};
  int r = poll(&p, 1, -1);
  g_woke[i] = r == 1 && (p.revents & POLLIN);
  return NULL;
}

int main(void) {
  int a[2], b[2], c[2];
  pipe(a);
  pipe(b);
  pipe(c);
  char buf[64];

  // poll: timeout with nothing ready.
  struct pollfd p[3] = {{a[0], POLLIN, 0}, {b[0], POLLIN, 0}, {c[0], POLLIN, 0}};
  double t0 = now_ms();
  int r = poll(p, 3, 120);
  printf("poll 3 idle pipes, 120 ms: %d, waited %s\n", r, waited(now_ms() - t0, 120));

  // poll: another thread makes the second one readable.
  pthread_t t = later(b[1], 40, "x");
  r = poll(p, 3, -1);
  printf("poll, pipe 2 written by a thread: %d revents %x %x %x\n", r, p[0].revents, p[1].revents, p[2].revents);
  pthread_join(t, NULL);
  read(b[0], buf, sizeof buf);

  // poll: POLLOUT ready at once, negative fds ignored, closed fd -> POLLNVAL.
  struct pollfd q[3] = {{a[1], POLLOUT, 0}, {-1, POLLIN, 0}, {c[0], POLLIN, 0}};
  r = poll(q, 3, 1000);
  printf("poll POLLOUT + fd -1: %d revents %x %x\n", r, q[0].revents, q[1].revents);
  int dead = dup(c[0]);
  close(dead);
  struct pollfd z = {dead, POLLIN, 0};
  r = poll(&z, 1, 1000);
  printf("poll closed fd: %d revents %s\n", r, z.revents == POLLNVAL ? "POLLNVAL" : "WRONG");

  // poll(NULL, 0, ms) is a sleep.
  t0 = now_ms();
  r = poll(NULL, 0, 60);
  printf("poll(NULL, 0, 60): %d, waited %s\n", r, waited(now_ms() - t0, 60));

  // POLLHUP when the writer goes away under a blocked poller.
  int h[2];
  pipe(h);
  struct pollfd hp = {h[0], POLLIN, 0};
  pthread_create(&t, NULL, delayed_close, (void*)(long)h[1]);
  r = poll(&hp, 1, 5000);
  pthread_join(t, NULL);
  printf("poll, writer closed: %d revents %s\n", r, (hp.revents & POLLHUP) ? "POLLHUP" : "WRONG");
  close(h[0]);

  // ppoll with a timespec.
  struct timespec ts = {0, 70 * 1000 * 1000};
  t0 = now_ms();
  r = ppoll(p, 3, &ts, NULL);
  printf("ppoll idle, 70 ms: %d, waited %s\n", r, waited(now_ms() - t0, 70));

  // Eight threads poll one pipe; one write wakes them all (level-triggered).
  pipe(g_shared);
  pthread_t ts8[POLLERS];
  for (long i = 0; i < POLLERS; i++) pthread_create(&ts8[i], NULL, poller, (void*)i);
  msleep(50);
  write(g_shared[1], "!", 1);
  int woke = 0;
  for (int i = 0; i < POLLERS; i++) {
    pthread_join(ts8[i], NULL);
    woke += g_woke[i];
  }
  printf("one write, %d pollers of one pipe woke: %d\n", POLLERS, woke);

  // select: timeout clears the sets and leaves no time.
  fd_set rs;
  FD_ZERO(&rs);
  FD_SET(a[0], &rs);
  FD_SET(c[0], &rs);
  struct timeval tv = {0, 90000};
  t0 = now_ms();
  r = select(c[0] + 1, &rs, NULL, NULL, &tv);
  printf("select idle, 90 ms: %d, waited %s, sets cleared %s, time left %ld.%06ld\n", r, waited(now_ms() - t0, 90),
         !FD_ISSET(a[0], &rs) && !FD_ISSET(c[0], &rs) ? "yes" : "no", (long)tv.tv_sec, (long)tv.tv_usec);

  // select: readiness from another thread; time left is reported.
  FD_ZERO(&rs);
  FD_SET(a[0], &rs);
  FD_SET(c[0], &rs);
  fd_set ws;
  FD_ZERO(&ws);
  tv = (struct timeval){5, 0};
  t = later(c[1], 40, "y");
  r = select(c[0] + 1, &rs, &ws, NULL, &tv);
  pthread_join(t, NULL);
  printf("select, pipe 3 written: %d, a:%d c:%d, time left below 5 s and above 2 s: %s\n", r, FD_ISSET(a[0], &rs),
         FD_ISSET(c[0], &rs), tv.tv_sec < 5 && tv.tv_sec >= 2 ? "yes" : "no");
  read(c[0], buf, sizeof buf);

  // select for writing: ready at once.
  FD_ZERO(&ws);
  FD_SET(a[1], &ws);
  r = select(a[1] + 1, NULL, &ws, NULL, NULL);
  printf("select writable pipe: %d, set %d\n", r, FD_ISSET(a[1], &ws));

  // pselect timeout.
  FD_ZERO(&rs);
  FD_SET(a[0], &rs);
  ts = (struct timespec){0, 60 * 1000 * 1000};
  t0 = now_ms();
  r = pselect(a[0] + 1, &rs, NULL, NULL, &ts, NULL);
  printf("pselect idle, 60 ms: %d, waited %s\n", r, waited(now_ms() - t0, 60));

  // epoll_wait on the program's own epoll set.
  int ep = epoll_create1(0);
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234};
  epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev);
  struct epoll_event got[4];
  t0 = now_ms();
  r = epoll_wait(ep, got, 4, 80);
  printf("epoll_wait idle, 80 ms: %d, waited %s\n", r, waited(now_ms() - t0, 80));
  t = later(sv[1], 40, "ep");
  r = epoll_wait(ep, got, 4, -1);
  pthread_join(t, NULL);
  printf("epoll_wait, written by a thread: %d events %x data %llx\n", r, r > 0 ? got[0].events : 0,
         r > 0 ? (unsigned long long)got[0].data.u64 : 0ULL);
  // Level-triggered: still ready until read.
  r = epoll_wait(ep, got, 4, 1000);
  printf("epoll_wait again before reading: %d\n", r);
  read(sv[0], buf, sizeof buf);
  // Edge-triggered registration in the program's set.
  ev.events = EPOLLIN | EPOLLET;
  epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev);
  t = later(sv[1], 30, "et");
  r = epoll_wait(ep, got, 4, 5000);
  pthread_join(t, NULL);
  printf("epoll_wait EPOLLET, written by a thread: %d\n", r);
  r = epoll_wait(ep, got, 4, 50);
  printf("epoll_wait EPOLLET again (no new edge): %d\n", r);
  sigset_t none;
  sigemptyset(&none);
  r = epoll_pwait(ep, got, 4, 40, &none);
  printf("epoll_pwait idle, 40 ms: %d\n", r);
  close(ep);
  close(sv[0]);
  close(sv[1]);
  printf("done\n");
  return 0;
}
