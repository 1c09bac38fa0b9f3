/* Mutex types and error codes: recursive, errorcheck, normal; trylock,
 * timedlock, clocklock. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void fail(const char *what) { printf("FAIL: %s\n", what); exit(1); }

static const char *ename(int e) {
  switch (e) {
  case 0: return "0";
  case EBUSY: return "EBUSY";
  case EDEADLK: return "EDEADLK";
  case EPERM: return "EPERM";
  case EINVAL: return "EINVAL";
  case ETIMEDOUT: return "ETIMEDOUT";
  case EAGAIN: return "EAGAIN";
  default: return "other";
  }
}

static void expect(const char *what, int got, int want) {
  printf("%s: %s\n", what, ename(got));
  if (got != want) { printf("FAIL: %s (wanted %s)\n", what, ename(want)); exit(1); }
}

static struct timespec deadline(clockid_t c, long ms) {
  struct timespec t;
  clock_gettime(c, &t);
  t.tv_sec += ms / 1000;
  t.tv_nsec += (ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L) { t.tv_sec++; t.tv_nsec -= 1000000000L; }
  return t;
}

static int reached(clockid_t c, struct timespec d) {
  struct timespec n;
  clock_gettime(c, &n);
  return n.tv_sec > d.tv_sec || (n.tv_sec == d.tv_sec && n.tv_nsec >= d.tv_nsec);
}

/* Run fn(arg) in another thread and return its int result. */
typedef int (*op_fn)(pthread_mutex_t *);
struct op { op_fn fn; pthread_mutex_t *m; int rc; };
static void *op_thread(void *p) { struct op *o = p; o->rc = o->fn(o->m); return NULL; }
static int in_other_thread(op_fn fn, pthread_mutex_t *m) {
  struct op o = { fn, m, -1 };
  pthread_t t;
  if (pthread_create(&t, NULL, op_thread, &o) != 0) fail("create");
  if (pthread_join(t, NULL) != 0) fail("join");
  return o.rc;
}
static int do_unlock(pthread_mutex_t *m) { return pthread_mutex_unlock(m); }
static int do_trylock(pthread_mutex_t *m) { return pthread_mutex_trylock(m); }
static int do_trylock_unlock(pthread_mutex_t *m) {
  int rc = pthread_mutex_trylock(m);
  if (rc == 0 && pthread_mutex_unlock(m) != 0) fail("unlock after trylock");
  return rc;
}
static int do_timed_100ms(pthread_mutex_t *m) {
  struct timespec d = deadline(CLOCK_REALTIME, 100);
  int rc = pthread_mutex_timedlock(m, &d);
  if (rc == ETIMEDOUT && !reached(CLOCK_REALTIME, d)) fail("timedlock returned before deadline");
  return rc;
}
static int do_timed_badnsec(pthread_mutex_t *m) {
  struct timespec d = deadline(CLOCK_REALTIME, 0);
  d.tv_nsec = 2000000000L;
  return pthread_mutex_timedlock(m, &d);
}
static int do_clock_mono_100ms(pthread_mutex_t *m) {
  struct timespec d = deadline(CLOCK_MONOTONIC, 100);
  int rc = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &d);
  if (rc == ETIMEDOUT && !reached(CLOCK_MONOTONIC, d)) fail("clocklock returned before deadline");
  return rc;
}

static pthread_mutex_t rec_static = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_mutex_t ec_static = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static pthread_mutex_t normal = PTHREAD_MUTEX_INITIALIZER;

static void recursive_depth(const char *name, pthread_mutex_t *m) {
  char buf[128];
  for (int i = 0; i < 5; i++)
    if (pthread_mutex_lock(m) != 0) fail("recursive lock");
  snprintf(buf, sizeof buf, "%s trylock by owner at depth 5", name);
  expect(buf, pthread_mutex_trylock(m), 0);
  snprintf(buf, sizeof buf, "%s trylock by other thread", name);
  expect(buf, in_other_thread(do_trylock, m), EBUSY);
  snprintf(buf, sizeof buf, "%s unlock by non-owner", name);
  expect(buf, in_other_thread(do_unlock, m), EPERM);
  for (int i = 0; i < 6; i++)
    if (pthread_mutex_unlock(m) != 0) fail("recursive unlock");
  snprintf(buf, sizeof buf, "%s unlock when unlocked", name);
  expect(buf, pthread_mutex_unlock(m), EPERM);
  snprintf(buf, sizeof buf, "%s trylock by other thread after release", name);
  expect(buf, in_other_thread(do_trylock_unlock, m), 0);
  snprintf(buf, sizeof buf, "%s destroy", name);
  expect(buf, pthread_mutex_destroy(m), 0);
}

struct release_arg { pthread_mutex_t *m; long ms; };
static void *release_later(void *p) {
  struct release_arg *a = p;
  if (pthread_mutex_lock(a->m) != 0) fail("lock in releaser");
  usleep(a->ms * 1000);
  pthread_mutex_unlock(a->m);
  return NULL;
}

int main(void) {
  pthread_mutexattr_t ma;
  pthread_mutex_t rec_attr, ec_attr;

  /* recursive */
  recursive_depth("static recursive", &rec_static);
  pthread_mutexattr_init(&ma);
  if (pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE) != 0) fail("settype rec");
  if (pthread_mutex_init(&rec_attr, &ma) != 0) fail("init rec");
  recursive_depth("attr recursive", &rec_attr);
  expect("mutexattr_settype(999)", pthread_mutexattr_settype(&ma, 999), EINVAL);

  /* errorcheck, static and attr-initialised */
  if (pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK) != 0) fail("settype ec");
  if (pthread_mutex_init(&ec_attr, &ma) != 0) fail("init ec");
  pthread_mutexattr_destroy(&ma);
  pthread_mutex_t *ecs[2] = { &ec_static, &ec_attr };
  for (int k = 0; k < 2; k++) {
    pthread_mutex_t *m = ecs[k];
    printf("-- errorcheck %s\n", k ? "attr" : "static");
    expect("errorcheck unlock when unlocked", pthread_mutex_unlock(m), EPERM);
    expect("errorcheck lock", pthread_mutex_lock(m), 0);
    expect("errorcheck relock by owner", pthread_mutex_lock(m), EDEADLK);
    expect("errorcheck trylock by owner", pthread_mutex_trylock(m), EBUSY);
    struct timespec d = deadline(CLOCK_REALTIME, 100);
    expect("errorcheck timedlock by owner", pthread_mutex_timedlock(m, &d), EDEADLK);
    expect("errorcheck unlock by non-owner", in_other_thread(do_unlock, m), EPERM);
    expect("errorcheck trylock by other thread", in_other_thread(do_trylock, m), EBUSY);
    expect("errorcheck destroy while locked", pthread_mutex_destroy(m), EBUSY);
    expect("errorcheck unlock by owner", pthread_mutex_unlock(m), 0);
    expect("errorcheck unlock again", pthread_mutex_unlock(m), EPERM);
  }

  /* normal mutex held by main; other threads probe it */
  printf("-- normal\n");
  if (pthread_mutex_lock(&normal) != 0) fail("lock normal");
  expect("trylock on held mutex from other thread", in_other_thread(do_trylock, &normal), EBUSY);
  expect("timedlock (REALTIME +100ms) on held mutex", in_other_thread(do_timed_100ms, &normal), ETIMEDOUT);
  expect("timedlock with tv_nsec=2e9 on held mutex", in_other_thread(do_timed_badnsec, &normal), EINVAL);
  expect("clocklock (MONOTONIC +100ms) on held mutex", in_other_thread(do_clock_mono_100ms, &normal), ETIMEDOUT);
  expect("destroy while locked", pthread_mutex_destroy(&normal), EBUSY);
  if (pthread_mutex_unlock(&normal) != 0) fail("unlock normal");
  expect("timedlock on free mutex (even with bad tv_nsec)", do_timed_badnsec(&normal), 0);
  pthread_mutex_unlock(&normal);
  {
    struct timespec d = deadline(CLOCK_MONOTONIC, 100);
    expect("clocklock with CLOCK_PROCESS_CPUTIME_ID on free mutex",
           pthread_mutex_clocklock(&normal, CLOCK_PROCESS_CPUTIME_ID, &d), EINVAL);
    expect("trylock after rejected clocklock", pthread_mutex_trylock(&normal), 0);
    pthread_mutex_unlock(&normal);
  }

  /* timedlock that succeeds because the holder releases in time */
  {
    struct release_arg a = { &normal, 50 };
    pthread_t t;
    if (pthread_create(&t, NULL, release_later, &a) != 0) fail("create releaser");
    while (pthread_mutex_trylock(&normal) == 0) { /* wait until releaser holds it */
      pthread_mutex_unlock(&normal);
      usleep(1000);
    }
    struct timespec d = deadline(CLOCK_REALTIME, 5000);
    expect("timedlock released in time", pthread_mutex_timedlock(&normal, &d), 0);
    pthread_mutex_unlock(&normal);
    pthread_join(t, NULL);
    if (pthread_create(&t, NULL, release_later, &a) != 0) fail("create releaser");
    while (pthread_mutex_trylock(&normal) == 0) {
      pthread_mutex_unlock(&normal);
      usleep(1000);
    }
    d = deadline(CLOCK_MONOTONIC, 5000);
    expect("clocklock MONOTONIC released in time", pthread_mutex_clocklock(&normal, CLOCK_MONOTONIC, &d), 0);
    pthread_mutex_unlock(&normal);
    pthread_join(t, NULL);
  }
  expect("destroy unlocked", pthread_mutex_destroy(&normal), 0);
  printf("mutex_kinds: done\n");
  return 0;
}
