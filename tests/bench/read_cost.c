// read_cost.c — what a read() on a socket that already has data costs: the
// hooked call (which never parks here) against the same binary's native
// call. design.md §12 budgets the hooked call at 1.15× the raw one.
//
// A TCP connection over 127.0.0.1 is filled with 64 KiB, then drained with
// 64-byte reads, each of which finds data waiting; only the draining is
// timed. One extra thread stays parked for the whole run, natively too, so
// that both runs are a threaded process (the kernel and glibc take cheaper
// paths in a single-threaded one).
//
// usage: read_cost [ROUNDS]   (default 200; 1024 reads per round)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kChunk = 64, kFill = 64 * 1024, kReads = kFill / kChunk };

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static sem_t done;
static void *idle_thread(void *arg) {
  sem_wait(&done);
  return arg;
}

int main(int argc, char **argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 200;
  if (rounds <= 0) {
    fprintf(stderr, "usage: read_cost [ROUNDS]\n");
    return 2;
  }
  sem_init(&done, 0, 0);
  pthread_t idle;
  pthread_create(&idle, NULL, idle_thread, NULL);

  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0 ||
      getsockname(l, (struct sockaddr *)&a, &len) != 0)
    return 2;
  int w = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(w, (struct sockaddr *)&a, sizeof a) != 0) return 2;
  int r = accept(l, NULL, NULL);
  if (r < 0) return 2;
  int big = 1 << 20;
  setsockopt(w, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  setsockopt(r, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);

  static char fill[kFill], buf[kChunk];
  for (int i = 0; i < kFill; i++) fill[i] = (char)(i * 7);
  long sum = 0, moved = 0;
  double timed = 0;
  for (long i = 0; i < rounds; i++) {
    if (write(w, fill, kFill) != kFill) return 1;
    // Wait until all of it has arrived, so that no read below blocks.
    int avail = 0;
    do {
      if (recv(r, buf, 1, MSG_PEEK) != 1) return 1;
      if (ioctl(r, FIONREAD, &avail) != 0) return 1;
    } while (avail < kFill);
    double t0 = now();
    for (int j = 0; j < kReads; j++) {
      ssize_t n = read(r, buf, kChunk);
      if (n != kChunk) return 1;
      moved += n;
      sum += buf[j % kChunk];
    }
    timed += now() - t0;
  }
  sem_post(&done);
  pthread_join(idle, NULL);
  printf("checksum: %ld bytes read, sum %ld\n", moved, sum);
  printf("result: %.6f s %ld reads of %d bytes on a socket with data ready (%.0f ns a read)\n", timed,
         rounds * kReads, kChunk, timed / (rounds * kReads) * 1e9);
  return 0;
}
