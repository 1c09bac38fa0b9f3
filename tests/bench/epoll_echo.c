// epoll_echo — the echo service written as a hand-written event loop: the
// baseline a thread-per-connection server on libgmp is compared with in
// scripts/bench echo (design.md §12: "≥ 0.9× an epoll loop").
//
// usage: epoll_echo [PORT]   (0 or none: any free port)
// Environment: GOMAXPROCS — number of loops (kernel threads); default: CPUs.
//
// Same contract as tests/programs/echo_server: listens on 127.0.0.1, prints
// "port N" once every loop is ready, echoes every byte back, serves until
// killed.
//
// Design: N threads, each with its own epoll set and its own listening socket
// bound to the same port with SO_REUSEPORT, so the kernel spreads new
// connections over the loops and a connection stays on the loop that accepted
// it (no locks, no hand-off). All N listeners exist before the port is
// printed, so no client can connect while only some loops are listening.
//
// Each connection is level-triggered. An input event does one read of up to
// kBuf bytes and writes it back at once; whatever the socket does not take is
// kept in the connection's pending buffer, the connection stops reading and
// waits for EPOLLOUT (back-pressure: a client that does not read cannot make
// the server buffer without bound). Reading one buffer per event keeps the
// loop fair between connections; level triggering brings the rest.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kBuf = 16384, kMaxEvents = 256 };

// Conn is one accepted connection, owned by the loop that accepted it.
struct Conn {
  int fd;
  size_t off, len;  // pending[off..len) still has to be written
  char* pending;    // kBuf bytes, allocated on the first short write
};

// Loop is one event loop thread.
struct Loop {
  int lfd;  // this loop's SO_REUSEPORT listener
  int ep;
};

static void die(const char* what) {
  fprintf(stderr, "epoll_echo: %s: %s\n", what, strerror(errno));
  exit(1);
}

// listen_on opens a listener on 127.0.0.1:port (0: any) and returns it; the
// port actually bound goes to *bound.
static int listen_on(int port, int* bound) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) die("SO_REUSEPORT");
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, (struct sockaddr*)&a, sizeof a) != 0) die("bind");
  if (listen(fd, 4096) != 0) die("listen");
  if (getsockname(fd, (struct sockaddr*)&a, &len) != 0) die("getsockname");
  *bound = ntohs(a.sin_port);
  return fd;
}

static void set_events(int ep, struct Conn* c, unsigned events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void finish(struct Conn* c) {
  close(c->fd);  // also removes it from the epoll set
  free(c->pending);
  free(c);
}

// flush writes c's pending bytes. Returns 1 when all are out, 0 when the
// socket is full, -1 on an error.
static int flush(struct Conn* c) {
  while (c->off < c->len) {
    ssize_t n = write(c->fd, c->pending + c->off, c->len - c->off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN ? 0 : -1;
    }
    c->off += (size_t)n;
  }
  c->off = c->len = 0;
  return 1;
}

static void accept_all(struct Loop* l) {
  for (;;) {
    int fd = accept4(l->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // EAGAIN: drained; EMFILE and the like: retried on the next event
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct Conn* c = calloc(1, sizeof *c);
    if (!c) {
      close(fd);
      continue;
    }
    c->fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) != 0) finish(c);
  }
}

// serve handles one event on c: drain pending output, or echo one read.
static void serve(struct Loop* l, struct Conn* c, unsigned events, char* buf) {
  if (c->len > 0) {  // waiting for EPOLLOUT
    int r = flush(c);
    if (r < 0) {
      finish(c);
    } else if (r > 0) {
      set_events(l->ep, c, EPOLLIN);
    }
    return;
  }
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
  ssize_t n = read(c->fd, buf, kBuf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    finish(c);
    return;
  }
  size_t off = 0;
  while (off < (size_t)n) {
    ssize_t w = write(c->fd, buf + off, (size_t)n - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) {
        finish(c);
        return;
      }
      // The socket is full: keep the rest, stop reading until it drains.
      if (!c->pending && !(c->pending = malloc(kBuf))) {
        finish(c);
        return;
      }
      memcpy(c->pending, buf + off, (size_t)n - off);
      c->off = 0;
      c->len = (size_t)n - off;
      set_events(l->ep, c, EPOLLOUT);
      return;
    }
    off += (size_t)w;
  }
}

static void* loop(void* arg) {
  struct Loop* l = arg;
  struct epoll_event evs[kMaxEvents];
  char* buf = malloc(kBuf);
  if (!buf) die("malloc");
  for (;;) {
    int n = epoll_wait(l->ep, evs, kMaxEvents, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      if (evs[i].data.ptr == NULL) {
        accept_all(l);
      } else {
        serve(l, evs[i].data.ptr, evs[i].events, buf);
      }
    }
  }
  return NULL;
}

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  const char* env = getenv("GOMAXPROCS");
  int nloops = env && atoi(env) > 0 ? atoi(env) : (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (nloops < 1) nloops = 1;
  int port = argc > 1 ? atoi(argv[1]) : 0;
  struct Loop* loops = calloc((size_t)nloops, sizeof *loops);
  if (!loops) die("calloc");
  for (int i = 0; i < nloops; i++) {
    loops[i].lfd = listen_on(port, &port);  // the first fixes the port for the rest
    loops[i].ep = epoll_create1(EPOLL_CLOEXEC);
    if (loops[i].ep < 0) die("epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};  // NULL: the listener
    if (epoll_ctl(loops[i].ep, EPOLL_CTL_ADD, loops[i].lfd, &ev) != 0) die("epoll_ctl");
  }
  printf("port %d\n", port);
  fflush(stdout);
  for (int i = 1; i < nloops; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, loop, &loops[i]) != 0) die("pthread_create");
  }
  loop(&loops[0]);
  return 0;
}
