// sem_pingpong.c — park/ready round trip through two unnamed POSIX semaphores.
//
// usage: sem_pingpong [ROUND_TRIPS]   (default 50000)
// Prints "checksum: ..." (deterministic) and "result: <seconds> s ...".
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static sem_t ping_sem, pong_sem;
static long rounds;
static volatile unsigned long long token;  // handed over by the semaphores
static unsigned long long pong_sum;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void* pong(void* arg) {
  (void)arg;
  for (long i = 0; i < rounds; i++) {
    while (sem_wait(&pong_sem) != 0) {}
    pong_sum += token;
    token = token * 6364136223846793005ull + 1442695040888963407ull;
    sem_post(&ping_sem);
  }
  return NULL;
}

int main(int argc, char** argv) {
  rounds = argc > 1 ? atol(argv[1]) : 50000;
  if (rounds <= 0) {
    fprintf(stderr, "usage: sem_pingpong [ROUND_TRIPS]\n");
    return 2;
  }
  sem_init(&ping_sem, 0, 0);
  sem_init(&pong_sem, 0, 0);
  pthread_t t;
  double t0 = now();
  if (pthread_create(&t, NULL, pong, NULL) != 0) return 1;
  token = 1;
  for (long i = 0; i < rounds; i++) {
    sem_post(&pong_sem);
    while (sem_wait(&ping_sem) != 0) {}
  }
  pthread_join(t, NULL);
  double dt = now() - t0;
  printf("checksum: token=%016llx sum=%016llx\n", (unsigned long long)token, pong_sum);
  printf("result: %.6f s %ld round trips (%.3f us each)\n", dt, rounds, dt / rounds * 1e6);
  sem_destroy(&ping_sem);
  sem_destroy(&pong_sem);
  return 0;
}
