// contend.c — many threads fighting over one mutex.
//
// usage: contend [THREADS [ITERATIONS]]   (default 2000 threads x 200 lock/unlock)
// All threads are created first and wait on a start gate (mutex + condvar), so
// the timed part is the contention, not thread creation.
// Prints "checksum: ..." (deterministic) and "result: <seconds> s ...".
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long iterations;
// The critical section: a counter and a running hash that do not depend on
// the order in which threads enter (sum of per-step values).
static unsigned long long counter, hash_sum;

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static unsigned long long mix(unsigned long long x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}

static void* worker(void* arg) {
  uintptr_t id = (uintptr_t)arg;
  pthread_mutex_lock(&gate_mu);
  while (!gate_open) pthread_cond_wait(&gate_cv, &gate_mu);
  pthread_mutex_unlock(&gate_mu);
  for (long i = 0; i < iterations; i++) {
    unsigned long long v = mix(id * 1000003u + (unsigned long long)i);
    pthread_mutex_lock(&mu);
    counter++;
    hash_sum += v;
    pthread_mutex_unlock(&mu);
  }
  return NULL;
}

int main(int argc, char** argv) {
  long nthreads = argc > 1 ? atol(argv[1]) : 2000;
  iterations = argc > 2 ? atol(argv[2]) : 200;
  if (nthreads <= 0 || iterations <= 0) {
    fprintf(stderr, "usage: contend [THREADS [ITERATIONS]]\n");
    return 2;
  }
  pthread_t* ts = calloc(nthreads, sizeof *ts);
  for (long i = 0; i < nthreads; i++)
    if (pthread_create(&ts[i], NULL, worker, (void*)(uintptr_t)i) != 0) {
      perror("pthread_create");
      return 1;
    }
  double t0 = now();
  pthread_mutex_lock(&gate_mu);
  gate_open = 1;
  pthread_cond_broadcast(&gate_cv);
  pthread_mutex_unlock(&gate_mu);
  for (long i = 0; i < nthreads; i++) pthread_join(ts[i], NULL);
  double dt = now() - t0;

  unsigned long long want = 0;
  for (long id = 0; id < nthreads; id++)
    for (long i = 0; i < iterations; i++) want += mix((unsigned long long)id * 1000003u + i);
  printf("checksum: count=%llu hash=%016llx ok=%d\n", counter, hash_sum, hash_sum == want);
  printf("result: %.6f s %ld threads x %ld lock/unlock on one mutex\n", dt, nthreads,
         iterations);
  free(ts);
  return counter == (unsigned long long)nthreads * iterations && hash_sum == want ? 0 : 1;
}
