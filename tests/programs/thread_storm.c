/* Create and join many threads in waves; results come back via return and
 * via pthread_exit. Detached threads report completion through a semaphore
 * and through a counter + condition variable. */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAVES 20
#define PER_WAVE 200
#define DETACHED 500

static void fail(const char *what) { printf("FAIL: %s\n", what); exit(1); }

static uint64_t work(uint64_t x) {
  uint64_t h = x * 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < 100; i++) h = (h ^ (h >> 29)) * 0xBF58476D1CE4E5B9ull;
  return h & 0xffff;
}

static void *by_return(void *arg) {
  return (void *)(uintptr_t)work((uintptr_t)arg);
}

static void nested_exit(uintptr_t v) {
  pthread_exit((void *)(uintptr_t)work(v));
}

static void *by_exit(void *arg) {
  nested_exit((uintptr_t)arg);
  return NULL; /* not reached */
}

static sem_t done_sem;
static pthread_mutex_t cnt_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cnt_cv = PTHREAD_COND_INITIALIZER;
static int cnt_done;
static uint64_t detached_sum;

static void *detached_sem(void *arg) {
  uint64_t v = work((uintptr_t)arg);
  pthread_mutex_lock(&cnt_mu);
  detached_sum += v;
  pthread_mutex_unlock(&cnt_mu);
  if (sem_post(&done_sem) != 0) fail("sem_post");
  return NULL;
}

static void *detached_cv(void *arg) {
  uint64_t v = work((uintptr_t)arg);
  pthread_mutex_lock(&cnt_mu);
  detached_sum += v;
  cnt_done++;
  pthread_cond_signal(&cnt_cv);
  pthread_mutex_unlock(&cnt_mu);
  return NULL;
}

int main(void) {
  static pthread_t th[PER_WAVE];
  uint64_t expect = 0, got = 0;
  for (int w = 0; w < WAVES; w++) {
    for (int i = 0; i < PER_WAVE; i++) {
      uintptr_t arg = (uintptr_t)(w * PER_WAVE + i);
      expect += work(arg);
      int rc = pthread_create(&th[i], NULL, (i & 1) ? by_exit : by_return, (void *)arg);
      if (rc != 0) { printf("FAIL: pthread_create rc=%d\n", rc); return 1; }
    }
    for (int i = 0; i < PER_WAVE; i++) {
      void *ret;
      if (pthread_join(th[i], &ret) != 0) fail("pthread_join");
      got += (uintptr_t)ret;
    }
  }
  if (got != expect) fail("joined sum mismatch");
  printf("waves=%d threads=%d joined sum: ok (%llu)\n", WAVES, WAVES * PER_WAVE,
         (unsigned long long)got);

  /* Detached threads (pthread_detach after create, and attr-detached). */
  if (sem_init(&done_sem, 0, 0) != 0) fail("sem_init");
  pthread_attr_t da;
  pthread_attr_init(&da);
  pthread_attr_setdetachstate(&da, PTHREAD_CREATE_DETACHED);
  uint64_t dexpect = 0;
  for (int i = 0; i < DETACHED; i++) {
    pthread_t t;
    uintptr_t arg = 100000 + i;
    dexpect += work(arg);
    if (i & 1) {
      if (pthread_create(&t, &da, detached_sem, (void *)arg) != 0) fail("create detached attr");
    } else {
      if (pthread_create(&t, NULL, detached_sem, (void *)arg) != 0) fail("create");
      if (pthread_detach(t) != 0) fail("pthread_detach");
    }
  }
  for (int i = 0; i < DETACHED; i++)
    if (sem_wait(&done_sem) != 0) fail("sem_wait");
  int v = -1;
  sem_getvalue(&done_sem, &v);
  if (v != 0) fail("semaphore not drained");
  printf("detached via semaphore: %d done\n", DETACHED);

  for (int i = 0; i < DETACHED; i++) {
    pthread_t t;
    uintptr_t arg = 200000 + i;
    dexpect += work(arg);
    if (pthread_create(&t, &da, detached_cv, (void *)arg) != 0) fail("create detached cv");
  }
  pthread_mutex_lock(&cnt_mu);
  while (cnt_done < DETACHED) pthread_cond_wait(&cnt_cv, &cnt_mu);
  uint64_t dsum = detached_sum;
  int done = cnt_done;
  pthread_mutex_unlock(&cnt_mu);
  pthread_attr_destroy(&da);
  if (done != DETACHED) fail("cond counter");
  if (dsum != dexpect) fail("detached sum mismatch");
  printf("detached via condvar: %d done\n", done);
  printf("detached sum: ok\n");
  sem_destroy(&done_sem);
  return 0;
}
