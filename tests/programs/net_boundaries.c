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
 * preloaded. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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

int main(void) {
  sem_init(&consumed, 0, 0);
  tcp_urgent();
  tcp_last_words(0);
  tcp_last_words(1);
  unix_rights();
  return 0;
}
