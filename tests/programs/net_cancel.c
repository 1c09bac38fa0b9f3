/* pthread_cancel reaches threads blocked in the netpoller's calls, which are
 * cancellation points in glibc: read on a pipe, accept on a listener, recv
 * and recvmsg and recvmmsg on sockets, write into a full pipe, poll, select,
 * epoll_wait, and connect while the handshake waits. Each thread's cleanup
 * handler runs and pthread_join returns PTHREAD_CANCELED. A thread that has
 * cancellation disabled is not woken: its read completes when data comes,
 * and it is cancelled at the next cancellation point once it enables it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void msleep(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

enum { kRead, kAccept, kRecv, kRecvmsg, kRecvmmsg, kWrite, kPoll, kSelect, kEpoll, kConnect, kCount };
static const char *names[kCount] = {"read on a pipe", "accept", "recv", "recvmsg", "recvmmsg",
                                    "write into a full pipe", "poll", "select", "epoll_wait",
                                    "connect to a full backlog"};

static int fds[kCount];
static struct sockaddr_in full_addr;
static int cleaned[kCount];
static int returned[kCount];

static void cleanup(void *a) { cleaned[(long)a] = 1; }

static void *blocked(void *arg) {
  long k = (long)arg;
  int fd = fds[k];
  char buf[64];
  pthread_cleanup_push(cleanup, (void *)k);
  switch (k) {
    case kRead: read(fd, buf, sizeof buf); break;
    case kAccept: accept(fd, NULL, NULL); break;
    case kRecv: recv(fd, buf, sizeof buf, 0); break;
    case kRecvmsg: {
      struct iovec v = {buf, sizeof buf};
      struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
      recvmsg(fd, &m, 0);
      break;
    }
    case kRecvmmsg: {
      struct iovec v = {buf, sizeof buf};
      struct mmsghdr m = {.msg_hdr = {.msg_iov = &v, .msg_iovlen = 1}};
      recvmmsg(fd, &m, 1, 0, NULL);
      break;
    }
    case kWrite: {
      static char big[1 << 20];
      write(fd, big, sizeof big);
      break;
    }
    case kPoll: {
      struct pollfd p = {fd, POLLIN, 0};
      poll(&p, 1, -1);
      break;
    }
    case kSelect: {
      fd_set r;
      FD_ZERO(&r);
      FD_SET(fd, &r);
      select(fd + 1, &r, NULL, NULL, NULL);
      break;
    }
    case kEpoll: {
      struct epoll_event ev;
      epoll_wait(fd, &ev, 1, -1);
      break;
    }
    case kConnect: connect(fd, (struct sockaddr *)&full_addr, sizeof full_addr); break;
  }
  returned[k] = 1;  // only a cancel that failed gets here
  pthread_cleanup_pop(0);
  return NULL;
}

static int listener(int backlog, struct sockaddr_in *a) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(l, (struct sockaddr *)a, sizeof *a);
  socklen_t len = sizeof *a;
  getsockname(l, (struct sockaddr *)a, &len);
  listen(l, backlog);
  return l;
}

static int disabled_read_fd;
static volatile int disabled_got = -1;
static void *disabled_reader(void *a) {
  (void)a;
  int old;
  char c;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
  pthread_cleanup_push(cleanup, (void *)(long)0);
  disabled_got = (int)read(disabled_read_fd, &c, 1);
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
  pthread_testcancel();
  pthread_cleanup_pop(0);
  return NULL;
}

int main(void) {
  int p[2], sv[2], dg[2], sp[2], wp[2], pp[2], qq[2];
  struct sockaddr_in a;
  pipe(p);
  fds[kRead] = p[0];
  int l = listener(8, &a);
  fds[kAccept] = l;
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  fds[kRecv] = sv[0];
  socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
  fds[kRecvmsg] = sp[0];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, dg);
  fds[kRecvmmsg] = dg[0];
  pipe(wp);
  fds[kWrite] = wp[1];
  pipe(pp);
  fds[kPoll] = pp[0];
  pipe(qq);
  fds[kSelect] = qq[0];
  fds[kEpoll] = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = qq[0]};
  epoll_ctl(fds[kEpoll], EPOLL_CTL_ADD, qq[0], &ev);
  // A listener with backlog 0 takes one connection; the next one waits in
  // SYN_SENT (its SYNs are dropped while the accept queue is full).
  int full = listener(0, &full_addr);
  (void)full;
  int first = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(first, (struct sockaddr *)&full_addr, sizeof full_addr) != 0) return 2;
  fds[kConnect] = socket(AF_INET, SOCK_STREAM, 0);

  pthread_t t[kCount];
  for (long k = 0; k < kCount; k++) pthread_create(&t[k], NULL, blocked, (void *)k);
  msleep(100);  // most are blocked by now; the rest are cancelled on entry
  for (int k = 0; k < kCount; k++) pthread_cancel(t[k]);
  for (int k = 0; k < kCount; k++) {
    void *ret;
    pthread_join(t[k], &ret);
    printf("%s: %s, cleanup %s%s\n", names[k], ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "not cancelled",
           cleaned[k] ? "ran" : "did not run", returned[k] ? ", call returned" : "");
  }

  // Cancellation disabled: the read is not interrupted.
  int dp[2];
  pipe(dp);
  disabled_read_fd = dp[0];
  cleaned[0] = 0;
  pthread_t d;
  pthread_create(&d, NULL, disabled_reader, NULL);
  msleep(50);
  pthread_cancel(d);
  msleep(50);
  write(dp[1], "x", 1);
  void *ret;
  pthread_join(d, &ret);
  printf("read with cancellation disabled: returned %d, then %s, cleanup %s\n", disabled_got,
         ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "not cancelled", cleaned[0] ? "ran" : "did not run");

  // The fds still work after the cancelled calls.
  write(p[1], "ok", 2);
  char buf[4] = {0};
  int n = (int)read(p[0], buf, sizeof buf - 1);
  printf("pipe after the cancelled read: %d %s\n", n, buf);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  int cr = connect(c, (struct sockaddr *)&a, sizeof a);
  int acc = accept(l, NULL, NULL);
  printf("listener after the cancelled accept: connect %d, accept %s\n", cr, acc >= 0 ? "ok" : strerror(errno));
  return 0;
}
