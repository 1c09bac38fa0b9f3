// pingpong.c — park/ready round trip: two threads pass a token back and forth
// through one mutex and two condition variables.
//
// usage: pingpong [ROUND_TRIPS] [workers]   (default 50000)
// With "workers", ping runs in a second created thread instead of main (under
// libgmp main is locked to the original kernel thread, so a main <-> worker
// round trip includes a kernel-thread hand-off that worker <-> worker avoids).
// Prints "checksum: ..." (deterministic) and "result: <seconds> s ...".
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t to_pong = PTHREAD_COND_INITIALIZER;
static pthread_cond_t to_ping = PTHREAD_COND_INITIALIZER;
static long turn;  // even: ping's move, odd: pong's move. Guarded by mu.
static long rounds;
static unsigned long long pong_sum;  // written by pong only, read after join

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void* pong(void* arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  for (long i = 0; i < rounds; i++) {
    while ((turn & 1) == 0) pthread_cond_wait(&to_pong, &mu);
    pong_sum += (unsigned long long)turn * 2654435761u;
    turn++;
    pthread_cond_signal(&to_ping);
  }
  pthread_mutex_unlock(&mu);
  return NULL;
}

static void* ping(void* arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  for (long i = 0; i < rounds; i++) {
    turn++;  // now odd: pong's move
    pthread_cond_signal(&to_pong);
    while (turn & 1) pthread_cond_wait(&to_ping, &mu);
  }
  pthread_mutex_unlock(&mu);
  return NULL;
}

int main(int argc, char** argv) {
  rounds = argc > 1 ? atol(argv[1]) : 50000;
#ifdef PINGPONG_WORKERS
  int workers = 1;  // built as pingpong_workers: worker <-> worker by default
#else
  int workers = argc > 2 && argv[2][0] == 'w';
#endif
  if (rounds <= 0) {
    fprintf(stderr, "usage: pingpong [ROUND_TRIPS] [workers]\n");
    return 2;
  }
  pthread_t t, t2;
  double t0 = now();
  if (pthread_create(&t, NULL, pong, NULL) != 0) return 1;
  if (workers) {
    if (pthread_create(&t2, NULL, ping, NULL) != 0) return 1;
    pthread_join(t2, NULL);
  } else {
    ping(NULL);
  }
  pthread_join(t, NULL);
  double dt = now() - t0;
  printf("checksum: turn=%ld sum=%llu\n", turn, pong_sum);
  printf("result: %.6f s %ld round trips (%.3f us each, %s)\n", dt, rounds, dt / rounds * 1e6,
         workers ? "worker <-> worker" : "main <-> worker");
  return turn == 2 * rounds ? 0 : 1;
}
