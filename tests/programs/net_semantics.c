// Socket semantics a program can observe: its own O_NONBLOCK / SOCK_NONBLOCK /
// FIONBIO / MSG_DONTWAIT get EAGAIN at once; F_GETFL shows exactly what it
// set (also while another thread is blocked on the fd); SO_RCVTIMEO and
// SO_SNDTIMEO expire with EAGAIN; short reads; partial non-blocking writes;
// MSG_WAITALL; SIGPIPE / EPIPE; ECONNREFUSED; EOF on a half-closed socket;
// shutdown() wakes a blocked reader; accept on a closed listener.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static const char* en(int e) {
  switch (e) {
    case 0: return "0";
    case EAGAIN: return "EAGAIN";
    case EPIPE: return "EPIPE";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EBADF: return "EBADF";
    case EINPROGRESS: return "EINPROGRESS";
    case ENOTCONN: return "ENOTCONN";
    case EINVAL: return "EINVAL";
    default: return strerror(e);
  }
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void msleep(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int listener(struct sockaddr_in* a, int type_flags) {
  int l = socket(AF_INET, SOCK_STREAM | type_flags, 0);
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof *a;
  if (bind(l, (struct sockaddr*)a, sizeof *a) || listen(l, 64) || getsockname(l, (struct sockaddr*)a, &len)) {
    printf("FAIL: listener: %s\n", strerror(errno));
    exit(1);
  }
  return l;
}

// A connected TCP pair over 127.0.0.1.
static void tcp_pair(int* c, int* s) {
  struct sockaddr_in a;
  int l = listener(&a, 0);
  *c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(*c, (struct sockaddr*)&a, sizeof a) != 0) {
    printf("FAIL: connect: %s\n", strerror(errno));
    exit(1);
  }
  *s = accept(l, NULL, NULL);
  close(l);
}

static const char* nb(int fd) { return (fcntl(fd, F_GETFL) & O_NONBLOCK) ? "O_NONBLOCK" : "blocking"; }
static const char* nb_raw(int fd) { return (syscall(SYS_fcntl, fd, F_GETFL) & O_NONBLOCK) ? "O_NONBLOCK" : "blocking"; }

static void report_read(const char* what, ssize_t r) {
  if (r < 0)
    printf("%s: -1 %s\n", what, en(errno));
  else
    printf("%s: %zd\n", what, r);
}

struct reader {
  int fd;
  ssize_t r;
  int err;
  char buf[64];
  int waitall;
};

static void* blocked_reader(void* arg) {
  struct reader* rd = arg;
  rd->r = rd->waitall ? recv(rd->fd, rd->buf, 10, MSG_WAITALL) : read(rd->fd, rd->buf, sizeof rd->buf);
  rd->err = rd->r < 0 ? errno : 0;
  return NULL;
}

struct drain {
  int fd;
  size_t got;
};
static void* drainer(void* a) {
  struct drain* dd = a;
  char b[65536];
  ssize_t k;
  while ((k = read(dd->fd, b, sizeof b)) > 0) dd->got += k;
  return NULL;
}

struct acc {
  int l, fd;
};
static void* acceptor(void* x) {
  struct acc* aa = x;
  aa->fd = accept(aa->l, NULL, NULL);
  return NULL;
}

static volatile sig_atomic_t g_sigpipes;
static void on_sigpipe(int s) {
  (void)s;
  g_sigpipes++;
}

int main(void) {
  char buf[256];
  int c, s;

  // 1. The program's own non-blocking modes.
  tcp_pair(&c, &s);
  printf("fresh socket F_GETFL: %s\n", nb(c));
  report_read("recv MSG_DONTWAIT on empty socket", recv(c, buf, sizeof buf, MSG_DONTWAIT));
  fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
  printf("after F_SETFL O_NONBLOCK: %s (kernel: %s)\n", nb(c), nb_raw(c));
  report_read("read on own O_NONBLOCK socket", read(c, buf, sizeof buf));
  fcntl(c, F_SETFL, fcntl(c, F_GETFL) & ~O_NONBLOCK);
  printf("after clearing it: %s (kernel: %s)\n", nb(c), nb_raw(c));
  int on = 1;
  ioctl(c, FIONBIO, &on);
  printf("after FIONBIO 1: %s\n", nb(c));
  report_read("recv on FIONBIO socket", recv(c, buf, sizeof buf, 0));
  on = 0;
  ioctl(c, FIONBIO, &on);
  printf("after FIONBIO 0: %s\n", nb(c));
  int snb = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  printf("SOCK_NONBLOCK socket F_GETFL: %s\n", nb(snb));
  close(snb);

  // 2. F_GETFL while another thread is blocked reading the fd: the program
  // and the kernel both say blocking (nobody flipped O_NONBLOCK under stdio).
  struct reader rd = {.fd = s};
  pthread_t t;
  pthread_create(&t, NULL, blocked_reader, &rd);
  msleep(50);
  printf("F_GETFL while a reader blocks: %s (kernel: %s)\n", nb(s), nb_raw(s));
  write(c, "hello", 5);
  pthread_join(t, NULL);
  printf("blocked read got: %zd \"%.*s\"\n", rd.r, (int)(rd.r > 0 ? rd.r : 0), rd.buf);

  // 3. Short read: 10 bytes waiting, ask for 200.
  write(c, "0123456789", 10);
  report_read("short read (10 waiting, 200 asked)", read(s, buf, 200));
  report_read("read of 0 bytes", read(s, buf, 0));

  // 4. MSG_WAITALL gathers two writes.
  rd = (struct reader){.fd = s, .waitall = 1};
  pthread_create(&t, NULL, blocked_reader, &rd);
  write(c, "abcde", 5);
  msleep(30);
  write(c, "fghij", 5);
  pthread_join(t, NULL);
  printf("recv MSG_WAITALL 10 over two writes: %zd \"%.*s\"\n", rd.r, (int)(rd.r > 0 ? rd.r : 0), rd.buf);

  // 5. SO_RCVTIMEO expires with EAGAIN after the set time, also right
  // after a short read (which told a runtime the socket is drained).
  write(c, "xy", 2);
  ssize_t sr = recv(s, buf, sizeof buf, 0);
  printf("short read: %zd\n", sr);
  struct timeval tv = {0, 150000};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  double t0 = now_ms();
  ssize_t r = recv(s, buf, sizeof buf, 0);
  int e = errno;
  double el = now_ms() - t0;
  printf("SO_RCVTIMEO 150ms: %zd %s, waited %s\n", r, en(e), el >= 140 && el < 2150 ? "ok" : "WRONG");
  tv.tv_usec = 0;
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  // 6. Partial writes on a non-blocking socket; SO_SNDTIMEO on a full one.
  int sz = 65536;
  setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
  fcntl(c, F_SETFL, O_NONBLOCK);
  size_t big = 8 << 20;
  char* p = calloc(1, big);
  ssize_t w = write(c, p, big);
  printf("non-blocking write of 8 MiB: %s\n", w > 0 && (size_t)w < big ? "partial" : "WRONG");
  ssize_t w2;
  for (int i = 0; i < 10000 && (w2 = write(c, p, big)) > 0; i++) {
  }
  printf("writing on until it is full: %zd %s\n", w2, en(w2 < 0 ? errno : 0));
  fcntl(c, F_SETFL, 0);
  tv.tv_usec = 150000;
  setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  t0 = now_ms();
  w = write(c, p, 1);
  e = errno;
  el = now_ms() - t0;
  printf("SO_SNDTIMEO 150ms on a full socket: %zd %s, waited %s\n", w, en(e), el >= 140 && el < 2150 ? "ok" : "WRONG");
  free(p);
  close(c);
  close(s);

  // 7. A blocking write larger than the socket buffers goes out whole.
  tcp_pair(&c, &s);
  size_t total = 0;
  {
    size_t n = 3 << 20;
    char* q = malloc(n);
    memset(q, 'z', n);
    struct drain d = {s, 0};
    pthread_create(&t, NULL, drainer, &d);
    w = write(c, q, n);
    shutdown(c, SHUT_WR);
    pthread_join(t, NULL);
    total = d.got;
    printf("blocking write of 3 MiB: returned %zd, peer read %zu\n", w, total);
    free(q);
  }
  // Read on a half-closed socket: EOF.
  report_read("read after peer shutdown(SHUT_WR)", read(s, buf, sizeof buf));
  close(c);
  close(s);

  // 8. shutdown() wakes a reader blocked on the same socket.
  tcp_pair(&c, &s);
  rd = (struct reader){.fd = s};
  pthread_create(&t, NULL, blocked_reader, &rd);
  msleep(50);
  shutdown(s, SHUT_RDWR);
  pthread_join(t, NULL);
  printf("reader woken by shutdown(SHUT_RDWR): %zd %s\n", rd.r, en(rd.err));
  close(c);
  close(s);

  // 9. SIGPIPE / EPIPE on a closed peer.
  struct sigaction sa = {0};
  sa.sa_handler = on_sigpipe;
  sigaction(SIGPIPE, &sa, NULL);
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  close(sv[1]);
  w = write(sv[0], "x", 1);
  printf("write to closed peer: %zd %s, SIGPIPE count %d\n", w, en(w < 0 ? errno : 0), (int)g_sigpipes);
  w = send(sv[0], "x", 1, MSG_NOSIGNAL);
  printf("send MSG_NOSIGNAL to closed peer: %zd %s, SIGPIPE count %d\n", w, en(w < 0 ? errno : 0), (int)g_sigpipes);
  close(sv[0]);

  // 10. Connect to a closed port; accept on a closed listener.
  struct sockaddr_in a;
  int l = listener(&a, 0);
  close(l);
  c = socket(AF_INET, SOCK_STREAM, 0);
  r = connect(c, (struct sockaddr*)&a, sizeof a);
  printf("connect to a closed port: %zd %s\n", r, en(r < 0 ? errno : 0));
  close(c);
  r = accept(l, NULL, NULL);
  printf("accept on a closed listener: %zd %s\n", r, en(r < 0 ? errno : 0));

  // 11. Non-blocking listener: accept says EAGAIN; accept4 flags decide the
  // new socket's mode, not the listener's.
  l = listener(&a, SOCK_NONBLOCK);
  r = accept(l, NULL, NULL);
  printf("accept on empty non-blocking listener: %zd %s\n", r, en(r < 0 ? errno : 0));
  c = socket(AF_INET, SOCK_STREAM, 0);
  connect(c, (struct sockaddr*)&a, sizeof a);
  msleep(20);
  s = accept(l, NULL, NULL);
  printf("accept() from non-blocking listener gives: %s\n", s >= 0 ? nb(s) : "FAIL");
  close(s);
  close(c);
  c = socket(AF_INET, SOCK_STREAM, 0);
  connect(c, (struct sockaddr*)&a, sizeof a);
  msleep(20);
  s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
  printf("accept4(SOCK_NONBLOCK) gives: %s\n", s >= 0 ? nb(s) : "FAIL");
  close(s);
  close(c);
  close(l);

  // 12. A listener with a blocked acceptor still reads as blocking.
  l = listener(&a, 0);
  struct acc ac = {l, -1};
  pthread_create(&t, NULL, acceptor, &ac);
  msleep(50);
  printf("listener F_GETFL while accept blocks: %s (kernel: %s)\n", nb(l), nb_raw(l));
  c = socket(AF_INET, SOCK_STREAM, 0);
  r = connect(c, (struct sockaddr*)&a, sizeof a);
  pthread_join(t, NULL);
  printf("blocking connect: %zd; blocked accept returned a socket: %s\n", r, ac.fd >= 0 ? "yes" : "no");
  close(ac.fd);
  close(c);
  close(l);

  // 13. UDP: a blocked recvfrom gets the datagram; readv/writev on a socketpair.
  int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in ua = {.sin_family = AF_INET};
  ua.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t ulen = sizeof ua;
  bind(u1, (struct sockaddr*)&ua, sizeof ua);
  getsockname(u1, (struct sockaddr*)&ua, &ulen);
  rd = (struct reader){.fd = u1};
  pthread_create(&t, NULL, blocked_reader, &rd);
  msleep(30);
  sendto(u2, "datagram", 8, 0, (struct sockaddr*)&ua, sizeof ua);
  pthread_join(t, NULL);
  printf("blocked UDP read got: %zd \"%.*s\"\n", rd.r, (int)(rd.r > 0 ? rd.r : 0), rd.buf);
  close(u1);
  close(u2);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  struct iovec iv[3] = {{"ab", 2}, {"cde", 3}, {"f", 1}};
  w = writev(sv[0], iv, 3);
  char b1[3], b2[10];
  struct iovec ov[2] = {{b1, 3}, {b2, 10}};
  r = readv(sv[1], ov, 2);
  printf("writev %zd, readv %zd: \"%.3s%.*s\"\n", w, r, b1, (int)(r > 3 ? r - 3 : 0), b2);
  close(sv[0]);
  close(sv[1]);
  printf("done\n");
  return 0;
}
