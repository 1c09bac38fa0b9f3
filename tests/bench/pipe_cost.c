// pipe_cost.c — cost of read and write on a ready pipe and a ready socket
// (the hooked calls never park here) against the same calls natively: the
// netpoller's per-call overhead. One extra thread stays parked for the whole
// run, natively too (see syscall_cost.c: the kernel is cheaper for a
// single-threaded process).
//
// usage: pipe_cost [ROUNDS]   (default 500000; each round: write+read on a
// pipe, then send+recv on a socketpair)
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static sem_t done;
static void* idle_thread(void* arg) {
  sem_wait(&done);
  return arg;
}

int main(int argc, char** argv) {
  sem_init(&done, 0, 0);
  pthread_t idle;
  pthread_create(&idle, NULL, idle_thread, NULL);
  long rounds = argc > 1 ? atol(argv[1]) : 500000;
  int p[2], sv[2];
  if (pipe(p) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || rounds <= 0) return 2;
  long moved = 0;
  char c = 'x', d;
  double t0 = now();
  for (long i = 0; i < rounds; i++) {
    moved += write(p[1], &c, 1);
    moved += read(p[0], &d, 1);
  }
  double t1 = now();
  for (long i = 0; i < rounds; i++) {
    moved += send(sv[1], &c, 1, 0);
    moved += recv(sv[0], &d, 1, 0);
  }
  double t2 = now();
  sem_post(&done);
  pthread_join(idle, NULL);
  printf("checksum: %ld bytes moved\n", moved);
  printf("result: %.6f s %ld rounds of pipe write+read and socket send+recv (pipe %.0f ns, socket %.0f ns a pair)\n",
         t2 - t0, rounds, (t1 - t0) / rounds * 1e9, (t2 - t1) / rounds * 1e9);
  return moved == 4 * rounds ? 0 : 1;
}
