/* POSIX unnamed semaphores: counts across threads, trywait/timedwait/
 * clockwait errno codes, overflow, and a 10000-round ping-pong. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define POSTERS 4
#define WAITERS 4
#define PER 5000
#define PINGS 10000

static void fail(const char *what) { printf("FAIL: %s\n", what); exit(1); }
static const char *ename(int e) {
  switch (e) {
  case 0: return "0"; case EAGAIN: return "EAGAIN"; case ETIMEDOUT: return "ETIMEDOUT";
  case EINVAL: return "EINVAL"; case EOVERFLOW: return "EOVERFLOW"; case EINTR: return "EINTR";
  default: return "other";
  }
}
/* rc is 0 or -1 with errno */
static void expect(const char *what, int rc, int want_errno) {
  int e = rc == 0 ? 0 : errno;
  printf("%s: %s\n", what, rc == 0 ? "0" : ename(e));
  if ((rc == 0) != (want_errno == 0) || (rc != 0 && e != want_errno)) {
    printf("FAIL: %s\n", what); exit(1);
  }
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
static int value(sem_t *s) { int v = -99; if (sem_getvalue(s, &v)) fail("getvalue"); return v; }

static sem_t items, ping, pong, later;
static long got[WAITERS];

static void *poster(void *a) {
  for (int i = 0; i < PER; i++) if (sem_post(&items)) fail("post");
  return NULL;
}
static void *waiter(void *a) {
  long id = (long)a;
  for (int i = 0; i < PER; i++) {
    int rc;
    while ((rc = sem_wait(&items)) != 0 && errno == EINTR) {}
    if (rc) fail("sem_wait");
    got[id]++;
  }
  return NULL;
}
static void *ponger(void *a) {
  for (int i = 0; i < PINGS; i++) {
    if (sem_wait(&ping)) fail("wait ping");
    if (sem_post(&pong)) fail("post pong");
  }
  return NULL;
}
static void *post_later(void *a) {
  usleep(50000);
  sem_post(&later);
  return NULL;
}

int main(void) {
  sem_t s;
  expect("sem_init value 3", sem_init(&s, 0, 3), 0);
  printf("getvalue: %d\n", value(&s));
  for (int i = 0; i < 3; i++) if (sem_trywait(&s)) fail("trywait on positive");
  printf("after 3 trywaits getvalue: %d\n", value(&s));
  expect("sem_trywait on 0", sem_trywait(&s), EAGAIN);

  struct timespec d = deadline(CLOCK_REALTIME, 100);
  int rc = sem_timedwait(&s, &d);
  expect("sem_timedwait +100ms on 0", rc, ETIMEDOUT);
  if (!reached(CLOCK_REALTIME, d)) fail("timedwait returned early");
  d = deadline(CLOCK_MONOTONIC, 100);
  rc = sem_clockwait(&s, CLOCK_MONOTONIC, &d);
  expect("sem_clockwait MONOTONIC +100ms on 0", rc, ETIMEDOUT);
  if (!reached(CLOCK_MONOTONIC, d)) fail("clockwait returned early");
  d = deadline(CLOCK_MONOTONIC, 100);
  expect("sem_clockwait CLOCK_PROCESS_CPUTIME_ID", sem_clockwait(&s, CLOCK_PROCESS_CPUTIME_ID, &d), EINVAL);
  d.tv_nsec = 1000000000L;
  expect("sem_timedwait tv_nsec=1e9 on 0", sem_timedwait(&s, &d), EINVAL);
  d.tv_sec = 0; d.tv_nsec = 0;
  expect("sem_timedwait past deadline on 0", sem_timedwait(&s, &d), ETIMEDOUT);
  sem_post(&s);
  expect("sem_timedwait past deadline on 1", sem_timedwait(&s, &d), 0);
  printf("getvalue: %d\n", value(&s));
  sem_post(&s);
  d.tv_nsec = 1000000000L;
  /* glibc validates the timeout before trying the fast path */
  expect("sem_timedwait tv_nsec=1e9 on 1", sem_timedwait(&s, &d), EINVAL);
  printf("getvalue: %d\n", value(&s));
  d = deadline(CLOCK_MONOTONIC, 100);
  expect("sem_clockwait CLOCK_PROCESS_CPUTIME_ID on 1", sem_clockwait(&s, CLOCK_PROCESS_CPUTIME_ID, &d), EINVAL);
  expect("sem_trywait on 1", sem_trywait(&s), 0);
  expect("sem_destroy", sem_destroy(&s), 0);

  expect("sem_init SEM_VALUE_MAX+1", sem_init(&s, 0, (unsigned)SEM_VALUE_MAX + 1u), EINVAL);
  expect("sem_init SEM_VALUE_MAX", sem_init(&s, 0, SEM_VALUE_MAX), 0);
  expect("sem_post at SEM_VALUE_MAX", sem_post(&s), EOVERFLOW);
  printf("getvalue == SEM_VALUE_MAX: %s\n", value(&s) == SEM_VALUE_MAX ? "yes" : "no");
  sem_destroy(&s);

  /* cross-thread counting */
  if (sem_init(&items, 0, 0)) fail("init items");
  pthread_t p[POSTERS], w[WAITERS];
  for (long i = 0; i < WAITERS; i++) if (pthread_create(&w[i], NULL, waiter, (void *)i)) fail("create");
  for (long i = 0; i < POSTERS; i++) if (pthread_create(&p[i], NULL, poster, (void *)i)) fail("create");
  for (int i = 0; i < POSTERS; i++) pthread_join(p[i], NULL);
  for (int i = 0; i < WAITERS; i++) pthread_join(w[i], NULL);
  long total = 0;
  for (int i = 0; i < WAITERS; i++) total += got[i];
  printf("posted %d, consumed %ld, left %d\n", POSTERS * PER, total, value(&items));
  if (total != POSTERS * PER || value(&items) != 0) fail("counts");
  sem_destroy(&items);

  /* ping-pong */
  if (sem_init(&ping, 0, 0) || sem_init(&pong, 0, 0)) fail("init pingpong");
  pthread_t t;
  if (pthread_create(&t, NULL, ponger, NULL)) fail("create ponger");
  int trips = 0;
  for (int i = 0; i < PINGS; i++) {
    if (sem_post(&ping)) fail("post ping");
    if (sem_wait(&pong)) fail("wait pong");
    trips++;
  }
  pthread_join(t, NULL);
  printf("ping-pong round trips: %d, residue %d/%d\n", trips, value(&ping), value(&pong));
  if (value(&ping) || value(&pong)) fail("pingpong residue");

  /* timed waits satisfied in time */
  if (sem_init(&later, 0, 0)) fail("init later");
  if (pthread_create(&t, NULL, post_later, NULL)) fail("create");
  d = deadline(CLOCK_REALTIME, 5000);
  expect("sem_timedwait posted in time", sem_timedwait(&later, &d), 0);
  pthread_join(t, NULL);
  if (pthread_create(&t, NULL, post_later, NULL)) fail("create");
  d = deadline(CLOCK_MONOTONIC, 5000);
  expect("sem_clockwait posted in time", sem_clockwait(&later, CLOCK_MONOTONIC, &d), 0);
  pthread_join(t, NULL);
  return 0;
}
