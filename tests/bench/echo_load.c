// echo_load — a closed-loop load generator for echo servers. It is never
// preloaded: scripts/bench, scripts/demo and tests/checks/servers.sh run it
// with LD_PRELOAD removed, so its own threads are ordinary kernel threads and
// the figures describe the server only (they share the CPUs, though).
//
// usage: echo_load PORT CONNECTIONS SECONDS [SIZE [REQUESTS]]
//   SIZE      bytes per request (default 64)
//   REQUESTS  round trips per connection instead of a time limit (SECONDS is
//             then ignored)
//
// One worker thread per CPU (at most one per connection) drives its share of
// the connections with a level-triggered epoll set. Each connection has one
// request in flight at a time: it writes SIZE bytes (a pattern that differs
// per connection and per request), waits for the whole echo, compares it,
// and only then sends the next.
//
// Phases, so that the timed window measures a server in its steady state:
//  1. connect: every worker opens its connections (blocking connect);
//  2. warm-up: every connection makes one round trip that is checked but not
//     counted, so the server has accepted all of them and started whatever
//     serves each one (thread, goroutine, G) before timing begins;
//  3. all workers meet at a barrier, one of them stamps the start time;
//  4. timed: round trips until SECONDS have passed (or REQUESTS are done).
//     In the time-limited mode only echoes completed before the deadline
//     count; a request still in flight then is finished and checked but not
//     counted, so the window is exactly SECONDS long.
// A connection that sees no event for kIdleLimit seconds in any phase is
// abandoned and counted as an error (a stuck server ends the run).
//
// Prints one line:
//   connections=N requests=R errors=E rps=X p50_us=A p90_us=B p99_us=C
//   max_us=D setup_s=S window_s=W
// rps is R/W; latencies are per round trip of the timed window, measured from
// the first byte written to the last byte read; setup_s covers phases 1-2.
// With ECHO_LOAD_SERVER_PID=PID in the environment the line ends with
// server_cpu_us=U server_user_us=V: the server's user + system CPU time
// (/proc/PID/stat) during the timed window per request counted, and the
// user part of it.
// Exits 1 if anything went wrong (errors > 0; the first is described on
// stderr), 2 on bad usage.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
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

enum { kMaxEvents = 256 };
static const double kIdleLimit = 10.0;  // seconds without any event
static const double kWarmLimit = 60.0;  // seconds for connect + warm-up

static int g_port, g_size;
static long g_per_conn;  // round trips per connection; 0: time-limited
static double g_seconds;
static pthread_barrier_t g_gate;
static double g_start, g_end;  // written by the barrier's serial thread
static int g_server_pid;       // ECHO_LOAD_SERVER_PID; 0: not measured
static long g_server_ticks0;   // its CPU ticks at the start of the window
static long g_server_uticks0;  // the user part of them
static long cpu_ticks(int pid, long* user);

// Conn is one client connection, owned by one worker.
struct Conn {
  int fd;          // -1 once closed
  int busy;        // a request is in flight
  unsigned seq;    // pattern selector of the current request
  size_t sent;     // bytes of the current request written
  size_t got;      // bytes of its echo read
  double t0;       // when its first byte was written
  long done;       // timed round trips completed
  char* echo;      // SIZE bytes: the echo read so far
};

// Worker is one thread's share of the connections and its results.
struct Worker {
  int first, count;
  struct Conn* cs;
  int ep;
  char* req;      // scratch: the expected bytes of a request
  long requests;  // timed round trips completed (and counted)
  long errors;
  double* lat;  // latency of each counted round trip, microseconds
  long nlat, caplat;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

// pattern fills b with the bytes of request seq of any connection: each
// request differs, so an echo of the wrong request or of stale bytes shows.
static void pattern(char* b, int n, unsigned seq) {
  uint32_t x = seq * 2654435761u + 1;
  for (int i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    b[i] = (char)(x >> 24);
  }
}

// watch sets c's epoll interest: always input, output while part of the
// current request is still unwritten.
static void watch(struct Worker* w, struct Conn* c) {
  struct epoll_event ev = {.events = EPOLLIN | (c->busy && c->sent < (size_t)g_size ? EPOLLOUT : 0),
                           .data.ptr = c};
  epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

// g_first_error describes the first error of the run, for stderr.
static char g_first_error[160];
static int g_have_error;

// note_error keeps what went wrong the first time (what, and errno if set).
static void note_error(const char* what, int err) {
  if (__atomic_exchange_n(&g_have_error, 1, __ATOMIC_ACQ_REL)) return;
  snprintf(g_first_error, sizeof g_first_error, "%s%s%s", what, err ? ": " : "", err ? strerror(err) : "");
}

// drop closes c; why (nonzero: an error) names what went wrong.
static void drop(struct Worker* w, struct Conn* c, const char* why) {
  if (why) {
    w->errors++;
    note_error(why, errno);
  }
  close(c->fd);
  c->fd = -1;
  c->busy = 0;
}

// push writes as much of c's current request as the socket takes. Returns -1
// after dropping c on a write error.
static int push(struct Worker* w, struct Conn* c) {
  pattern(w->req, g_size, c->seq);
  while (c->sent < (size_t)g_size) {
    ssize_t n = write(c->fd, w->req + c->sent, (size_t)g_size - c->sent);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      drop(w, c, "write");
      return -1;
    }
    c->sent += (size_t)n;
  }
  watch(w, c);
  return 0;
}

// start begins c's next request.
static int start(struct Worker* w, struct Conn* c) {
  c->seq++;
  c->sent = c->got = 0;
  c->busy = 1;
  c->t0 = now_s();
  return push(w, c);
}

static void record(struct Worker* w, double us) {
  if (w->nlat == w->caplat) {
    w->caplat = w->caplat ? 2 * w->caplat : 1 << 16;
    double* p = realloc(w->lat, (size_t)w->caplat * sizeof *p);
    if (!p) {
      perror("echo_load: realloc");
      exit(1);
    }
    w->lat = p;
  }
  w->lat[w->nlat++] = us;
}

// pump waits for events until no request is in flight. timed: count and
// restart round trips (phase 4); otherwise each connection stops after its
// echo (phase 2). Connections idle for kIdleLimit, or still busy at
// hard_deadline, are dropped as errors.
static void pump(struct Worker* w, int timed, double hard_deadline) {
  struct epoll_event evs[kMaxEvents];
  int busy = 0;
  for (int i = 0; i < w->count; i++) busy += w->cs[i].busy;
  double last_event = now_s();
  while (busy > 0) {
    int n = epoll_wait(w->ep, evs, kMaxEvents, 200);
    if (n < 0 && errno != EINTR) {
      perror("echo_load: epoll_wait");
      exit(1);
    }
    double t = now_s();
    if (n <= 0) {
      if (t - last_event > kIdleLimit || t > hard_deadline) {
        errno = 0;
        for (int i = 0; i < w->count; i++)
          if (w->cs[i].busy) drop(w, &w->cs[i], t > hard_deadline ? "warm-up took too long" : "no echo for 10 s");
        break;
      }
      continue;
    }
    last_event = t;
    for (int k = 0; k < n; k++) {
      struct Conn* c = evs[k].data.ptr;
      if (c->fd < 0 || !c->busy) continue;
      if ((evs[k].events & EPOLLOUT) && push(w, c) < 0) {
        busy--;
        continue;
      }
      if (!(evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) continue;
      ssize_t r = read(c->fd, c->echo + c->got, (size_t)g_size - c->got);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0 || c->got + (size_t)r > c->sent) {  // EOF, error, or bytes never sent
        if (r >= 0) errno = 0;
        drop(w, c, r < 0 ? "read" : r == 0 ? "server closed the connection" : "more bytes echoed than sent");
        busy--;
        continue;
      }
      c->got += (size_t)r;
      if (c->got < (size_t)g_size) continue;
      // The whole echo is here: check it against what was sent.
      pattern(w->req, g_size, c->seq);
      if (memcmp(w->req, c->echo, (size_t)g_size) != 0) {
        errno = 0;
        drop(w, c, "echo differs from the request");
        busy--;
        continue;
      }
      c->busy = 0;
      busy--;
      if (!timed) continue;
      if (g_per_conn == 0 && t >= g_end) {
        drop(w, c, NULL);  // the window is over: finished, checked, not counted
        continue;
      }
      w->requests++;
      record(w, (t - c->t0) * 1e6);
      if (g_per_conn && ++c->done >= g_per_conn) {
        drop(w, c, NULL);
        continue;
      }
      if (start(w, c) == 0) busy++;
    }
  }
}

static void* run(void* arg) {
  struct Worker* w = arg;
  double t_begin = now_s();
  w->ep = epoll_create1(EPOLL_CLOEXEC);
  w->cs = calloc((size_t)w->count, sizeof *w->cs);
  w->req = malloc((size_t)g_size);
  if (w->ep < 0 || !w->cs || !w->req) {
    perror("echo_load: worker setup");
    exit(1);
  }
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Phase 1: connect.
  for (int i = 0; i < w->count; i++) {
    struct Conn* c = &w->cs[i];
    c->seq = (unsigned)(w->first + i) * 1000003u;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
      w->errors++;
      note_error("socket", errno);
      continue;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr*)&a, sizeof a) != 0) {
      drop(w, c, "connect");
      continue;
    }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    c->echo = malloc((size_t)g_size);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (!c->echo || epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
      drop(w, c, "setup");
      continue;
    }
  }
  // Phase 2: one uncounted round trip on every connection.
  for (int i = 0; i < w->count; i++)
    if (w->cs[i].fd >= 0) start(w, &w->cs[i]);
  pump(w, 0, t_begin + kWarmLimit);
  // Phase 3: everybody starts the clock together.
  if (pthread_barrier_wait(&g_gate) == PTHREAD_BARRIER_SERIAL_THREAD) {
    g_server_ticks0 = cpu_ticks(g_server_pid, &g_server_uticks0);
    g_start = now_s();
    g_end = g_per_conn ? INFINITY : g_start + g_seconds;
  }
  pthread_barrier_wait(&g_gate);
  // Phase 4: timed round trips.
  for (int i = 0; i < w->count; i++)
    if (w->cs[i].fd >= 0) start(w, &w->cs[i]);
  pump(w, 1, INFINITY);
  for (int i = 0; i < w->count; i++)
    if (w->cs[i].fd >= 0) drop(w, &w->cs[i], NULL);
  return NULL;
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

// rank returns the p-quantile of sorted v[0..n) by the nearest-rank rule.
static double rank(const double* v, long n, double p) {
  if (n == 0) return 0;
  long i = (long)ceil(p * (double)n) - 1;
  return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

// cpu_ticks returns utime + stime of process pid in clock ticks (utime in
// *user), -1 if unknown (no pid, or /proc says nothing usable).
static long cpu_ticks(int pid, long* user) {
  if (pid <= 0) return -1;
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE* f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char* p = strrchr(buf, ')');  // the command name may hold spaces and parentheses
  unsigned long ut, st;
  // After ") ": state ppid pgrp session tty_nr tpgid flags minflt cminflt
  // majflt cmajflt utime stime.
  if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
  *user = (long)ut;
  return (long)(ut + st);
}

int main(int argc, char** argv) {
  if (argc < 4 || argc > 6) {
    fprintf(stderr, "usage: echo_load PORT CONNECTIONS SECONDS [SIZE [REQUESTS]]\n");
    return 2;
  }
  g_port = atoi(argv[1]);
  int nconn = atoi(argv[2]);
  g_seconds = atof(argv[3]);
  g_size = argc > 4 ? atoi(argv[4]) : 64;
  g_per_conn = argc > 5 ? atol(argv[5]) : 0;
  const char* spid = getenv("ECHO_LOAD_SERVER_PID");
  g_server_pid = spid ? atoi(spid) : 0;
  if (g_port <= 0 || g_port > 65535 || nconn <= 0 || g_size <= 0 || g_per_conn < 0 ||
      (g_per_conn == 0 && !(g_seconds > 0))) {
    fprintf(stderr, "echo_load: bad arguments\n");
    return 2;
  }
  // Every connection is a file descriptor here: use the whole hard limit.
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  int nthreads = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (nthreads > nconn) nthreads = nconn;
  if (nthreads < 1) nthreads = 1;
  struct Worker* ws = calloc((size_t)nthreads, sizeof *ws);
  pthread_t* ts = calloc((size_t)nthreads, sizeof *ts);
  pthread_barrier_init(&g_gate, NULL, (unsigned)nthreads);
  double t0 = now_s();
  for (int i = 0, first = 0; i < nthreads; i++) {
    ws[i].first = first;
    ws[i].count = nconn / nthreads + (i < nconn % nthreads);
    first += ws[i].count;
    if (pthread_create(&ts[i], NULL, run, &ws[i]) != 0) {
      fprintf(stderr, "echo_load: pthread_create failed\n");
      return 1;
    }
  }
  long reqs = 0, errs = 0, nlat = 0;
  for (int i = 0; i < nthreads; i++) {
    pthread_join(ts[i], NULL);
    reqs += ws[i].requests;
    errs += ws[i].errors;
    nlat += ws[i].nlat;
  }
  long uticks1 = 0, ticks1 = cpu_ticks(g_server_pid, &uticks1);
  double window = g_per_conn ? now_s() - g_start : g_seconds;
  double* all = malloc((size_t)(nlat + 1) * sizeof *all);
  long k = 0;
  for (int i = 0; i < nthreads; i++)
    for (long j = 0; j < ws[i].nlat; j++) all[k++] = ws[i].lat[j];
  qsort(all, (size_t)nlat, sizeof *all, cmp_double);
  printf("connections=%d requests=%ld errors=%ld rps=%.0f p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f "
         "setup_s=%.2f window_s=%.2f",
         nconn, reqs, errs, window > 0 ? (double)reqs / window : 0.0, rank(all, nlat, 0.50),
         rank(all, nlat, 0.90), rank(all, nlat, 0.99), nlat ? all[nlat - 1] : 0.0, g_start - t0, window);
  if (g_server_pid > 0) {
    if (g_server_ticks0 >= 0 && ticks1 >= 0 && reqs > 0)
      printf(" server_cpu_us=%.2f server_user_us=%.2f",
             (double)(ticks1 - g_server_ticks0) / (double)sysconf(_SC_CLK_TCK) * 1e6 / (double)reqs,
             (double)(uticks1 - g_server_uticks0) / (double)sysconf(_SC_CLK_TCK) * 1e6 / (double)reqs);
    else
      fprintf(stderr, "echo_load: cannot read the CPU time of server %d\n", g_server_pid);
  }
  printf("\n");
  if (errs) fprintf(stderr, "echo_load: %ld errors; the first: %s\n", errs, g_first_error);
  return errs ? 1 : 0;
}
