/* pthread_barrier: 8 threads x 100 rounds, exactly one serial thread per
 * round, data published before the barrier is visible after it. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 8
#define ROUNDS 100

static void fail(const char *what) { printf("FAIL: %s\n", what); exit(1); }
static const char *ename(int e) {
  return e == 0 ? "0" : e == EINVAL ? "EINVAL" : e == EBUSY ? "EBUSY" : "other";
}
static void expect(const char *what, int got, int want) {
  printf("%s: %s\n", what, ename(got));
  if (got != want) { printf("FAIL: %s\n", what); exit(1); }
}

static pthread_barrier_t bar;
static long data[ROUNDS][THREADS];
static atomic_int serial[ROUNDS];
static long round_sum[THREADS][ROUNDS];
static int bad[THREADS];

static long f(int r, int id) { return (long)(r + 1) * 1000 + id * 7 + (r * id) % 13; }

static void *worker(void *arg) {
  int id = (int)(long)arg;
  for (int r = 0; r < ROUNDS; r++) {
    data[r][id] = f(r, id);
    int rc = pthread_barrier_wait(&bar);
    if (rc == PTHREAD_BARRIER_SERIAL_THREAD) atomic_fetch_add(&serial[r], 1);
    else if (rc != 0) fail("barrier_wait error");
    long s = 0;
    for (int j = 0; j < THREADS; j++) {
      if (data[r][j] != f(r, j)) bad[id]++;
      s += data[r][j];
    }
    round_sum[id][r] = s;
  }
  return NULL;
}

int main(void) {
  pthread_barrier_t b0;
  expect("barrier_init count 0", pthread_barrier_init(&b0, NULL, 0), EINVAL);
  pthread_barrierattr_t ba;
  pthread_barrierattr_init(&ba);
  expect("barrierattr_setpshared(42)", pthread_barrierattr_setpshared(&ba, 42), EINVAL);
  expect("barrierattr_setpshared(PRIVATE)", pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_PRIVATE), 0);
  if (pthread_barrier_init(&bar, &ba, THREADS) != 0) fail("barrier_init");
  pthread_barrierattr_destroy(&ba);

  pthread_t th[THREADS];
  for (long i = 0; i < THREADS; i++)
    if (pthread_create(&th[i], NULL, worker, (void *)i)) fail("create");
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);

  int rounds_ok = 0;
  long total = 0;
  for (int r = 0; r < ROUNDS; r++) {
    long want = 0;
    for (int j = 0; j < THREADS; j++) want += f(r, j);
    int ok = atomic_load(&serial[r]) == 1;
    for (int i = 0; i < THREADS; i++) ok &= round_sum[i][r] == want;
    rounds_ok += ok;
    total += want;
  }
  int nbad = 0;
  for (int i = 0; i < THREADS; i++) nbad += bad[i];
  printf("rounds with exactly one serial thread and correct data: %d/%d\n", rounds_ok, ROUNDS);
  printf("stale reads: %d, total=%ld\n", nbad, total);
  if (rounds_ok != ROUNDS || nbad) fail("barrier rounds");
  expect("barrier_destroy", pthread_barrier_destroy(&bar), 0);

  /* a barrier of one never blocks and always elects the caller */
  if (pthread_barrier_init(&b0, NULL, 1)) fail("init 1");
  int serials = 0;
  for (int i = 0; i < 10; i++) serials += pthread_barrier_wait(&b0) == PTHREAD_BARRIER_SERIAL_THREAD;
  printf("barrier of 1: serial %d/10\n", serials);
  if (serials != 10) fail("barrier of 1");
  pthread_barrier_destroy(&b0);
  return 0;
}
