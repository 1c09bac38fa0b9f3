/* pthread_once: 32 threads race; the slow init routine runs exactly once
 * and everybody returns only after it finished. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define N 32
#define CONTROLS 4

static void fail(const char *what) { printf("FAIL: %s\n", what); exit(1); }

static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int init_runs;
static int value; /* plain int: pthread_once must publish it */

static void slow_init(void) {
  atomic_fetch_add(&init_runs, 1);
  usleep(50000);
  value = 12345;
}

static pthread_once_t onces[CONTROLS] = { PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT };
static atomic_int runs[CONTROLS];
static int vals[CONTROLS];
static void i0(void) { atomic_fetch_add(&runs[0], 1); vals[0] = 10; }
static void i1(void) { atomic_fetch_add(&runs[1], 1); sched_yield(); vals[1] = 11; }
static void i2(void) { atomic_fetch_add(&runs[2], 1); usleep(1000); vals[2] = 12; }
static void i3(void) { atomic_fetch_add(&runs[3], 1); vals[3] = 13; }
static void (*inits[CONTROLS])(void) = { i0, i1, i2, i3 };

static pthread_barrier_t start;
static int seen[N], seen_many[N], rcs[N];

static void *worker(void *arg) {
  int id = (int)(long)arg;
  pthread_barrier_wait(&start);
  rcs[id] = pthread_once(&once, slow_init);
  seen[id] = value;
  int ok = 1;
  for (int k = 0; k < CONTROLS; k++) {
    int c = (k + id) % CONTROLS;
    if (pthread_once(&onces[c], inits[c]) != 0 || vals[c] != 10 + c) ok = 0;
  }
  seen_many[id] = ok;
  return NULL;
}

int main(void) {
  pthread_t th[N];
  pthread_barrier_init(&start, NULL, N);
  for (long i = 0; i < N; i++)
    if (pthread_create(&th[i], NULL, worker, (void *)i)) fail("create");
  for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
  int ok = 0, ok_many = 0, rc_ok = 0;
  for (int i = 0; i < N; i++) {
    ok += seen[i] == 12345;
    ok_many += seen_many[i];
    rc_ok += rcs[i] == 0;
  }
  printf("pthread_once returned 0: %d/%d\n", rc_ok, N);
  printf("threads that saw the initialised value: %d/%d\n", ok, N);
  printf("init routine runs: %d\n", atomic_load(&init_runs));
  printf("threads that saw all %d other onces done: %d/%d\n", CONTROLS, ok_many, N);
  for (int k = 0; k < CONTROLS; k++) printf("once %d runs: %d\n", k, atomic_load(&runs[k]));
  if (ok != N || rc_ok != N || ok_many != N || atomic_load(&init_runs) != 1) fail("once");
  for (int k = 0; k < CONTROLS; k++)
    if (atomic_load(&runs[k]) != 1) fail("once runs");
  /* calling again after completion is a no-op */
  pthread_once(&once, slow_init);
  printf("init routine runs after another call: %d\n", atomic_load(&init_runs));
  if (atomic_load(&init_runs) != 1) fail("once again");
  return 0;
}
