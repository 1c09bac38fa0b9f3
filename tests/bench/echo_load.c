// echo_load — a load generator for echo servers (never preloaded). One
// thread per core drives its share of N connections with epoll: each
// connection sends a SIZE-byte request, waits for the whole echo, checks
// it, and sends the next, for SECONDS (or until REQUESTS per connection).
// usage: echo_load PORT CONNECTIONS SECONDS [SIZE [REQUESTS]]
// Prints: connections=N requests=R errors=E rps=X p50_us=Y p99_us=Z
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int g_port, g_size;
static long g_reqs_per_conn;
static double g_seconds;

struct conn {
  int fd;
  char* rsp;  // this connection's echo so far
  size_t sent, got;
  long done;
  double t0;
  unsigned seed;
};

struct worker {
  int first, count;
  long requests, errors;
  double* lat;  // microseconds
  long nlat, caplat;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill(char* b, int n, unsigned seed) {
  for (int i = 0; i < n; i++) b[i] = (char)(seed * 131 + i);
}

// push writes what the socket takes of the current request; when some is
// left it asks for EPOLLOUT. Returns -1 on a write error.
static int push(int ep, struct conn* c, const char* req) {
  while (c->sent < (size_t)g_size) {
    ssize_t w = write(c->fd, req + c->sent, g_size - c->sent);
    if (w < 0) {
      if (errno != EAGAIN) return -1;
      break;
    }
    c->sent += w;
  }
  struct epoll_event ev = {.events = EPOLLIN | (c->sent < (size_t)g_size ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  return 0;
}

static void* run(void* arg) {
  struct worker* w = arg;
  int ep = epoll_create1(0);
  struct conn* cs = calloc(w->count, sizeof *cs);
  char* req = malloc(g_size);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(g_port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int live = 0;
  double end = now_s() + g_seconds;
  for (int i = 0; i < w->count; i++) {
    struct conn* c = &cs[i];
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr*)&a, sizeof a) != 0) {
      w->errors++;
      close(c->fd);
      c->fd = -1;
      continue;
    }
    fcntl(c->fd, F_SETFL, O_NONBLOCK);
    c->seed = (unsigned)(w->first + i);
    c->rsp = malloc(g_size);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    live++;
  }
  // Start every connection's first request.
  for (int i = 0; i < w->count; i++) {
    struct conn* c = &cs[i];
    if (c->fd < 0) continue;
    fill(req, g_size, c->seed);
    c->t0 = now_s();
    c->sent = 0;
    if (push(ep, c, req) < 0) w->errors++;
  }
  struct epoll_event evs[256];
  while (live > 0) {
    int n = epoll_wait(ep, evs, 256, 100);
    double t = now_s();
    for (int k = 0; k < n; k++) {
      struct conn* c = evs[k].data.ptr;
      if (c->fd < 0) continue;
      if (evs[k].events & EPOLLOUT) {
        fill(req, g_size, c->seed);
        if (push(ep, c, req) < 0) w->errors++;
      }
      ssize_t r = read(c->fd, c->rsp + c->got, g_size - c->got);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        w->errors++;
        close(c->fd);
        c->fd = -1;
        live--;
        continue;
      }
      c->got += r;
      if (c->got < (size_t)g_size) continue;
      fill(req, g_size, c->seed);
      if (memcmp(req, c->rsp, g_size) != 0) w->errors++;
      w->requests++;
      if (w->nlat == w->caplat) {
        w->caplat = w->caplat ? 2 * w->caplat : 1 << 16;
        w->lat = realloc(w->lat, w->caplat * sizeof *w->lat);
      }
      w->lat[w->nlat++] = (t - c->t0) * 1e6;
      c->done++;
      c->got = 0;
      if (t >= end || (g_reqs_per_conn && c->done >= g_reqs_per_conn)) {
        close(c->fd);
        c->fd = -1;
        live--;
        continue;
      }
      c->seed++;
      fill(req, g_size, c->seed);
      c->t0 = now_s();
      c->sent = 0;
      if (push(ep, c, req) < 0) w->errors++;
    }
    if (n == 0 && t > end + 5) break;  // a stuck server: count what is left as errors
  }
  for (int i = 0; i < w->count; i++)
    if (cs[i].fd >= 0) {
      w->errors++;
      close(cs[i].fd);
    }
  return NULL;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: echo_load PORT CONNECTIONS SECONDS [SIZE [REQUESTS]]\n");
    return 2;
  }
  g_port = atoi(argv[1]);
  int nconn = atoi(argv[2]);
  g_seconds = atof(argv[3]);
  g_size = argc > 4 ? atoi(argv[4]) : 64;
  g_reqs_per_conn = argc > 5 ? atol(argv[5]) : 0;
  if (g_reqs_per_conn) g_seconds = 1e9;
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  int nthreads = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (nthreads > nconn) nthreads = nconn;
  if (nthreads < 1) nthreads = 1;
  struct worker* ws = calloc(nthreads, sizeof *ws);
  pthread_t* ts = calloc(nthreads, sizeof *ts);
  double t0 = now_s();
  for (int i = 0, first = 0; i < nthreads; i++) {
    ws[i].first = first;
    ws[i].count = nconn / nthreads + (i < nconn % nthreads);
    first += ws[i].count;
    pthread_create(&ts[i], NULL, run, &ws[i]);
  }
  long reqs = 0, errs = 0, nlat = 0;
  for (int i = 0; i < nthreads; i++) {
    pthread_join(ts[i], NULL);
    reqs += ws[i].requests;
    errs += ws[i].errors;
    nlat += ws[i].nlat;
  }
  double el = now_s() - t0;
  double* all = malloc((nlat + 1) * sizeof *all);
  long k = 0;
  for (int i = 0; i < nthreads; i++)
    for (long j = 0; j < ws[i].nlat; j++) all[k++] = ws[i].lat[j];
  qsort(all, nlat, sizeof *all, cmp);
  double p50 = nlat ? all[nlat / 2] : 0, p99 = nlat ? all[(long)(nlat * 0.99)] : 0;
  printf("connections=%d requests=%ld errors=%ld rps=%.0f p50_us=%.0f p99_us=%.0f\n", nconn, reqs, errs, reqs / el,
         p50, p99);
  return errs ? 1 : 0;
}
