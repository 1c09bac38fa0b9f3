/* Contended counters under static, dynamic, adaptive mutexes and a
 * trylock spin loop; totals must be exact. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 16
#define ITERS 20000

static void fail(const char *what) { printf("FAIL: %s\n", what); exit(1); }

static pthread_mutex_t static_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t dyn_mu;
static pthread_mutex_t adaptive_mu;
static pthread_mutex_t try_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t adaptive_static = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;

static long c_static, c_dyn, c_adaptive, c_try, c_adaptive_static;
static long try_busy[THREADS];

static void *worker(void *arg) {
  int id = (int)(long)arg;
  for (int i = 0; i < ITERS; i++) {
    if (pthread_mutex_lock(&static_mu) != 0) fail("lock static");
    c_static++;
    if (pthread_mutex_unlock(&static_mu) != 0) fail("unlock static");

    if (pthread_mutex_lock(&dyn_mu) != 0) fail("lock dyn");
    long v = c_dyn; /* non-atomic read-modify-write with a gap */
    if ((i & 255) == 0) sched_yield();
    c_dyn = v + 1;
    if (pthread_mutex_unlock(&dyn_mu) != 0) fail("unlock dyn");

    if (pthread_mutex_lock(&adaptive_mu) != 0) fail("lock adaptive");
    c_adaptive++;
    if (pthread_mutex_unlock(&adaptive_mu) != 0) fail("unlock adaptive");

    if (pthread_mutex_lock(&adaptive_static) != 0) fail("lock adaptive static");
    c_adaptive_static++;
    if (pthread_mutex_unlock(&adaptive_static) != 0) fail("unlock adaptive static");
  }
  /* trylock loop: fewer iterations, spin with yield on EBUSY */
  for (int i = 0; i < ITERS / 4; i++) {
    int rc;
    while ((rc = pthread_mutex_trylock(&try_mu)) != 0) {
      if (rc != EBUSY) fail("trylock returned non-EBUSY error");
      try_busy[id]++;
      sched_yield();
    }
    c_try++;
    if (pthread_mutex_unlock(&try_mu) != 0) fail("unlock try");
  }
  return NULL;
}

int main(void) {
  pthread_mutexattr_t ma;
  if (pthread_mutex_init(&dyn_mu, NULL) != 0) fail("init dyn");
  pthread_mutexattr_init(&ma);
  if (pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP) != 0) fail("settype adaptive");
  int type = -1;
  pthread_mutexattr_gettype(&ma, &type);
  if (type != PTHREAD_MUTEX_ADAPTIVE_NP) fail("gettype adaptive");
  if (pthread_mutex_init(&adaptive_mu, &ma) != 0) fail("init adaptive");
  pthread_mutexattr_destroy(&ma);

  pthread_t th[THREADS];
  for (long i = 0; i < THREADS; i++)
    if (pthread_create(&th[i], NULL, worker, (void *)i) != 0) fail("create");
  for (int i = 0; i < THREADS; i++)
    if (pthread_join(th[i], NULL) != 0) fail("join");

  long want = (long)THREADS * ITERS;
  printf("static mutex counter: %ld (expected %ld)\n", c_static, want);
  printf("init'ed mutex counter: %ld (expected %ld)\n", c_dyn, want);
  printf("adaptive mutex counter: %ld (expected %ld)\n", c_adaptive, want);
  printf("adaptive static mutex counter: %ld (expected %ld)\n", c_adaptive_static, want);
  printf("trylock counter: %ld (expected %ld)\n", c_try, want / 4);
  if (c_static != want || c_dyn != want || c_adaptive != want ||
      c_adaptive_static != want || c_try != want / 4)
    fail("counter mismatch");

  /* trylock on a free mutex succeeds; on a held one (same thread, normal) EBUSY */
  if (pthread_mutex_trylock(&try_mu) != 0) fail("trylock free");
  int rc = pthread_mutex_trylock(&try_mu);
  printf("trylock on held mutex: %s\n", rc == EBUSY ? "EBUSY" : "unexpected");
  if (rc != EBUSY) fail("trylock held");
  pthread_mutex_unlock(&try_mu);

  if (pthread_mutex_destroy(&dyn_mu) != 0) fail("destroy dyn");
  if (pthread_mutex_destroy(&adaptive_mu) != 0) fail("destroy adaptive");
  printf("destroy: ok\n");
  return 0;
}
