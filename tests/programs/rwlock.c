/* Reader/writer locks: invariant under contention, try/timed variants,
 * EDEADLK, static initializer, writer-preference kind. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define READERS 8
#define WRITERS 2
#define READS 20000
#define WRITES 5000

static void fail(const char *what) { printf("FAIL: %s\n", what); exit(1); }
static const char *ename(int e) {
  switch (e) {
  case 0: return "0"; case EBUSY: return "EBUSY"; case EDEADLK: return "EDEADLK";
  case ETIMEDOUT: return "ETIMEDOUT"; case EINVAL: return "EINVAL"; default: return "other";
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

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static volatile long fa, fb;
static long reads_done[READERS], bad_reads[READERS];

static void *reader(void *arg) {
  long id = (long)arg;
  for (int i = 0; i < READS; i++) {
    if (pthread_rwlock_rdlock(&rw) != 0) fail("rdlock");
    long a = fa;
    if ((i & 127) == 0) sched_yield();
    long b = fb;
    if (a != b) bad_reads[id]++;
    reads_done[id]++;
    if (pthread_rwlock_unlock(&rw) != 0) fail("unlock r");
  }
  return NULL;
}

static void *writer(void *arg) {
  for (int i = 0; i < WRITES; i++) {
    if (pthread_rwlock_wrlock(&rw) != 0) fail("wrlock");
    fa = fa + 1;
    if ((i & 63) == 0) sched_yield();
    fb = fb + 1;
    if (pthread_rwlock_unlock(&rw) != 0) fail("unlock w");
  }
  return NULL;
}

/* probes run in another thread */
static pthread_rwlock_t *probe_lock;
static void *p_tryrd(void *a) { int rc = pthread_rwlock_tryrdlock(probe_lock); if (!rc) pthread_rwlock_unlock(probe_lock); return (void *)(long)rc; }
static void *p_trywr(void *a) { int rc = pthread_rwlock_trywrlock(probe_lock); if (!rc) pthread_rwlock_unlock(probe_lock); return (void *)(long)rc; }
static void *p_timedwr(void *a) {
  struct timespec d = deadline(CLOCK_REALTIME, 100);
  int rc = pthread_rwlock_timedwrlock(probe_lock, &d);
  if (!rc) pthread_rwlock_unlock(probe_lock);
  return (void *)(long)rc;
}
static void *p_timedrd(void *a) {
  struct timespec d = deadline(CLOCK_REALTIME, 100);
  int rc = pthread_rwlock_timedrdlock(probe_lock, &d);
  if (!rc) pthread_rwlock_unlock(probe_lock);
  return (void *)(long)rc;
}
static void *p_clockwr(void *a) {
  struct timespec d = deadline(CLOCK_MONOTONIC, 100);
  int rc = pthread_rwlock_clockwrlock(probe_lock, CLOCK_MONOTONIC, &d);
  if (!rc) pthread_rwlock_unlock(probe_lock);
  return (void *)(long)rc;
}
static void *p_wrlock(void *a) {
  if (pthread_rwlock_wrlock(probe_lock) != 0) fail("probe wrlock");
  pthread_rwlock_unlock(probe_lock);
  return NULL;
}
static int probe(void *(*fn)(void *), pthread_rwlock_t *l) {
  pthread_t t; void *r;
  probe_lock = l;
  if (pthread_create(&t, NULL, fn, NULL)) fail("create probe");
  pthread_join(t, &r);
  return (int)(long)r;
}

int main(void) {
  pthread_t r[READERS], w[WRITERS];
  for (long i = 0; i < READERS; i++) if (pthread_create(&r[i], NULL, reader, (void *)i)) fail("create");
  for (long i = 0; i < WRITERS; i++) if (pthread_create(&w[i], NULL, writer, (void *)i)) fail("create");
  for (int i = 0; i < READERS; i++) pthread_join(r[i], NULL);
  for (int i = 0; i < WRITERS; i++) pthread_join(w[i], NULL);
  long reads = 0, bad = 0;
  for (int i = 0; i < READERS; i++) { reads += reads_done[i]; bad += bad_reads[i]; }
  printf("reads=%ld torn=%ld a=%ld b=%ld\n", reads, bad, fa, fb);
  if (bad || reads != (long)READERS * READS || fa != (long)WRITERS * WRITES || fb != fa) fail("invariant");

  /* reader holds */
  expect("rdlock", pthread_rwlock_rdlock(&rw), 0);
  expect("rdlock again by same thread", pthread_rwlock_rdlock(&rw), 0);
  expect("tryrdlock from other thread while read-held", probe(p_tryrd, &rw), 0);
  expect("trywrlock from other thread while read-held", probe(p_trywr, &rw), EBUSY);
  expect("timedwrlock +100ms while read-held", probe(p_timedwr, &rw), ETIMEDOUT);
  expect("clockwrlock MONOTONIC +100ms while read-held", probe(p_clockwr, &rw), ETIMEDOUT);
  expect("unlock", pthread_rwlock_unlock(&rw), 0);
  expect("unlock", pthread_rwlock_unlock(&rw), 0);

  /* writer holds */
  expect("wrlock", pthread_rwlock_wrlock(&rw), 0);
  expect("wrlock twice by same thread", pthread_rwlock_wrlock(&rw), EDEADLK);
  expect("rdlock by write owner", pthread_rwlock_rdlock(&rw), EDEADLK);
  expect("tryrdlock from other thread while write-held", probe(p_tryrd, &rw), EBUSY);
  expect("trywrlock from other thread while write-held", probe(p_trywr, &rw), EBUSY);
  expect("timedrdlock +100ms while write-held", probe(p_timedrd, &rw), ETIMEDOUT);
  expect("unlock", pthread_rwlock_unlock(&rw), 0);
  expect("trywrlock when free", pthread_rwlock_trywrlock(&rw), 0);
  expect("unlock", pthread_rwlock_unlock(&rw), 0);

  /* default kind prefers readers: a new reader gets in while a writer waits */
  pthread_t t;
  expect("rdlock (default kind)", pthread_rwlock_rdlock(&rw), 0);
  probe_lock = &rw;
  if (pthread_create(&t, NULL, p_wrlock, NULL)) fail("create");
  usleep(50000);
  int rc = pthread_rwlock_tryrdlock(&rw);
  expect("tryrdlock while writer waits (prefer reader)", rc, 0);
  pthread_rwlock_unlock(&rw);
  pthread_rwlock_unlock(&rw);
  pthread_join(t, NULL);

  /* writer-preferring kind: once a writer waits, new readers are refused */
  pthread_rwlock_t pw;
  pthread_rwlockattr_t ra;
  pthread_rwlockattr_init(&ra);
  expect("setkind PREFER_WRITER_NONRECURSIVE",
         pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP), 0);
  expect("setkind 99", pthread_rwlockattr_setkind_np(&ra, 99), EINVAL);
  if (pthread_rwlock_init(&pw, &ra)) fail("rwlock_init");
  pthread_rwlockattr_destroy(&ra);
  expect("rdlock (prefer writer)", pthread_rwlock_rdlock(&pw), 0);
  probe_lock = &pw;
  if (pthread_create(&t, NULL, p_wrlock, NULL)) fail("create");
  int refused = 0;
  for (int i = 0; i < 2000 && !refused; i++) {
    rc = pthread_rwlock_tryrdlock(&pw);
    if (rc == 0) { pthread_rwlock_unlock(&pw); usleep(1000); }
    else if (rc == EBUSY) refused = 1;
    else fail("tryrdlock odd error");
  }
  printf("tryrdlock refused while writer waits (prefer writer): %s\n", refused ? "yes" : "no");
  if (!refused) fail("prefer-writer");
  pthread_rwlock_unlock(&pw);
  pthread_join(t, NULL);
  expect("destroy", pthread_rwlock_destroy(&pw), 0);
  return 0;
}
