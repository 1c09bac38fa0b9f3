/* Thread-specific data: per-thread values, destructors (once per thread
 * with non-NULL value, re-set values, iteration limit), key deletion. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 50

static void fail(const char *what) { printf("FAIL: %s\n", what); exit(1); }
static const char *ename(int e) {
  return e == 0 ? "0" : e == EINVAL ? "EINVAL" : e == EAGAIN ? "EAGAIN" : "other";
}
static void expect(const char *what, int got, int want) {
  printf("%s: %s\n", what, ename(got));
  if (got != want) { printf("FAIL: %s\n", what); exit(1); }
}

static pthread_key_t k_main, k_null, k_reset, k_forever, k_deleted;
static atomic_int d_main, d_null, d_reset, d_forever, d_deleted;
static int slot[N];             /* destructor of k_main bumps slot[id] */
static int reset_rounds[N];
static int fresh_null[N], value_ok[N];
static int forever_rounds[N];

static void dtor_main(void *v) { atomic_fetch_add(&d_main, 1); (*(int *)v)++; }
static void dtor_null(void *v) { atomic_fetch_add(&d_null, 1); }
static void dtor_reset(void *v) {
  intptr_t x = (intptr_t)v; /* id*2+1 first, id*2+2 after re-set */
  atomic_fetch_add(&d_reset, 1);
  reset_rounds[(x - 1) / 2]++;
  if (x % 2 == 1) pthread_setspecific(k_reset, (void *)(x + 1));
}
static void dtor_forever(void *v) {
  atomic_fetch_add(&d_forever, 1);
  forever_rounds[(intptr_t)v - 1]++;
  pthread_setspecific(k_forever, v);
}
static void dtor_deleted(void *v) { atomic_fetch_add(&d_deleted, 1); }

static pthread_barrier_t bar;

static void *worker(void *arg) {
  intptr_t id = (intptr_t)arg;
  fresh_null[id] = pthread_getspecific(k_main) == NULL && pthread_getspecific(k_reset) == NULL;
  if (pthread_setspecific(k_main, &slot[id])) fail("setspecific");
  if (pthread_setspecific(k_null, (void *)1)) fail("setspecific");
  if (pthread_setspecific(k_null, NULL)) fail("setspecific NULL");
  if (pthread_setspecific(k_reset, (void *)(id * 2 + 1))) fail("setspecific");
  if (id < 5 && pthread_setspecific(k_forever, (void *)(id + 1))) fail("setspecific");
  if (pthread_setspecific(k_deleted, (void *)2)) fail("setspecific");
  pthread_barrier_wait(&bar); /* everybody has set; values must not interfere */
  value_ok[id] = pthread_getspecific(k_main) == &slot[id] &&
                 pthread_getspecific(k_reset) == (void *)(id * 2 + 1) &&
                 pthread_getspecific(k_null) == NULL;
  pthread_barrier_wait(&bar); /* main deletes k_deleted now */
  pthread_barrier_wait(&bar);
  if (id & 1) pthread_exit(NULL);
  return NULL;
}

static pthread_key_t k_old;
static sem_t s1, s2;
static void *reuse_thread(void *arg) {
  pthread_setspecific(k_old, (void *)7);
  sem_post(&s1);
  sem_wait(&s2); /* main deletes k_old and creates a new key */
  return (void *)(intptr_t)(pthread_getspecific(*(pthread_key_t *)arg) == NULL);
}

int main(void) {
  if (pthread_key_create(&k_main, dtor_main) || pthread_key_create(&k_null, dtor_null) ||
      pthread_key_create(&k_reset, dtor_reset) || pthread_key_create(&k_forever, dtor_forever) ||
      pthread_key_create(&k_deleted, dtor_deleted))
    fail("key_create");
  printf("getspecific of fresh key in main is NULL: %s\n", pthread_getspecific(k_main) ? "no" : "yes");
  pthread_barrier_init(&bar, NULL, N + 1);
  pthread_t th[N];
  for (intptr_t i = 0; i < N; i++)
    if (pthread_create(&th[i], NULL, worker, (void *)i)) fail("create");
  pthread_barrier_wait(&bar);
  pthread_barrier_wait(&bar);
  expect("key_delete with live values", pthread_key_delete(k_deleted), 0);
  pthread_barrier_wait(&bar);
  for (int i = 0; i < N; i++) pthread_join(th[i], NULL);

  int fresh = 0, vals = 0, once = 0, twice = 0, forever_ok = 0;
  for (int i = 0; i < N; i++) {
    fresh += fresh_null[i]; vals += value_ok[i];
    once += slot[i] == 1; twice += reset_rounds[i] == 2;
  }
  for (int i = 0; i < 5; i++) forever_ok += forever_rounds[i] == PTHREAD_DESTRUCTOR_ITERATIONS;
  printf("fresh keys NULL in new threads: %d/%d\n", fresh, N);
  printf("values private per thread: %d/%d\n", vals, N);
  printf("destructor ran exactly once with the thread's value: %d/%d (calls %d)\n", once, N, atomic_load(&d_main));
  printf("destructor calls for NULL values: %d\n", atomic_load(&d_null));
  printf("re-setting destructor ran exactly twice: %d/%d\n", twice, N);
  printf("always-re-setting destructor ran PTHREAD_DESTRUCTOR_ITERATIONS (%d) times: %d/5\n",
         PTHREAD_DESTRUCTOR_ITERATIONS, forever_ok);
  printf("destructor calls for deleted key: %d\n", atomic_load(&d_deleted));
  if (fresh != N || vals != N || once != N || atomic_load(&d_main) != N || atomic_load(&d_null) ||
      twice != N || atomic_load(&d_reset) != 2 * N || forever_ok != 5 || atomic_load(&d_deleted))
    fail("destructor semantics");

  expect("setspecific on deleted key", pthread_setspecific(k_deleted, (void *)1), EINVAL);
  expect("key_delete twice", pthread_key_delete(k_deleted), EINVAL);

  /* a new key (likely reusing the deleted slot) starts NULL in a thread
   * that had a value under the old key */
  pthread_key_t k_new;
  pthread_t t;
  void *r;
  if (pthread_key_create(&k_old, NULL)) fail("create k_old");
  sem_init(&s1, 0, 0); sem_init(&s2, 0, 0);
  if (pthread_create(&t, NULL, reuse_thread, &k_new)) fail("create");
  sem_wait(&s1);
  pthread_key_delete(k_old);
  if (pthread_key_create(&k_new, NULL)) fail("create k_new");
  sem_post(&s2);
  pthread_join(t, &r);
  printf("recreated key reads NULL in a thread that set the old one: %s\n", r ? "yes" : "no");
  if (!r) fail("key reuse");

  /* key exhaustion */
  static pthread_key_t many[PTHREAD_KEYS_MAX + 1];
  int n = 0, rc = 0;
  while (n <= PTHREAD_KEYS_MAX && (rc = pthread_key_create(&many[n], NULL)) == 0) n++;
  expect("key_create until exhausted", rc, EAGAIN);
  printf("created at most PTHREAD_KEYS_MAX keys: %s\n", n <= PTHREAD_KEYS_MAX && n > 900 ? "yes" : "no");
  for (int i = 0; i < n; i++)
    if (pthread_key_delete(many[i])) fail("key_delete many");
  expect("key_create after freeing", pthread_key_create(&many[0], NULL), 0);
  return 0;
}
