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

int main(void) {
  pthread_t t;
  int sv[2];

  // read on a socket closed by another thread, then the number is reused:
  // the woken reader must not consume what arrives on the new file.
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  struct call c = {.fd = sv[0], .kind = 0};
  pthread_create(&t, NULL, blocked, &c);
  msleep(50);
  close(sv[0]);
  int p[2];
  pipe(p);  // likely reuses sv[0]'s number
  int reuse = p[0] == sv[0] ? p[0] : dup2(p[0], sv[0]);
  write(p[1], "new!", 4);
  pthread_join(t, NULL);
  expect("read woken by close() fails with EBADF", c.r == -1 && c.err == EBADF);
  char buf[8];
  expect("the reused fd still holds its data", read(reuse, buf, sizeof buf) == 4);
  close(p[0]);
  close(p[1]);
  if (reuse != p[0]) close(reuse);
  close(sv[1]);

  // accept on a listener closed by another thread.
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(l, (struct sockaddr*)&a, sizeof a);
  listen(l, 8);
  c = (struct call){.fd = l, .kind = 1};
  pthread_create(&t, NULL, blocked, &c);
  msleep(50);
  close(l);
  pthread_join(t, NULL);
  expect("accept woken by close() fails with EBADF", c.r == -1 && c.err == EBADF);

  // poll on a pipe closed by another thread: POLLNVAL.
  pipe(p);
  c = (struct call){.fd = p[0], .kind = 2};
  pthread_create(&t, NULL, blocked, &c);
  msleep(50);
  close(p[0]);
  pthread_join(t, NULL);
  expect("poll woken by close() reports POLLNVAL", c.r == 1 && c.revents == POLLNVAL);
  close(p[1]);

  // a blocked write on a full pipe, closed under it.
  pipe(p);
  c = (struct call){.fd = p[1], .kind = 3};
  pthread_create(&t, NULL, blocked, &c);
  msleep(50);
  close(p[1]);
  pthread_join(t, NULL);
  expect("write woken by close() returns what it wrote or EBADF", (c.r == -1 && c.err == EBADF) || c.r > 0);
  close(p[0]);

  // dup2 over an fd with a blocked reader behaves like close.
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  pipe(p);
  c = (struct call){.fd = sv[0], .kind = 0};
  pthread_create(&t, NULL, blocked, &c);
  msleep(50);
  dup2(p[0], sv[0]);
  write(p[1], "dup2", 4);
  pthread_join(t, NULL);
  expect("read woken by dup2() over its fd fails with EBADF", c.r == -1 && c.err == EBADF);
  expect("the new file behind the number keeps its data", read(sv[0], buf, sizeof buf) == 4);
  close(sv[0]);
  close(sv[1]);
  close(p[0]);
  close(p[1]);

  // epoll_wait on an epoll fd closed by another thread.
  int ep = epoll_create1(0);
  c = (struct call){.fd = ep, .kind = 4};
  pthread_create(&t, NULL, blocked, &c);
  msleep(50);
  close(ep);
  pthread_join(t, NULL);
  expect("epoll_wait woken by close() fails with EBADF", c.r == -1 && c.err == EBADF);

  // shutdown() still wakes a blocked reader exactly as native (EOF).
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  c = (struct call){.fd = sv[0], .kind = 0};
  pthread_create(&t, NULL, blocked, &c);
  msleep(50);
  shutdown(sv[0], SHUT_RD);
  pthread_join(t, NULL);
  expect("read woken by shutdown() returns 0", c.r == 0);
  close(sv[0]);
  close(sv[1]);
  return failures ? 1 : 0;
}
