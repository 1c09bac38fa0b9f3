/* recvmmsg/sendmmsg with the kernel's exact semantics on UDP and on an
 * AF_UNIX datagram socketpair: a blocking recvmmsg waits for vlen datagrams
 * (MSG_WAITFORONE: for the first, then takes what is queued); its timeout is
 * looked at only after each datagram, and the time left is written back; an
 * error after the first datagram returns the count and is reported by the
 * next call; sendmmsg stops at the first failing message and returns the
 * count, and blocks on a full socket until all are sent. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void msleep(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

#define N 64
static char bufs[N][64];
static struct iovec iov[N];
static struct mmsghdr msgs[N];

static void reset(void) {
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < N; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = sizeof bufs[i];
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
}

static int rx, tx;  // the receiving and sending sockets of the current test
static volatile int done;

struct call {
  unsigned vlen;
  int flags;
  struct timespec* timeout;
  int r, err;
};

static void* receiver(void* a) {
  struct call* c = a;
  c->r = recvmmsg(rx, msgs, c->vlen, c->flags, c->timeout);
  c->err = c->r < 0 ? errno : 0;
  done = 1;
  return NULL;
}

static void print_batch(const char* what, int r) {
  printf("%s: %d:", what, r);
  for (int i = 0; i < r; i++) printf(" %.*s", (int)msgs[i].msg_len, bufs[i]);
  printf("\n");
}

static void send_str(const char* s) {
  if (send(tx, s, strlen(s), 0) < 0) perror("send");
}

static void udp_pair(void) {
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  rx = socket(AF_INET, SOCK_DGRAM, 0);
  bind(rx, (struct sockaddr*)&a, sizeof a);
  socklen_t len = sizeof a;
  getsockname(rx, (struct sockaddr*)&a, &len);
  tx = socket(AF_INET, SOCK_DGRAM, 0);
  connect(tx, (struct sockaddr*)&a, sizeof a);
}

static void batches(const char* kind) {
  pthread_t t;
  struct call c;
  printf("-- %s\n", kind);

  // Without MSG_WAITFORONE: all of vlen, sent one at a time.
  reset();
  done = 0;
  c = (struct call){3, 0, NULL};
  pthread_create(&t, NULL, receiver, &c);
  const char* words[3] = {"one", "two", "three"};
  for (int i = 0; i < 3; i++) {
    msleep(20);
    send_str(words[i]);
  }
  pthread_join(t, NULL);
  print_batch("recvmmsg for 3, sent one at a time", c.r);

  // MSG_WAITFORONE: the first, and what is queued with it.
  reset();
  done = 0;
  c = (struct call){8, MSG_WAITFORONE, NULL};
  pthread_create(&t, NULL, receiver, &c);
  msleep(20);
  send_str("first");
  pthread_join(t, NULL);
  print_batch("recvmmsg for 8 with MSG_WAITFORONE, one sent", c.r);
  send_str("a");
  send_str("b");
  reset();
  c.r = recvmmsg(rx, msgs, 8, MSG_WAITFORONE, NULL);
  print_batch("recvmmsg for 8 with MSG_WAITFORONE, two queued", c.r);

  // The timeout is looked at after each datagram only: the call waits past
  // it for the next one, then returns what it has, with no time left.
  reset();
  done = 0;
  struct timespec ts = {0, 200 * 1000 * 1000};
  c = (struct call){N, 0, &ts};
  send_str("q1");
  send_str("q2");
  pthread_create(&t, NULL, receiver, &c);
  while (!done) {
    msleep(100);
    send_str("late");
  }
  pthread_join(t, NULL);
  printf("recvmmsg for %d with a 200 ms timeout: more than 2, fewer than %d: %s; time left %ld.%09ld\n", N, N,
         c.r > 2 && c.r < N ? "yes" : "no", (long)ts.tv_sec, ts.tv_nsec);
  while (recv(rx, bufs[0], sizeof bufs[0], MSG_DONTWAIT) > 0) {
  }

  // The time left is written back when datagrams came before it ran out.
  reset();
  ts = (struct timespec){5, 0};
  send_str("now");
  c.r = recvmmsg(rx, msgs, 1, 0, &ts);
  printf("recvmmsg for 1 with a 5 s timeout, one queued: %d, time left over 4 s: %s\n", c.r,
         ts.tv_sec == 4 || (ts.tv_sec == 5 && ts.tv_nsec == 0) ? "yes" : "no");
  ts = (struct timespec){0, 1000000000};
  c.r = recvmmsg(rx, msgs, 1, 0, &ts);
  printf("recvmmsg with tv_nsec out of range: %d %s\n", c.r, c.r < 0 && errno == EINVAL ? "EINVAL" : "?");

  // An error after the first datagram: the count now, the error next time.
  reset();
  send_str("good");
  send_str("bad");
  msgs[1].msg_hdr.msg_iov = (struct iovec*)8;  // unreadable
  c.r = recvmmsg(rx, msgs, 2, 0, NULL);
  print_batch("recvmmsg for 2, the second buffer bad", c.r);
  int r = (int)recv(rx, bufs[0], sizeof bufs[0], MSG_DONTWAIT);
  printf("the next receive: %d %s\n", r, r < 0 && errno == EFAULT ? "EFAULT" : strerror(errno));
  while (recv(rx, bufs[0], sizeof bufs[0], MSG_DONTWAIT) > 0) {
  }

  // sendmmsg stops at the first message that fails and returns the count.
  reset();
  static char huge[300000];  // over UDP's 65507 and AF_UNIX's send buffer
  struct iovec siov[3] = {{"x1", 2}, {huge, sizeof huge}, {"x3", 2}};
  struct mmsghdr sm[3];
  memset(sm, 0, sizeof sm);
  for (int i = 0; i < 3; i++) {
    sm[i].msg_hdr.msg_iov = &siov[i];
    sm[i].msg_hdr.msg_iovlen = 1;
  }
  r = sendmmsg(tx, sm, 3, 0);
  printf("sendmmsg of 3, the second too big: %d (%u)\n", r, sm[0].msg_len);
  r = sendmmsg(tx, sm + 1, 2, 0);
  printf("sendmmsg of the big one first: %d %s\n", r, r < 0 && errno == EMSGSIZE ? "EMSGSIZE" : "?");
  reset();
  r = recvmmsg(rx, msgs, N, MSG_DONTWAIT, NULL);
  print_batch("received", r);
  close(rx);
  close(tx);
}

static void* sender(void* a) {
  struct call* c = a;
  struct iovec v[16];
  struct mmsghdr m[16];
  memset(m, 0, sizeof m);
  for (int i = 0; i < 16; i++) {
    v[i].iov_base = "payload";
    v[i].iov_len = 7;
    m[i].msg_hdr.msg_iov = &v[i];
    m[i].msg_hdr.msg_iovlen = 1;
  }
  c->r = sendmmsg(tx, m, c->vlen, 0);
  c->err = c->r < 0 ? errno : 0;
  done = 1;
  return NULL;
}

int main(void) {
  udp_pair();
  batches("UDP");
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  rx = sv[0], tx = sv[1];
  batches("AF_UNIX datagram socketpair");

  // sendmmsg on a full socket blocks until every message went.
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  rx = sv[0], tx = sv[1];
  int queued = 0;
  while (send(tx, "fill", 4, MSG_DONTWAIT) == 4) queued++;
  done = 0;
  struct call c = {16, 0, NULL};
  pthread_t t;
  pthread_create(&t, NULL, sender, &c);
  int drained = 0;
  char b[16];
  while (!done) {
    while (recv(rx, b, sizeof b, MSG_DONTWAIT) > 0) drained++;
    msleep(5);
  }
  pthread_join(t, NULL);
  while (recv(rx, b, sizeof b, MSG_DONTWAIT) > 0) drained++;
  printf("-- full socket\nsendmmsg of 16 into a full socket: %d; all received: %s\n", c.r,
         drained == queued + 16 ? "yes" : "no");
  return 0;
}
