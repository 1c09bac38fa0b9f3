/* recvmmsg/sendmmsg on blocking datagram sockets: a thread blocked in
 * recvmmsg for 3 messages (no MSG_WAITFORONE) returns only when all 3 have
 * come, sent one at a time; with MSG_WAITFORONE it returns what is there
 * after the first; sendmmsg sends a whole batch; a stream socketpair moves
 * every message whole. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int sv[2];
static int got_all;

static void *receiver(void *a) {
  (void)a;
  char bufs[3][16];
  struct iovec iov[3];
  struct mmsghdr m[3];
  memset(m, 0, sizeof m);
  for (int i = 0; i < 3; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = sizeof bufs[i];
    m[i].msg_hdr.msg_iov = &iov[i];
    m[i].msg_hdr.msg_iovlen = 1;
  }
  int n = recvmmsg(sv[0], m, 3, 0, NULL);
  got_all = n;
  printf("recvmmsg without WAITFORONE: %d messages:", n);
  for (int i = 0; i < n; i++) printf(" %.*s", (int)m[i].msg_len, bufs[i]);
  printf("\n");
  return NULL;
}

int main(void) {
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) return 1;
  pthread_t t;
  pthread_create(&t, NULL, receiver, NULL);
  const char *words[3] = {"one", "two", "three"};
  for (int i = 0; i < 3; i++) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    if (send(sv[1], words[i], strlen(words[i]), 0) < 0) return 2;
  }
  pthread_join(t, NULL);

  struct iovec siov[4];
  struct mmsghdr sm[4];
  memset(sm, 0, sizeof sm);
  const char *batch[4] = {"a", "bb", "ccc", "dddd"};
  for (int i = 0; i < 4; i++) {
    siov[i].iov_base = (void *)batch[i];
    siov[i].iov_len = strlen(batch[i]);
    sm[i].msg_hdr.msg_iov = &siov[i];
    sm[i].msg_hdr.msg_iovlen = 1;
  }
  int s = sendmmsg(sv[1], sm, 4, 0);
  printf("sendmmsg: %d, lengths %u %u %u %u\n", s, sm[0].msg_len, sm[1].msg_len, sm[2].msg_len, sm[3].msg_len);
  char rb[8][8];
  struct iovec riov[8];
  struct mmsghdr rm[8];
  memset(rm, 0, sizeof rm);
  for (int i = 0; i < 8; i++) {
    riov[i].iov_base = rb[i];
    riov[i].iov_len = sizeof rb[i];
    rm[i].msg_hdr.msg_iov = &riov[i];
    rm[i].msg_hdr.msg_iovlen = 1;
  }
  int r = recvmmsg(sv[0], rm, 8, MSG_WAITFORONE, NULL);
  printf("recvmmsg with WAITFORONE (4 queued): %d\n", r);

  int ss[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, ss) != 0) return 3;
  s = sendmmsg(ss[1], sm, 4, 0);
  char all[16] = {0};
  ssize_t k = 0;
  while (k < 10) {
    ssize_t n = read(ss[0], all + k, sizeof all - 1 - (size_t)k);
    if (n <= 0) break;
    k += n;
  }
  printf("stream sendmmsg: %d, read back %s\n", s, all);
  return 0;
}
