// gmp: no-compare
// Run preloaded only (tests/checks/preload_only.sh): natively a thread
// blocked in read/accept/poll on an fd that another thread closes keeps
// waiting on the old file, so a native run of this program would hang.
// libgmp's documented deviation: the blocked call fails with EBADF (poll
// reports POLLNVAL), and the woken thread never touches the reused number.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void msleep(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

struct call {
  int fd;
  int kind;  // 0 read, 1 accept, 2 poll, 3 write, 4 epoll_wait
  long r;
  int err;
  short revents;
};

static void* blocked(void* arg) {
  struct call* c = arg;
  char buf[16];
  switch (c->kind) {
    case 0: c->r = read(c->fd, buf, sizeof buf); break;
    case 1: c->r = accept(c->fd, NULL, NULL); break;
    case 2: {
      struct pollfd p = {c->fd, POLLIN, 0};
      c->r = poll(&p, 1, -1);
      c->revents = p.revents;
      break;
    }
    case 3: {
      static char big[1 << 20];
      c->r = write(c->fd, big, sizeof big);
      break;
    }
    case 4: {
      struct epoll_event ev;
      c->r = epoll_wait(c->fd, &ev, 1, -1);
      break;
    }
  }
  c->err = c->r < 0 ? errno : 0;
  return NULL;
}

static int failures;
static void expect(const char* what, int ok) {
  printf("%s: %s\n", what, ok ? "ok" : "WRONG");
  if (!ok) failures++;
}

// The blocked thread gets 50 ms (more on each retry) to reach its call
// before the close. On a loaded machine it may come later: then it sees the
// fd closed, or the new file behind a reused number, or (if it entered the
// call while the close was in progress) waits in the kernel on the old file
// as natively. Those runs prove nothing either way; each scenario unblocks
// such a thread, says "late", and is run again.
static int settle_ms = 50;
static void start(pthread_t* t, struct call* c) {
  pthread_create(t, NULL, blocked, c);
  msleep(settle_ms);
}

enum { kDone, kLate };

// read on a socket closed by another thread, then the number is reused:
// the woken reader must not consume what arrives on the new file.
static int read_then_reuse(void) {
  pthread_t t;
  int sv[2], p[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  struct call c = {.fd = sv[0], .kind = 0};
  start(&t, &c);
  close(sv[0]);
  pipe(p);  // likely reuses sv[0]'s number
  int reuse = p[0] == sv[0] ? p[0] : dup2(p[0], sv[0]);
  write(p[1], "new!", 4);
  close(sv[1]);  // EOF for a reader that waits in the kernel on the old socket
  pthread_join(t, NULL);
  int late = c.r >= 0;
  if (!late) {
    expect("read woken by close() fails with EBADF", c.r == -1 && c.err == EBADF);
    char buf[8];
    expect("the reused fd still holds its data", read(reuse, buf, sizeof buf) == 4);
  }
  close(p[0]);
  close(p[1]);
  if (reuse != p[0]) close(reuse);
  return late ? kLate : kDone;
}

// accept on a listener closed by another thread.
static int accept_closed(void) {
  pthread_t t;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(l, (struct sockaddr*)&a, sizeof a);
  socklen_t alen = sizeof a;
  getsockname(l, (struct sockaddr*)&a, &alen);
  listen(l, 8);
  struct call c = {.fd = l, .kind = 1};
  start(&t, &c);
  close(l);
  // An accept waiting in the kernel on the old listener takes this one;
  // otherwise it is refused.
  int k = socket(AF_INET, SOCK_STREAM, 0);
  connect(k, (struct sockaddr*)&a, sizeof a);
  pthread_join(t, NULL);
  close(k);
  if (c.r >= 0) {
    close((int)c.r);
    return kLate;
  }
  expect("accept woken by close() fails with EBADF", c.r == -1 && c.err == EBADF);
  return kDone;
}

// poll on a pipe closed by another thread: POLLNVAL.
static int poll_closed(void) {
  pthread_t t;
  int p[2];
  pipe(p);
  struct call c = {.fd = p[0], .kind = 2};
  start(&t, &c);
  close(p[0]);
  pthread_join(t, NULL);
  expect("poll woken by close() reports POLLNVAL", c.r == 1 && c.revents == POLLNVAL);
  close(p[1]);
  return kDone;
}

// a blocked write on a full pipe, closed under it.
static int write_closed(void) {
  pthread_t t;
  int p[2];
  pipe(p);
  struct call c = {.fd = p[1], .kind = 3};
  start(&t, &c);
  close(p[1]);
  // A write waiting in the kernel on the old pipe finishes as we drain it.
  static char sink[1 << 16];
  while (read(p[0], sink, sizeof sink) > 0) {
  }
  pthread_join(t, NULL);
  expect("write woken by close() returns what it wrote or EBADF", (c.r == -1 && c.err == EBADF) || c.r > 0);
  close(p[0]);
  return kDone;
}

// dup2 over an fd with a blocked reader behaves like close.
static int read_then_dup2(void) {
  pthread_t t;
  int sv[2], p[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  pipe(p);
  struct call c = {.fd = sv[0], .kind = 0};
  start(&t, &c);
  dup2(p[0], sv[0]);
  write(p[1], "dup2", 4);
  close(sv[1]);  // EOF for a reader that waits in the kernel on the old socket
  pthread_join(t, NULL);
  int late = c.r >= 0;
  if (!late) {
    expect("read woken by dup2() over its fd fails with EBADF", c.r == -1 && c.err == EBADF);
    char buf[8];
    expect("the new file behind the number keeps its data", read(sv[0], buf, sizeof buf) == 4);
  }
  close(sv[0]);
  close(p[0]);
  close(p[1]);
  return late ? kLate : kDone;
}

// epoll_wait on an epoll fd closed by another thread.
static int epoll_closed(void) {
  pthread_t t;
  int ep = epoll_create1(0);
  struct call c = {.fd = ep, .kind = 4};
  start(&t, &c);
  close(ep);
  pthread_join(t, NULL);
  expect("epoll_wait woken by close() fails with EBADF", c.r == -1 && c.err == EBADF);
  return kDone;
}

// shutdown() still wakes a blocked reader exactly as native (EOF).
static int read_shutdown(void) {
  pthread_t t;
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  struct call c = {.fd = sv[0], .kind = 0};
  start(&t, &c);
  shutdown(sv[0], SHUT_RD);
  pthread_join(t, NULL);
  expect("read woken by shutdown() returns 0", c.r == 0);
  close(sv[0]);
  close(sv[1]);
  return kDone;
}

static void run(int (*scenario)(void)) {
  settle_ms = 50;
  for (int i = 0; i < 8; i++) {
    if (scenario() == kDone) return;
    settle_ms *= 2;
  }
  expect("the blocked thread reached its call in time, in one of 8 tries", 0);
}

int main(void) {
  run(read_then_reuse);
  run(accept_closed);
  run(poll_closed);
  run(write_closed);
  run(read_then_dup2);
  run(epoll_closed);
  run(read_shutdown);
  return failures ? 1 : 0;
}
