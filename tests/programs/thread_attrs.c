/* Thread identity and attributes: pthread_self/equal, getattr_np stack
 * bounds, setname/getname, sched_yield. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 8
#define STACK (512 * 1024)

static void fail(const char *what) { printf("FAIL: %s\n", what); exit(1); }
static const char *ename(int e) {
  return e == 0 ? "0" : e == ERANGE ? "ERANGE" : e == EINVAL ? "EINVAL" : e == ESRCH ? "ESRCH" : "other";
}
static void expect(const char *what, int got, int want) {
  printf("%s: %s\n", what, ename(got));
  if (got != want) { printf("FAIL: %s\n", what); exit(1); }
}

static pthread_barrier_t b1, b2;
static pthread_t selfs[N];
static int stack_ok[N], self_stable[N], name_seen_ok[N];
static char mainname[32];

static int check_own_stack(size_t want) {
  pthread_attr_t a;
  void *addr; size_t size; int local = 0;
  if (pthread_getattr_np(pthread_self(), &a)) return 0;
  pthread_attr_getstack(&a, &addr, &size);
  pthread_attr_destroy(&a);
  char *p = (char *)&local;
  return size >= want && p >= (char *)addr && p < (char *)addr + size;
}

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  selfs[id] = pthread_self();
  stack_ok[id] = check_own_stack(STACK);
  pthread_barrier_wait(&b1);                      /* main inspects us now */
  pthread_barrier_wait(&b2);                      /* main renamed us */
  char nm[32];
  char want[16];
  snprintf(want, sizeof want, "worker-%d", id);
  name_seen_ok[id] = pthread_getname_np(pthread_self(), nm, sizeof nm) == 0 && strcmp(nm, want) == 0;
  self_stable[id] = pthread_equal(selfs[id], pthread_self()) != 0;
  return NULL;
}

static void *default_name(void *arg) {
  char nm[32];
  if (pthread_getname_np(pthread_self(), nm, sizeof nm)) return NULL;
  return (void *)(intptr_t)(strcmp(nm, mainname) == 0);
}

int main(void) {
  pthread_t th[N];
  pthread_attr_t a;
  pthread_barrier_init(&b1, NULL, N + 1);
  pthread_barrier_init(&b2, NULL, N + 1);
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, STACK);
  for (intptr_t i = 0; i < N; i++)
    if (pthread_create(&th[i], &a, worker, (void *)i)) fail("create");
  pthread_attr_destroy(&a);
  pthread_barrier_wait(&b1);

  int eq_create = 0, distinct = 1, not_main = 1, ext_stack = 0;
  for (int i = 0; i < N; i++) {
    eq_create += pthread_equal(th[i], selfs[i]) != 0;
    if (pthread_equal(th[i], pthread_self())) not_main = 0;
    for (int j = 0; j < N; j++)
      if (i != j && pthread_equal(selfs[i], selfs[j])) distinct = 0;
    /* inspect the (blocked) thread from outside */
    void *addr; size_t size;
    if (pthread_getattr_np(th[i], &a) == 0) {
      pthread_attr_getstack(&a, &addr, &size);
      int ds = -1;
      pthread_attr_getdetachstate(&a, &ds);
      pthread_attr_destroy(&a);
      ext_stack += size >= STACK && ds == PTHREAD_CREATE_JOINABLE;
    }
  }
  printf("pthread_self in thread equals create's handle: %d/%d\n", eq_create, N);
  printf("thread handles pairwise distinct: %s\n", distinct ? "yes" : "no");
  printf("no thread equals main: %s\n", not_main ? "yes" : "no");
  printf("pthread_equal(self, self): %s\n", pthread_equal(pthread_self(), pthread_self()) ? "yes" : "no");
  printf("getattr_np from outside: stack >= %d and joinable: %d/%d\n", STACK, ext_stack, N);
  if (eq_create != N || !distinct || !not_main || ext_stack != N) fail("identity");

  /* names */
  if (pthread_getname_np(pthread_self(), mainname, sizeof mainname)) fail("getname main");
  char nm[64];
  for (int i = 0; i < N; i++) {
    snprintf(nm, sizeof nm, "worker-%d", i);
    if (pthread_setname_np(th[i], nm)) fail("setname other thread");
  }
  char back[16];
  expect("getname of another thread", pthread_getname_np(th[3], back, sizeof back), 0);
  printf("  name: %s\n", back);
  expect("setname 16 chars", pthread_setname_np(th[0], "abcdefghijklmnop"), ERANGE);
  expect("setname 15 chars", pthread_setname_np(th[0], "worker-0-15char"), 0);
  expect("getname with 15-byte buffer", pthread_getname_np(th[0], back, 15), ERANGE);
  expect("getname with 16-byte buffer", pthread_getname_np(th[0], back, 16), 0);
  printf("  name: %s\n", back);
  pthread_setname_np(th[0], "worker-0");
  /* glibc refuses any buffer shorter than 16 bytes, even for a short name */
  expect("getname of \"worker-0\" with 12-byte buffer", pthread_getname_np(th[0], back, 12), ERANGE);
  expect("setname self", pthread_setname_np(pthread_self(), "main-renamed"), 0);
  expect("getname self", pthread_getname_np(pthread_self(), back, sizeof back), 0);
  printf("  name: %s\n", back);
  pthread_setname_np(pthread_self(), mainname);
  pthread_barrier_wait(&b2);

  int names = 0, stable = 0, own = 0;
  for (int i = 0; i < N; i++) {
    if (pthread_join(th[i], NULL)) fail("join");
    names += name_seen_ok[i]; stable += self_stable[i]; own += stack_ok[i];
  }
  printf("thread sees the name main gave it: %d/%d\n", names, N);
  printf("pthread_self stable across blocking: %d/%d\n", stable, N);
  printf("getattr_np(self): stack >= %d and contains a local: %d/%d\n", STACK, own, N);
  if (names != N || stable != N || own != N) fail("per-thread checks");

  pthread_t t;
  void *r;
  if (pthread_create(&t, NULL, default_name, NULL)) fail("create");
  pthread_join(t, &r);
  printf("new thread inherits creator's name: %s\n", r ? "yes" : "no");
  if (!r) fail("default name");

  /* main thread's own stack as reported by getattr_np */
  int local = 1;
  void *addr; size_t size;
  if (pthread_getattr_np(pthread_self(), &a)) fail("getattr_np main");
  pthread_attr_getstack(&a, &addr, &size);
  pthread_attr_destroy(&a);
  int in = (char *)&local >= (char *)addr && (char *)&local < (char *)addr + size;
  printf("main: getattr_np stack contains a local: %s\n", in ? "yes" : "no");
  if (!in) fail("main stack");

  size_t guard = 0;
  pthread_attr_init(&a);
  pthread_attr_getguardsize(&a, &guard);
  pthread_attr_destroy(&a);
  printf("default guard size is one page: %s\n", guard == (size_t)sysconf(_SC_PAGESIZE) ? "yes" : "no");

  int y = 0;
  for (int i = 0; i < 100; i++) y |= sched_yield();
  expect("sched_yield x100", y, 0);
  return 0;
}
