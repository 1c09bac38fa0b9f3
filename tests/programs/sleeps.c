/* Sleeping: sleep/usleep/nanosleep/clock_nanosleep/poll/select durations
 * (lower bound exact, upper bound generous), EINVAL cases, and 200
 * concurrent sleepers that must overlap. Prints verdicts only. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#define SLEEPERS 200

static void fail(const char *what) { printf("FAIL: %s\n", what); exit(1); }
static long long now_ns(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}
static struct timespec ts_ms(long ms) {
  struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
  return t;
}
/* rc: the call's result, elapsed ns, requested ms */
static void verdict(const char *what, int rc, long long el, long ms) {
  int ok = rc == 0 && el >= ms * 1000000LL && el < (ms + 2000) * 1000000LL;
  printf("%s: %s\n", what, ok ? "ok" : rc ? "bad return" : el < ms * 1000000LL ? "too short" : "too long");
  if (!ok) { printf("FAIL: %s\n", what); exit(1); }
}
#define TIMED(what, ms, call) do { \
    long long t0 = now_ns(CLOCK_MONOTONIC); int rc_ = (call); \
    verdict(what, rc_, now_ns(CLOCK_MONOTONIC) - t0, ms); } while (0)

static const char *ename(int e) { return e == 0 ? "0" : e == EINVAL ? "EINVAL" : "other"; }
static void expect(const char *what, int got, int want) {
  printf("%s: %s\n", what, ename(got));
  if (got != want) { printf("FAIL: %s\n", what); exit(1); }
}

static int abs_sleep(clockid_t c, long ms) {
  struct timespec t;
  clock_gettime(c, &t);
  t.tv_nsec += ms * 1000000L;
  while (t.tv_nsec >= 1000000000L) { t.tv_sec++; t.tv_nsec -= 1000000000L; }
  int rc = clock_nanosleep(c, TIMER_ABSTIME, &t, NULL);
  struct timespec n;
  clock_gettime(c, &n);
  if (rc == 0 && (n.tv_sec < t.tv_sec || (n.tv_sec == t.tv_sec && n.tv_nsec < t.tv_nsec)))
    return -1; /* woke before the absolute deadline */
  return rc;
}

static long req_ms[SLEEPERS];
static long long got_ns[SLEEPERS];
static void *sleeper(void *arg) {
  int i = (int)(long)arg;
  struct timespec t = ts_ms(req_ms[i]);
  long long t0 = now_ns(CLOCK_MONOTONIC);
  if (i % 2) { if (nanosleep(&t, NULL)) fail("nanosleep in thread"); }
  else if (usleep(req_ms[i] * 1000)) fail("usleep in thread");
  got_ns[i] = now_ns(CLOCK_MONOTONIC) - t0;
  return NULL;
}

static atomic_int sleeping_done;
static atomic_long spins;
static void *spinner(void *arg) {
  while (!atomic_load(&sleeping_done) && atomic_load(&spins) < 100000000) {
    atomic_fetch_add(&spins, 1);
    sched_yield();
  }
  return NULL;
}

int main(void) {
  struct timespec t;
  TIMED("sleep(1)", 1000, (int)sleep(1));
  TIMED("usleep(20000)", 20, usleep(20000));
  t = ts_ms(30);
  TIMED("nanosleep 30ms", 30, nanosleep(&t, NULL));
  TIMED("clock_nanosleep MONOTONIC relative 30ms", 30, clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL));
  TIMED("clock_nanosleep REALTIME relative 30ms", 30, clock_nanosleep(CLOCK_REALTIME, 0, &t, NULL));
  TIMED("clock_nanosleep MONOTONIC TIMER_ABSTIME now+30ms", 30, abs_sleep(CLOCK_MONOTONIC, 30));
  TIMED("clock_nanosleep REALTIME TIMER_ABSTIME now+30ms", 29, abs_sleep(CLOCK_REALTIME, 30));
  TIMED("poll(NULL, 0, 30)", 30, poll(NULL, 0, 30));
  struct timeval tv = { 0, 30000 };
  TIMED("select(0, ..., 30ms)", 30, select(0, NULL, NULL, NULL, &tv));
  t.tv_sec = 0; t.tv_nsec = 0;
  TIMED("nanosleep 0", 0, nanosleep(&t, NULL));
  t.tv_sec = 1; /* absolute time long past */
  TIMED("clock_nanosleep MONOTONIC TIMER_ABSTIME in the past", 0, clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL));

  t.tv_sec = 0; t.tv_nsec = 1000000000L;
  errno = 0;
  int rc = nanosleep(&t, NULL);
  expect("nanosleep tv_nsec=1e9 (errno)", rc == -1 ? errno : 0, EINVAL);
  t.tv_nsec = -1;
  errno = 0;
  rc = nanosleep(&t, NULL);
  expect("nanosleep tv_nsec=-1 (errno)", rc == -1 ? errno : 0, EINVAL);
  t.tv_sec = -1; t.tv_nsec = 0;
  errno = 0;
  rc = nanosleep(&t, NULL);
  expect("nanosleep tv_sec=-1 (errno)", rc == -1 ? errno : 0, EINVAL);
  t.tv_sec = 0; t.tv_nsec = 1000000000L;
  expect("clock_nanosleep tv_nsec=1e9 (return value)", clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL), EINVAL);
  t.tv_nsec = 1000;
  expect("clock_nanosleep CLOCK_THREAD_CPUTIME_ID", clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &t, NULL), EINVAL);

  /* another thread keeps running while main sleeps */
  pthread_t sp;
  if (pthread_create(&sp, NULL, spinner, NULL)) fail("create spinner");
  t = ts_ms(200);
  long before = atomic_load(&spins);
  TIMED("nanosleep 200ms while another thread spins", 200, nanosleep(&t, NULL));
  long during = atomic_load(&spins) - before;
  atomic_store(&sleeping_done, 1);
  pthread_join(sp, NULL);
  printf("other thread made progress during the sleep: %s\n", during > 0 ? "yes" : "no");
  if (during <= 0) fail("no progress during sleep");

  /* 200 concurrent sleepers */
  pthread_t th[SLEEPERS];
  for (int i = 0; i < SLEEPERS; i++) req_ms[i] = 10 + (i * 7) % 41;
  long long t0 = now_ns(CLOCK_MONOTONIC);
  for (long i = 0; i < SLEEPERS; i++)
    if (pthread_create(&th[i], NULL, sleeper, (void *)i)) fail("create sleeper");
  for (int i = 0; i < SLEEPERS; i++) pthread_join(th[i], NULL);
  long long wall = now_ns(CLOCK_MONOTONIC) - t0;
  int each_ok = 0;
  for (int i = 0; i < SLEEPERS; i++) each_ok += got_ns[i] >= req_ms[i] * 1000000LL;
  printf("%d sleepers slept at least their request: %d/%d\n", SLEEPERS, each_ok, SLEEPERS);
  printf("%d sleepers (10-50ms each) overlapped, wall < 3s: %s\n", SLEEPERS, wall < 3000000000LL ? "ok" : "too long");
  if (each_ok != SLEEPERS || wall >= 3000000000LL) fail("concurrent sleepers");
  return 0;
}
