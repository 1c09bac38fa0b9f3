/* Bounded-buffer producer/consumer with condvars (signal + broadcast), and
 * timed waits on REALTIME / MONOTONIC condvars, plus pthread_cond_clockwait. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define PRODUCERS 4
#define CONSUMERS 4
#define ITEMS 50000 /* total */
#define CAP 16

static void fail(const char *what) { printf("FAIL: %s\n", what); exit(1); }
static const char *ename(int e) {
  return e == 0 ? "0" : e == ETIMEDOUT ? "ETIMEDOUT" : e == EINVAL ? "EINVAL" : "other";
}
static void expect(const char *what, int got, int want) {
  printf("%s: %s\n", what, ename(got));
  if (got != want) { printf("FAIL: %s\n", what); exit(1); }
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static long buf[CAP];
static int head, count, producers_left = PRODUCERS;
static long consumed_sum[CONSUMERS], consumed_n[CONSUMERS];
static unsigned char seen[ITEMS];

static void *producer(void *arg) {
  long id = (long)arg;
  for (long i = id; i < ITEMS; i += PRODUCERS) {
    pthread_mutex_lock(&mu);
    while (count == CAP) pthread_cond_wait(&not_full, &mu);
    buf[(head + count) % CAP] = i;
    count++;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&mu);
  }
  pthread_mutex_lock(&mu);
  if (--producers_left == 0) pthread_cond_broadcast(&not_empty); /* wake all to exit */
  pthread_mutex_unlock(&mu);
  return NULL;
}

static void *consumer(void *arg) {
  long id = (long)arg;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (count == 0 && producers_left > 0) pthread_cond_wait(&not_empty, &mu);
    if (count == 0) { pthread_mutex_unlock(&mu); break; }
    long v = buf[head];
    head = (head + 1) % CAP;
    count--;
    if (seen[v]++) fail("item consumed twice");
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&mu);
    consumed_sum[id] += v * 7 + 1;
    consumed_n[id]++;
  }
  return NULL;
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

static pthread_mutex_t tmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tcv; /* MONOTONIC */
static int flag;

static void *signaller(void *arg) {
  usleep(50000);
  pthread_mutex_lock(&tmu);
  flag = 1;
  pthread_cond_signal(&tcv);
  pthread_mutex_unlock(&tmu);
  return NULL;
}

/* wait for flag with a 5 s timeout using the given wait kind */
static int wait_flag(int kind) {
  int rc = 0;
  struct timespec d = deadline(kind == 2 ? CLOCK_REALTIME : CLOCK_MONOTONIC, 5000);
  pthread_mutex_lock(&tmu);
  while (!flag && rc == 0) {
    if (kind == 0) rc = pthread_cond_timedwait(&tcv, &tmu, &d);
    else rc = pthread_cond_clockwait(&tcv, &tmu, kind == 1 ? CLOCK_MONOTONIC : CLOCK_REALTIME, &d);
  }
  flag = 0;
  pthread_mutex_unlock(&tmu);
  return rc;
}

int main(void) {
  pthread_t p[PRODUCERS], c[CONSUMERS];
  for (long i = 0; i < CONSUMERS; i++)
    if (pthread_create(&c[i], NULL, consumer, (void *)i)) fail("create consumer");
  for (long i = 0; i < PRODUCERS; i++)
    if (pthread_create(&p[i], NULL, producer, (void *)i)) fail("create producer");
  for (int i = 0; i < PRODUCERS; i++) pthread_join(p[i], NULL);
  for (int i = 0; i < CONSUMERS; i++) pthread_join(c[i], NULL);
  long n = 0, sum = 0, want = 0;
  for (int i = 0; i < CONSUMERS; i++) { n += consumed_n[i]; sum += consumed_sum[i]; }
  for (long i = 0; i < ITEMS; i++) { want += i * 7 + 1; if (seen[i] != 1) fail("item missing"); }
  printf("producer/consumer: items=%ld checksum=%ld\n", n, sum);
  if (n != ITEMS || sum != want) fail("checksum");

  /* timed waits */
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0) fail("setclock");
  clockid_t ck = -1;
  pthread_condattr_getclock(&ca, &ck);
  printf("condattr clock is MONOTONIC: %s\n", ck == CLOCK_MONOTONIC ? "yes" : "no");
  expect("condattr_setclock(CLOCK_PROCESS_CPUTIME_ID)",
         pthread_condattr_setclock(&ca, CLOCK_PROCESS_CPUTIME_ID), EINVAL);
  if (pthread_cond_init(&tcv, &ca) != 0) fail("cond_init");
  pthread_condattr_destroy(&ca);

  struct timespec d = deadline(CLOCK_MONOTONIC, 100);
  pthread_mutex_lock(&tmu);
  int rc = pthread_cond_timedwait(&tcv, &tmu, &d);
  if (rc == ETIMEDOUT && !reached(CLOCK_MONOTONIC, d)) fail("timedwait early");
  expect("timedwait MONOTONIC +100ms, nobody signals", rc, ETIMEDOUT);
  if (pthread_mutex_trylock(&tmu) == 0) fail("mutex not reacquired after timeout");
  d = deadline(CLOCK_REALTIME, 100);
  rc = pthread_cond_clockwait(&tcv, &tmu, CLOCK_REALTIME, &d);
  if (rc == ETIMEDOUT && !reached(CLOCK_REALTIME, d)) fail("clockwait early");
  expect("clockwait REALTIME +100ms, nobody signals", rc, ETIMEDOUT);
  d = deadline(CLOCK_MONOTONIC, 100);
  expect("clockwait with CLOCK_PROCESS_CPUTIME_ID",
         pthread_cond_clockwait(&tcv, &tmu, CLOCK_PROCESS_CPUTIME_ID, &d), EINVAL);
  d = deadline(CLOCK_MONOTONIC, 0);
  d.tv_nsec = 1000000000L;
  expect("timedwait with tv_nsec=1e9", pthread_cond_timedwait(&tcv, &tmu, &d), EINVAL);
  d.tv_sec = 0; d.tv_nsec = 0;
  expect("timedwait with past deadline", pthread_cond_timedwait(&tcv, &tmu, &d), ETIMEDOUT);
  pthread_mutex_unlock(&tmu);

  static const char *kinds[] = { "timedwait MONOTONIC", "clockwait MONOTONIC", "clockwait REALTIME" };
  for (int k = 0; k < 3; k++) {
    pthread_t t;
    char what[80];
    if (pthread_create(&t, NULL, signaller, NULL)) fail("create signaller");
    snprintf(what, sizeof what, "%s signalled in time", kinds[k]);
    expect(what, wait_flag(k), 0);
    pthread_join(t, NULL);
  }
  expect("cond_destroy", pthread_cond_destroy(&tcv), 0);
  return 0;
}
