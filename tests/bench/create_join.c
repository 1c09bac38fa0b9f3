// create_join.c — thread lifecycle cost.
//
// usage: create_join [N]   (default 20000)
// Phase 1 (timed for the result line): create one thread and join it, N times.
// Phase 2 (reported on its own line): create 100 threads, join all 100, until N.
// Prints "checksum: ..." (deterministic) and "result: <seconds> s ..." for phase 1.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BATCH 100

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Each thread returns a small function of its argument, so the joins can be
// checked: the sum of results is known in advance.
static void* body(void* arg) {
  uintptr_t x = (uintptr_t)arg;
  return (void*)(x * 3 + 1);
}

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 20000;
  if (n <= 0) {
    fprintf(stderr, "usage: create_join [N]\n");
    return 2;
  }
  unsigned long long seq_sum = 0, batch_sum = 0, want = 0;
  for (long i = 0; i < n; i++) want += (unsigned long long)i * 3 + 1;

  double t0 = now();
  for (long i = 0; i < n; i++) {
    pthread_t t;
    void* ret;
    if (pthread_create(&t, NULL, body, (void*)(uintptr_t)i) != 0) {
      perror("pthread_create");
      return 1;
    }
    pthread_join(t, &ret);
    seq_sum += (uintptr_t)ret;
  }
  double seq = now() - t0;

  t0 = now();
  for (long i = 0; i < n; i += BATCH) {
    pthread_t ts[BATCH];
    long k = n - i < BATCH ? n - i : BATCH;
    for (long j = 0; j < k; j++)
      if (pthread_create(&ts[j], NULL, body, (void*)(uintptr_t)(i + j)) != 0) {
        perror("pthread_create");
        return 1;
      }
    for (long j = 0; j < k; j++) {
      void* ret;
      pthread_join(ts[j], &ret);
      batch_sum += (uintptr_t)ret;
    }
  }
  double batch = now() - t0;

  printf("checksum: sequential=%llu batched=%llu expected=%llu\n", seq_sum, batch_sum, want);
  printf("batched: %.6f s %ld threads, %d at a time (%.3f us each)\n", batch, n, BATCH,
         batch / n * 1e6);
  printf("result: %.6f s %ld sequential create+join (%.3f us each)\n", seq, n, seq / n * 1e6);
  return seq_sum == want && batch_sum == want ? 0 : 1;
}
