/* pthread_join family: return values, tryjoin/timedjoin/clockjoin, joins
 * that must fail, detach, stack size attributes and user stacks. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void fail(const char *what) { printf("FAIL: %s\n", what); exit(1); }
static const char *ename(int e) {
  switch (e) {
  case 0: return "0"; case EBUSY: return "EBUSY"; case EDEADLK: return "EDEADLK";
  case ETIMEDOUT: return "ETIMEDOUT"; case EINVAL: return "EINVAL"; case ESRCH: return "ESRCH";
  default: return "other";
  }
}
static void expect(const char *what, int got, int want) {
  printf("%s: %s\n", what, ename(got));
  if (got != want) { printf("FAIL: %s\n", what); exit(1); }
}
static struct timespec deadline(clockid_t c, long ms) {
  struct timespec t;
  clock_gettime(c, &t);
  t.tv_sec += ms / 1000;
  t.tv_nsec += (ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) { t.tv_sec++; t.tv_nsec -= 1000000000L; }
  return t;
}

static sem_t go, done;
static void *blocker(void *arg) { /* waits for go, then returns arg + 1 */
  if (sem_wait(&go)) fail("sem_wait go");
  sem_post(&done);
  return (void *)((uintptr_t)arg + 1);
}
static void *ret_value(void *arg) { return (void *)((uintptr_t)arg * 3); }
static void *self_join(void *arg) { return (void *)(long)pthread_join(pthread_self(), NULL); }

static void *big_stack_user(void *arg) {
  volatile char buf[100 * 1024];
  memset((char *)buf, 0x5a, sizeof buf);
  long s = 0;
  for (size_t i = 0; i < sizeof buf; i += 512) s += buf[i];
  return (void *)s;
}

static char *user_stack;
static size_t user_stack_size = 1 << 20;
static void *on_user_stack(void *arg) {
  int local = 7;
  char *p = (char *)&local;
  big_stack_user(NULL); /* and use a good part of it */
  return (void *)(uintptr_t)(p >= user_stack && p < user_stack + user_stack_size && local == 7);
}

int main(void) {
  void *ret;
  pthread_t t;
  sem_init(&go, 0, 0);
  sem_init(&done, 0, 0);

  for (uintptr_t i = 1; i <= 3; i++) {
    if (pthread_create(&t, NULL, ret_value, (void *)i)) fail("create");
    expect("join", pthread_join(t, &ret), 0);
    printf("  returned %lu\n", (unsigned long)(uintptr_t)ret);
    if ((uintptr_t)ret != i * 3) fail("join value");
  }
  if (pthread_create(&t, NULL, ret_value, (void *)5)) fail("create");
  expect("join with NULL retval", pthread_join(t, NULL), 0);

  /* tryjoin */
  if (pthread_create(&t, NULL, blocker, (void *)10)) fail("create");
  expect("tryjoin_np on running thread", pthread_tryjoin_np(t, &ret), EBUSY);
  sem_post(&go);
  sem_wait(&done);
  int rc = EBUSY;
  for (int i = 0; i < 3000 && rc == EBUSY; i++) { /* it still has to finish exiting */
    rc = pthread_tryjoin_np(t, &ret);
    if (rc == EBUSY) usleep(1000);
  }
  expect("tryjoin_np after it finished", rc, 0);
  printf("  returned %lu\n", (unsigned long)(uintptr_t)ret);

  /* timedjoin / clockjoin */
  if (pthread_create(&t, NULL, blocker, (void *)20)) fail("create");
  struct timespec d = deadline(CLOCK_REALTIME, 100);
  expect("timedjoin_np +100ms on blocked thread", pthread_timedjoin_np(t, &ret, &d), ETIMEDOUT);
  d = deadline(CLOCK_MONOTONIC, 100);
  expect("clockjoin_np MONOTONIC +100ms on blocked thread", pthread_clockjoin_np(t, &ret, CLOCK_MONOTONIC, &d), ETIMEDOUT);
  sem_post(&go);
  d = deadline(CLOCK_REALTIME, 5000);
  expect("timedjoin_np after release", pthread_timedjoin_np(t, &ret, &d), 0);
  printf("  returned %lu\n", (unsigned long)(uintptr_t)ret);
  sem_wait(&done);
  if (pthread_create(&t, NULL, blocker, (void *)30)) fail("create");
  usleep(20000);
  sem_post(&go);
  d = deadline(CLOCK_MONOTONIC, 5000);
  expect("clockjoin_np MONOTONIC after release", pthread_clockjoin_np(t, &ret, CLOCK_MONOTONIC, &d), 0);
  printf("  returned %lu\n", (unsigned long)(uintptr_t)ret);
  sem_wait(&done);

  /* joins that must fail */
  expect("join self", pthread_join(pthread_self(), NULL), EDEADLK);
  if (pthread_create(&t, NULL, self_join, NULL)) fail("create");
  pthread_join(t, &ret);
  expect("join self in a created thread", (int)(long)ret, EDEADLK);
  if (pthread_create(&t, NULL, blocker, (void *)40)) fail("create");
  expect("detach running thread", pthread_detach(t), 0);
  expect("detach it again", pthread_detach(t), EINVAL);
  expect("join detached (still blocked) thread", pthread_join(t, NULL), EINVAL);
  /* glibc's tryjoin checks "still running" before "detached" */
  expect("tryjoin_np detached (still blocked) thread", pthread_tryjoin_np(t, NULL), EBUSY);
  sem_post(&go);
  sem_wait(&done);

  /* detach after the thread has returned */
  if (pthread_create(&t, NULL, ret_value, (void *)1)) fail("create");
  usleep(50000);
  expect("detach after exit", pthread_detach(t), 0);

  /* detached by attribute */
  pthread_attr_t a;
  pthread_attr_init(&a);
  expect("setdetachstate(42)", pthread_attr_setdetachstate(&a, 42), EINVAL);
  expect("setdetachstate(DETACHED)", pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED), 0);
  int ds = -1;
  pthread_attr_getdetachstate(&a, &ds);
  printf("getdetachstate is DETACHED: %s\n", ds == PTHREAD_CREATE_DETACHED ? "yes" : "no");
  if (pthread_create(&t, &a, blocker, (void *)50)) fail("create detached");
  expect("join attr-detached (still blocked) thread", pthread_join(t, NULL), EINVAL);
  sem_post(&go);
  sem_wait(&done);
  pthread_attr_destroy(&a);

  /* stack size */
  pthread_attr_init(&a);
  expect("setstacksize(PTHREAD_STACK_MIN - 1)", pthread_attr_setstacksize(&a, PTHREAD_STACK_MIN - 1), EINVAL);
  expect("setstacksize(256 KiB)", pthread_attr_setstacksize(&a, 256 * 1024), 0);
  size_t ss = 0;
  pthread_attr_getstacksize(&a, &ss);
  printf("getstacksize: %zu\n", ss);
  if (pthread_create(&t, &a, big_stack_user, NULL)) fail("create 256K");
  expect("join 256 KiB-stack thread using 100 KiB", pthread_join(t, &ret), 0);
  printf("  stack sum %ld\n", (long)ret);
  if ((long)ret != 0x5a * 200L) fail("stack sum");
  pthread_attr_destroy(&a);

  /* user-provided stack */
  if (posix_memalign((void **)&user_stack, 65536, user_stack_size)) fail("posix_memalign");
  pthread_attr_init(&a);
  expect("setstack(1 MiB user memory)", pthread_attr_setstack(&a, user_stack, user_stack_size), 0);
  void *sa = NULL;
  pthread_attr_getstack(&a, &sa, &ss);
  printf("getstack returns what was set: %s\n", sa == user_stack && ss == user_stack_size ? "yes" : "no");
  if (pthread_create(&t, &a, on_user_stack, NULL)) fail("create on user stack");
  expect("join user-stack thread", pthread_join(t, &ret), 0);
  printf("local variable lies in the user stack: %s\n", ret ? "yes" : "no");
  if (!ret) fail("user stack");
  pthread_attr_destroy(&a);
  free(user_stack);
  return 0;
}
