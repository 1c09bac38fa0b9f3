// Pipes and other non-socket fds between threads: ping-pong, a 4 MiB write
// read by another thread, stdio (fprintf/fgets/fwrite/fread) over pipes that
// other threads block on, EOF and EPIPE, eventfd, timerfd, a FIFO, and the
// file flags the program (and the kernel) see while a reader is blocked.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static void msleep(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void die(const char* what) {
  printf("FAIL: %s: %s\n", what, strerror(errno));
  exit(1);
}

// --- ping-pong --------------------------------------------------------------
static int ping[2], pong[2];
#define ROUNDS 5000
static void* ponger(void* arg) {
  (void)arg;
  char c;
  for (int i = 0; i < ROUNDS; i++) {
    if (read(ping[0], &c, 1) != 1) die("ponger read");
    c++;
    if (write(pong[1], &c, 1) != 1) die("ponger write");
  }
  return NULL;
}

// --- big write --------------------------------------------------------------
struct sink {
  int fd;
  size_t got;
  uint64_t sum;
};
static void* sink_reader(void* arg) {
  struct sink* s = arg;
  unsigned char b[10000];
  ssize_t n;
  while ((n = read(s->fd, b, sizeof b)) > 0) {
    for (ssize_t i = 0; i < n; i++) s->sum = s->sum * 31 + b[i];
    s->got += n;
  }
  if (n < 0) die("sink read");
  return NULL;
}

// --- stdio ------------------------------------------------------------------
#define LINES 40000
struct lines {
  int fd;
  int count;
  uint64_t sum;
};
static void* line_reader(void* arg) {
  struct lines* l = arg;
  FILE* f = fdopen(l->fd, "r");
  char line[128];
  while (fgets(line, sizeof line, f)) {
    l->count++;
    for (char* p = line; *p; p++) l->sum = l->sum * 131 + (unsigned char)*p;
  }
  if (ferror(f)) printf("FAIL: fgets error: %s\n", strerror(errno));
  fclose(f);
  return NULL;
}

struct blob {
  int fd;
  size_t got;
};
static void* fread_reader(void* arg) {
  struct blob* b = arg;
  FILE* f = fdopen(b->fd, "r");
  static char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) b->got += n;
  fclose(f);
  return NULL;
}

// --- blocked reader of any fd -------------------------------------------------
struct rd {
  int fd;
  size_t len;
  ssize_t r;
  int err;
  char buf[64];
};
static void* blocked_read(void* arg) {
  struct rd* r = arg;
  r->r = read(r->fd, r->buf, r->len);
  r->err = r->r < 0 ? errno : 0;
  return NULL;
}

// --- many readers and writers on one pipe ------------------------------------
#define NREADERS 8
#define NWRITERS 2
#define PER_WRITER (256 * 1024)
static int g_mp[2];
static long g_read_total[NREADERS];
static void* mp_reader(void* arg) {
  long i = (long)arg;
  char b[700];
  ssize_t n;
  while ((n = read(g_mp[0], b, sizeof b)) > 0) g_read_total[i] += n;
  return NULL;
}
static void* mp_writer(void* arg) {
  (void)arg;
  char b[300];
  memset(b, 'w', sizeof b);
  long left = PER_WRITER;
  while (left > 0) {
    ssize_t w = write(g_mp[1], b, left < (long)sizeof b ? left : (long)sizeof b);
    if (w <= 0) die("mp write");
    left -= w;
  }
  return NULL;
}

static const char* flags(int fd) { return (fcntl(fd, F_GETFL) & O_NONBLOCK) ? "O_NONBLOCK" : "blocking"; }
static const char* flags_raw(int fd) { return (syscall(SYS_fcntl, fd, F_GETFL) & O_NONBLOCK) ? "O_NONBLOCK" : "blocking"; }

int main(void) {
  // 1. ping-pong.
  if (pipe(ping) || pipe(pong)) die("pipe");
  pthread_t t;
  pthread_create(&t, NULL, ponger, NULL);
  char c = 0;
  int ok = 1;
  for (int i = 0; i < ROUNDS; i++) {
    char s = (char)i;
    if (write(ping[1], &s, 1) != 1) die("ping write");
    if (read(pong[0], &c, 1) != 1) die("pong read");
    if (c != (char)(s + 1)) ok = 0;
  }
  pthread_join(t, NULL);
  printf("pipe ping-pong %d rounds: %s\n", ROUNDS, ok ? "ok" : "WRONG");

  // 2. flags while a reader is blocked: nobody set O_NONBLOCK.
  struct rd r = {.fd = ping[0], .len = 10};
  pthread_create(&t, NULL, blocked_read, &r);
  msleep(50);
  printf("pipe F_GETFL while a reader blocks: %s (kernel: %s)\n", flags(ping[0]), flags_raw(ping[0]));
  write(ping[1], "wake", 4);
  pthread_join(t, NULL);
  printf("blocked pipe read got: %zd \"%.*s\"\n", r.r, (int)(r.r > 0 ? r.r : 0), r.buf);

  // 3. EOF when the writer closes under a blocked reader; EPIPE without readers.
  r = (struct rd){.fd = ping[0], .len = 10};
  pthread_create(&t, NULL, blocked_read, &r);
  msleep(30);
  close(ping[1]);
  pthread_join(t, NULL);
  printf("blocked read, writer closed: %zd\n", r.r);
  signal(SIGPIPE, SIG_IGN);
  close(pong[0]);
  ssize_t w = write(pong[1], "x", 1);
  printf("write with no reader: %zd %s\n", w, w < 0 && errno == EPIPE ? "EPIPE" : "WRONG");
  close(ping[0]);
  close(pong[1]);

  // 4. A 4 MiB blocking write goes through whole to a reader thread.
  int p[2];
  pipe(p);
  struct sink sk = {.fd = p[0]};
  pthread_create(&t, NULL, sink_reader, &sk);
  size_t big = 4 << 20;
  unsigned char* data = malloc(big);
  uint64_t sum = 0;
  for (size_t i = 0; i < big; i++) {
    data[i] = (unsigned char)(i * 7 + (i >> 12));
    sum = sum * 31 + data[i];
  }
  w = write(p[1], data, big);
  close(p[1]);
  pthread_join(t, NULL);
  printf("4 MiB write: returned %zd, reader got %zu, checksum %s\n", w, sk.got, sk.sum == sum ? "ok" : "WRONG");
  close(p[0]);

  // 5. stdio over pipes: fprintf lines read with fgets by another thread.
  pipe(p);
  struct lines ln = {.fd = p[0]};
  pthread_create(&t, NULL, line_reader, &ln);
  FILE* out = fdopen(p[1], "w");
  uint64_t lsum = 0;
  for (int i = 0; i < LINES; i++) {
    char line[128];
    int n = snprintf(line, sizeof line, "line %d of the stdio test, %08x\n", i, i * 2654435761u);
    for (int k = 0; k < n; k++) lsum = lsum * 131 + (unsigned char)line[k];
    fputs(line, out);
  }
  if (fclose(out) != 0) die("fclose");
  pthread_join(t, NULL);
  printf("stdio lines: wrote %d, fgets read %d, checksum %s\n", LINES, ln.count, ln.sum == lsum ? "ok" : "WRONG");

  // 6. One 4 MiB fwrite, read with fread by another thread.
  pipe(p);
  struct blob bl = {.fd = p[0]};
  pthread_create(&t, NULL, fread_reader, &bl);
  out = fdopen(p[1], "w");
  size_t fw = fwrite(data, 1, big, out);
  int ff = fflush(out);
  fclose(out);
  pthread_join(t, NULL);
  printf("fwrite 4 MiB: %zu, fflush %d, fread got %zu\n", fw, ff, bl.got);
  free(data);

  // 7. The program's own O_NONBLOCK pipe.
  pipe2(p, O_NONBLOCK);
  char b[8];
  ssize_t n = read(p[0], b, sizeof b);
  printf("read on empty O_NONBLOCK pipe: %zd %s; F_GETFL %s\n", n, n < 0 && errno == EAGAIN ? "EAGAIN" : "WRONG",
         flags(p[0]));
  close(p[0]);
  close(p[1]);

  // 8. eventfd: a reader blocked until another thread adds to the counter.
  int efd = eventfd(0, 0);
  uint64_t v = 0;
  r = (struct rd){.fd = efd, .len = 8};
  pthread_create(&t, NULL, blocked_read, &r);
  msleep(30);
  v = 42;
  write(efd, &v, 8);
  pthread_join(t, NULL);
  memcpy(&v, r.buf, 8);
  printf("eventfd blocked read: %zd value %llu\n", r.r, (unsigned long long)v);
  close(efd);

  // 9. timerfd: a blocking read returns when it expires.
  int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec its = {{0, 0}, {0, 60 * 1000 * 1000}};
  timerfd_settime(tfd, 0, &its, NULL);
  r = (struct rd){.fd = tfd, .len = 8};
  pthread_create(&t, NULL, blocked_read, &r);
  pthread_join(t, NULL);
  memcpy(&v, r.buf, 8);
  printf("timerfd blocked read: %zd expirations %llu\n", r.r, (unsigned long long)v);
  close(tfd);

  // 10. A FIFO (no per-call non-blocking form): a reader blocked until data.
  char path[64];
  snprintf(path, sizeof path, "/tmp/gmp_net_pipes_%d", (int)getpid());
  unlink(path);
  if (mkfifo(path, 0600) != 0) die("mkfifo");
  int fr = open(path, O_RDWR);
  int fw2 = open(path, O_WRONLY);
  unlink(path);
  r = (struct rd){.fd = fr, .len = 10};
  pthread_create(&t, NULL, blocked_read, &r);
  msleep(30);
  printf("FIFO F_GETFL while a reader blocks: %s (kernel: %s)\n", flags(fr), flags_raw(fr));
  write(fw2, "fifo!", 5);
  pthread_join(t, NULL);
  printf("FIFO blocked read got: %zd \"%.*s\"\n", r.r, (int)(r.r > 0 ? r.r : 0), r.buf);
  close(fr);
  close(fw2);
  // 11. Eight readers and two writers on one pipe: every byte arrives once,
  // nobody is left blocked (the pipe lock is contended all the time).
  pipe(g_mp);
  pthread_t rt[NREADERS], wt[NWRITERS];
  for (long i = 0; i < NREADERS; i++) pthread_create(&rt[i], NULL, mp_reader, (void*)i);
  for (int i = 0; i < NWRITERS; i++) pthread_create(&wt[i], NULL, mp_writer, NULL);
  for (int i = 0; i < NWRITERS; i++) pthread_join(wt[i], NULL);
  close(g_mp[1]);
  long all = 0;
  for (int i = 0; i < NREADERS; i++) {
    pthread_join(rt[i], NULL);
    all += g_read_total[i];
  }
  close(g_mp[0]);
  printf("%d readers, %d writers on one pipe: %ld of %d bytes\n", NREADERS, NWRITERS, all, NWRITERS * PER_WRITER);
  printf("done\n");
  return 0;
}
