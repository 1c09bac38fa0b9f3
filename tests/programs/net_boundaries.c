/* Reads that come back short while more data is already queued: TCP stops
 * a read at the urgent mark, and an AF_UNIX stream socket stops after a
 * message that carried file descriptors (SCM_RIGHTS). The next blocking
 * read must return the rest at once. Likewise a short read that took the
 * last data before an end of file or a reset that had already arrived: the
 * next read returns 0 or fails at once. A runtime that took "short" for
 * "drained" and waited for the next readiness event would hang here: the
 * event for the rest was already reported. A reader thread blocks in read()
 * before the data is sent, and each writer step waits until the reader has
 * consumed the previous part, so the parts are the same natively and
 * preloaded.
 *
 * The last cases read data that arrived while every other thread kept the
 * CPU busy (so nothing may have noticed it yet): after the urgent byte was
 * taken with MSG_OOB, with SO_RCVTIMEO set, and through a dup'd number of a
 * description another number made O_NONBLOCK. Each must return the data as
 * native. And a number freed by pclose and reused for a FIFO reads what
 * arrives later. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int rfd;
static sem_t consumed;

// reader: read() until EOF or an error, printing each part; posts `consumed`
// after each.
static void *reader(void *arg) {
  const char *tag = arg;
  char buf[256];
  for (int i = 0;; i++) {
    ssize_t n = read(rfd, buf, sizeof buf);
    if (n < 0) {
      printf("%s read %d: %s\n", tag, i, strerror(errno));
      fflush(stdout);
      sem_post(&consumed);
      break;
    }
    printf("%s read %d: %zd bytes \"%.*s\"\n", tag, i, n, (int)n, buf);
    fflush(stdout);
    sem_post(&consumed);
    if (n == 0) break;
  }
  return NULL;
}

static void tcp_urgent(void) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len)) {
    printf("tcp setup failed\n");
    return;
  }
  int w = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(w, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(w, (struct sockaddr *)&a, sizeof a)) {
    printf("tcp connect failed\n");
    return;
  }
  rfd = accept(l, NULL, NULL);
  pthread_t t;
  pthread_create(&t, NULL, reader, "tcp");
  // Everything in one go, so that the data after the mark is queued (and
  // its readiness reported) before the reader gets back to read().
  send(w, "before", 6, 0);
  sem_wait(&consumed);
  send(w, "abc", 3, MSG_MORE);
  send(w, "!", 1, MSG_OOB);
  send(w, "after the mark", 14, 0);
  sem_wait(&consumed);  // "abc": stopped at the mark
  sem_wait(&consumed);  // the rest
  shutdown(w, SHUT_WR);
  sem_wait(&consumed);  // the end of file
  pthread_join(t, NULL);
  close(w);
  close(rfd);
  close(l);
}

static int tcp_pair(int *w) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len))
    return -1;
  *w = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(*w, (struct sockaddr *)&a, sizeof a)) return -1;
  int r = accept(l, NULL, NULL);
  close(l);
  return r;
}

// tcp_last_words: data, then the end of file (or, with reset, an RST from
// SO_LINGER 0) sent in one go while the reader waits: its read returns the
// data short, the next one 0 (or ECONNRESET) without anything new arriving.
static void tcp_last_words(int reset) {
  int w;
  rfd = tcp_pair(&w);
  if (rfd < 0) {
    printf("tcp setup failed\n");
    return;
  }
  pthread_t t;
  pthread_create(&t, NULL, reader, reset ? "tcp+rst" : "tcp+fin");
  send(w, "hello", 5, 0);
  sem_wait(&consumed);
  send(w, "last words", 10, 0);
  if (reset) {
    struct linger lg = {1, 0};
    setsockopt(w, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(w);
  } else {
    shutdown(w, SHUT_WR);
  }
  sem_wait(&consumed);  // "last words"
  sem_wait(&consumed);  // the end of file, or the reset
  pthread_join(t, NULL);
  if (!reset) close(w);
  close(rfd);
}

static void unix_rights(void) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
    printf("socketpair failed\n");
    return;
  }
  rfd = sv[0];
  pthread_t t;
  pthread_create(&t, NULL, reader, "unix");
  send(sv[1], "first", 5, 0);
  sem_wait(&consumed);
  // A message with a descriptor, then plain data: the reader's read()
  // stops after the first (dropping the descriptor), the rest waits.
  int pass = dup(1);
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = {"with fd", 7};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = cbuf;
  m.msg_controllen = sizeof cbuf;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &pass, sizeof pass);
  sendmsg(sv[1], &m, 0);
  send(sv[1], "plain after", 11, 0);
  sem_wait(&consumed);
  sem_wait(&consumed);
  shutdown(sv[1], SHUT_WR);
  sem_wait(&consumed);  // the end of file
  pthread_join(t, NULL);
  close(pass);
  close(sv[0]);
  close(sv[1]);
}

static volatile int stop_spin;
static void *spinner(void *arg) {
  (void)arg;
  while (!stop_spin) sched_yield();
  return NULL;
}

static int spin_w = -1;
static void *late_writer(void *arg) {
  usleep(20000);
  if (write(spin_w, arg, strlen(arg)) < 0) perror("write");
  return NULL;
}

// busy_reads: a first read that waits (and comes back short), then, while a
// spinner thread keeps the CPU, the case's data is sent and `second` reads.
static void busy_reads(const char *tag, int mode) {
  int w;
  int s = tcp_pair(&w);
  if (s < 0) {
    printf("tcp setup failed\n");
    return;
  }
  char buf[100];
  spin_w = w;
  pthread_t lw, sp;
  pthread_create(&lw, NULL, late_writer, "xy");
  ssize_t n = read(s, buf, sizeof buf);
  printf("%s first read: %zd\n", tag, n);
  pthread_join(lw, NULL);
  stop_spin = 0;
  pthread_create(&sp, NULL, spinner, NULL);
  usleep(1000);
  int rd = s;
  if (mode == 0) {  // urgent byte, taken before the plain read
    send(w, "ABU", 3, MSG_OOB);
    send(w, "CD", 2, 0);
    usleep(1000);
    char ch = 0;
    n = recv(s, &ch, 1, MSG_OOB);
    printf("%s oob: %zd '%c'\n", tag, n, n == 1 ? ch : '-');
  } else if (mode == 1) {  // a receive timeout
    struct timeval tv = {0, 3000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    send(w, "cd", 2, 0);
    usleep(200);
  } else {  // O_NONBLOCK set through another number
    rd = dup(s);
    send(w, "ab", 2, 0);
    usleep(5000);
    n = read(rd, buf, sizeof buf);
    printf("%s dup read: %zd\n", tag, n);
    fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
    send(w, "cd", 2, 0);
    usleep(5000);
  }
  for (int i = 0; i < (mode == 0 ? 2 : 1); i++) {
    n = read(rd, buf, sizeof buf);
    if (n < 0)
      printf("%s read %d: %s\n", tag, i, strerror(errno));
    else
      printf("%s read %d: %zd \"%.*s\"\n", tag, i, n, (int)n, buf);
  }
  stop_spin = 1;
  pthread_join(sp, NULL);
  if (rd != s) close(rd);
  close(s);
  close(w);
}

// popen_reuse: pclose frees the stream's number; a FIFO opened next gets it,
// and a read on it waits for a writer that comes later.
static void popen_reuse(void) {
  FILE *f = popen("echo from child", "r");
  if (!f) {
    printf("popen failed\n");
    return;
  }
  int n = fileno(f);
  struct pollfd p = {n, POLLIN, 0};
  poll(&p, 1, 5000);
  char b[32];
  if (fgets(b, sizeof b, f)) printf("popen: %s", b);
  printf("pclose: %d\n", pclose(f));
  char dir[] = "/tmp/net_boundaries.XXXXXX";
  if (!mkdtemp(dir)) {
    printf("mkdtemp failed\n");
    return;
  }
  char path[64];
  snprintf(path, sizeof path, "%s/fifo", dir);
  mkfifo(path, 0600);
  int fd = open(path, O_RDWR);
  printf("fifo got the same number: %s\n", fd == n ? "yes" : "no");
  spin_w = fd;
  pthread_t t;
  pthread_create(&t, NULL, late_writer, "late");
  ssize_t r = read(fd, b, sizeof b);
  printf("fifo read: %zd \"%.*s\"\n", r, r > 0 ? (int)r : 0, b);
  pthread_join(t, NULL);
  close(fd);
  unlink(path);
  rmdir(dir);
}

int main(void) {
  sem_init(&consumed, 0, 0);
  tcp_urgent();
  tcp_last_words(0);
  tcp_last_words(1);
  unix_rights();
  busy_reads("oob", 0);
  busy_reads("timeo", 1);
  busy_reads("shared", 2);
  popen_reuse();
  return 0;
}
