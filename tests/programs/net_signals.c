/* Signal handlers interrupting calls parked on sockets and pipes, as
 * signal(7) says: connect fails with EINTR and the connection goes on in the
 * background (a non-blocking connect then says EALREADY, a blocking one
 * waits for it and returns 0, the next one EISCONN), or waits on under
 * SA_RESTART; a write that moved part of its buffer returns that count;
 * accept, recv and send restart under SA_RESTART unless the socket has a
 * timeout for that direction; epoll_wait and select never restart. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void msleep(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static pthread_t target;
static volatile int on_target, done;

static void on_usr1(int s) {
  (void)s;
  if (pthread_equal(pthread_self(), target)) on_target++;
}

static void handler(int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
}

static const char *err_name(long r, int e) {
  if (r >= 0) return "ok";
  switch (e) {
    case EINTR: return "EINTR";
    case EALREADY: return "EALREADY";
    case EISCONN: return "EISCONN";
    case EINPROGRESS: return "EINPROGRESS";
    case EAGAIN: return "EAGAIN";
    default: return strerror(e);
  }
}

// The call under test runs on the target thread; main keeps signalling it.
struct job {
  void (*fn)(struct job *);
  int fd;
  long r;
  int err;
};

static void *run_job(void *a) {
  struct job *j = a;
  j->fn(j);
  j->err = j->r < 0 ? errno : 0;
  done = 1;
  return NULL;
}

static void start(struct job *j) {
  done = 0;
  on_target = 0;
  pthread_create(&target, NULL, run_job, j);
}

// interrupt_until_done: the call fails with EINTR (or returns) at a signal.
static void interrupt_until_done(struct job *j) {
  while (!done) {
    pthread_kill(target, SIGUSR1);
    msleep(20);
  }
  pthread_join(target, NULL);
  (void)j;
}

// interrupt_some: the call restarts; signal it a few times, then let the
// caller give it what it waits for.
static void interrupt_some(void) {
  while (on_target < 3 && !done) {
    pthread_kill(target, SIGUSR1);
    msleep(20);
  }
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

static struct sockaddr_in full_addr;
static void do_connect(struct job *j) { j->r = connect(j->fd, (struct sockaddr *)&full_addr, sizeof full_addr); }
static void do_write(struct job *j) {
  static char big[1 << 20];
  j->r = write(j->fd, big, sizeof big);
}
static void do_accept(struct job *j) { j->r = accept(j->fd, NULL, NULL); }
static void do_recv(struct job *j) {
  char c;
  j->r = recv(j->fd, &c, 1, 0);
}
static void do_send(struct job *j) { j->r = send(j->fd, "datagram", 8, 0); }
static void do_epoll(struct job *j) {
  struct epoll_event ev;
  j->r = epoll_wait(j->fd, &ev, 1, 10000);
}
static void do_select(struct job *j) {
  fd_set r;
  FD_ZERO(&r);
  FD_SET(j->fd, &r);
  struct timeval tv = {10, 0};
  j->r = select(j->fd + 1, &r, NULL, NULL, &tv);
}

int main(void) {
  struct job j;

  // connect to a listener whose accept queue is full (backlog 0, one
  // connection queued): the SYN goes unanswered until there is room.
  handler(0);
  int full = listener(0, &full_addr);
  int first = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(first, (struct sockaddr *)&full_addr, sizeof full_addr) != 0) return 2;
  int c = socket(AF_INET, SOCK_STREAM, 0);
  j = (struct job){do_connect, c};
  start(&j);
  interrupt_until_done(&j);
  printf("connect, no SA_RESTART: %s\n", err_name(j.r, j.err));
  int fl = fcntl(c, F_GETFL);
  fcntl(c, F_SETFL, fl | O_NONBLOCK);
  int r = connect(c, (struct sockaddr *)&full_addr, sizeof full_addr);
  printf("non-blocking connect while it goes on: %s\n", err_name(r, errno));
  fcntl(c, F_SETFL, fl);
  int a1 = accept(full, NULL, NULL);  // room for it: the next SYN is answered
  r = connect(c, (struct sockaddr *)&full_addr, sizeof full_addr);
  printf("blocking connect again: %s\n", err_name(r, errno));
  r = connect(c, (struct sockaddr *)&full_addr, sizeof full_addr);
  printf("and once more: %s\n", err_name(r, errno));
  close(c);
  close(a1);
  int a2 = accept(full, NULL, NULL);
  close(a2);

  // the same under SA_RESTART: the connect waits on until it is accepted.
  handler(SA_RESTART);
  int second = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(second, (struct sockaddr *)&full_addr, sizeof full_addr) != 0) return 3;
  c = socket(AF_INET, SOCK_STREAM, 0);
  j = (struct job){do_connect, c};
  start(&j);
  interrupt_some();
  a1 = accept(full, NULL, NULL);
  pthread_join(target, NULL);
  printf("connect, SA_RESTART: %s\n", err_name(j.r, j.err));
  close(c);
  close(a1);
  close(first);
  close(second);
  close(full);

  // a write into a pipe that fills: the part written is returned.
  handler(0);
  int p[2];
  pipe(p);
  j = (struct job){do_write, p[1]};
  start(&j);
  interrupt_until_done(&j);
  printf("1 MiB write into a pipe, interrupted: %ld\n", j.r);
  long first_part = j.r;
  // Under SA_RESTART a write into the full pipe that moved nothing restarts,
  // and moves everything once the pipe is drained.
  handler(SA_RESTART);
  j = (struct job){do_write, p[1]};
  start(&j);
  interrupt_some();
  static char sink[1 << 16];
  long drained = 0;
  while (drained < first_part + (1 << 20)) {
    ssize_t n = read(p[0], sink, sizeof sink);
    if (n <= 0) break;
    drained += n;
  }
  pthread_join(target, NULL);
  printf("the same under SA_RESTART into the full pipe: %s\n", err_name(j.r, j.err));
  printf("  wrote %ld, drained %ld\n", j.r, drained);
  close(p[0]);
  close(p[1]);

  // accept restarts under SA_RESTART, unless SO_RCVTIMEO is set.
  struct sockaddr_in la;
  int l = listener(8, &la);
  j = (struct job){do_accept, l};
  start(&j);
  interrupt_some();
  int k = socket(AF_INET, SOCK_STREAM, 0);
  connect(k, (struct sockaddr *)&la, sizeof la);
  pthread_join(target, NULL);
  printf("accept, SA_RESTART: %s\n", j.r >= 0 ? "a connection" : err_name(j.r, j.err));
  close((int)j.r);
  close(k);
  struct timeval tv = {10, 0};
  setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  j = (struct job){do_accept, l};
  start(&j);
  interrupt_until_done(&j);
  printf("accept with SO_RCVTIMEO, SA_RESTART: %s\n", err_name(j.r, j.err));
  close(l);

  // recv restarts under SA_RESTART.
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  j = (struct job){do_recv, sv[0]};
  start(&j);
  interrupt_some();
  write(sv[1], "x", 1);
  pthread_join(target, NULL);
  printf("recv, SA_RESTART: %ld\n", j.r);
  close(sv[0]);
  close(sv[1]);

  // send on a full datagram socket restarts, unless SO_SNDTIMEO is set.
  int dg[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, dg);
  int queued = 0;
  while (send(dg[0], "datagram", 8, MSG_DONTWAIT) == 8) queued++;
  j = (struct job){do_send, dg[0]};
  start(&j);
  interrupt_some();
  // AF_UNIX wakes a blocked sender only once most of its buffer is free.
  char buf[16];
  while (!done) {
    while (recv(dg[1], buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
    msleep(5);
  }
  pthread_join(target, NULL);
  printf("send on a full datagram socket, SA_RESTART: %ld\n", j.r);
  while (send(dg[0], "datagram", 8, MSG_DONTWAIT) == 8) {
  }
  setsockopt(dg[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  j = (struct job){do_send, dg[0]};
  start(&j);
  interrupt_until_done(&j);
  printf("the same with SO_SNDTIMEO: %s\n", err_name(j.r, j.err));
  close(dg[0]);
  close(dg[1]);

  // epoll_wait and select are never restarted.
  int q[2];
  pipe(q);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = q[0]};
  epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev);
  j = (struct job){do_epoll, ep};
  start(&j);
  interrupt_until_done(&j);
  printf("epoll_wait, SA_RESTART: %s\n", err_name(j.r, j.err));
  j = (struct job){do_select, q[0]};
  start(&j);
  interrupt_until_done(&j);
  printf("select, SA_RESTART: %s\n", err_name(j.r, j.err));
  printf("queued datagrams before the full socket blocked: %s\n", queued > 0 ? "some" : "none");
  return 0;
}
