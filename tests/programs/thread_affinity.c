/* A thread's CPU affinity and scheduling policy are its own, and take
 * effect on it:
 *  - 8 threads each pin themselves to one CPU (round robin) with
 *    pthread_setaffinity_np(pthread_self()), then block and wake (sleeps,
 *    a condition variable) many times: sched_getcpu() always reports that
 *    CPU and pthread_getaffinity_np / sched_getaffinity(0) report the mask;
 *    unpinned again, they report the process's mask;
 *  - main pins another thread (waiting on a condition variable) to the last
 *    CPU; once that thread has woken it runs there and reports the mask;
 *  - a thread sets SCHED_FIFO 1 on itself (run as root: allowed) and reads
 *    it back with pthread_getschedparam and sched_getscheduler(0), then
 *    sets SCHED_OTHER back; SCHED_FIFO 0 and an empty mask fail with EINVAL;
 *  - the other threads are unaffected (SCHED_OTHER, the process mask). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NT 8
#define ROUNDS 50

static cpu_set_t procmask;
static int cpus[CPU_SETSIZE], ncpu;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn, go_other;
static char line[NT][160];

static int only_cpu(const cpu_set_t *s) {
  if (CPU_COUNT(s) != 1) return -1;
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, s)) return c;
  return -1;
}

static void *pinned(void *arg) {
  long i = (long)arg;
  int want = cpus[i % ncpu];
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(want, &s);
  int r = pthread_setaffinity_np(pthread_self(), sizeof s, &s);
  int wrong = 0;
  for (int k = 0; k < ROUNDS; k++) {
    if (k % 2) {
      struct timespec ts = {0, 100000};
      nanosleep(&ts, NULL);
    } else {
      pthread_mutex_lock(&mu);
      turn++;
      pthread_cond_broadcast(&cv);
      pthread_mutex_unlock(&mu);
      sched_yield();
    }
    if (sched_getcpu() != want) wrong++;
  }
  cpu_set_t g1, g2;
  pthread_getaffinity_np(pthread_self(), sizeof g1, &g1);
  sched_getaffinity(0, sizeof g2, &g2);
  int same = only_cpu(&g1) == want && only_cpu(&g2) == want;
  // Back to every CPU of the process.
  pthread_setaffinity_np(pthread_self(), sizeof procmask, &procmask);
  pthread_getaffinity_np(pthread_self(), sizeof g1, &g1);
  int back = CPU_EQUAL(&g1, &procmask);
  snprintf(line[i], sizeof line[i], "thread %ld: set %d, ran on its CPU every time: %s, mask reported: %s, unpinned: %s\n", i, r,
         wrong ? "no" : "yes", same ? "yes" : "no", back ? "yes" : "no");
  return NULL;
}

static void *other(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  while (!go_other) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  struct timespec ts = {0, 1000000};
  nanosleep(&ts, NULL);
  int want = cpus[ncpu - 1], wrong = 0;
  for (int k = 0; k < ROUNDS; k++) {
    nanosleep(&ts, NULL);
    if (sched_getcpu() != want) wrong++;
  }
  cpu_set_t g;
  sched_getaffinity(0, sizeof g, &g);
  printf("other thread: runs on the CPU main gave it: %s, mask: %s\n", wrong ? "no" : "yes",
         only_cpu(&g) == want ? "yes" : "no");
  return NULL;
}

static void *policy(void *arg) {
  (void)arg;
  struct sched_param sp = {1};
  int r = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
  int pol = -1;
  struct sched_param got = {0};
  pthread_getschedparam(pthread_self(), &pol, &got);
  printf("SCHED_FIFO 1: %d; read back: %s %d; sched_getscheduler(0): %s\n", r, pol == SCHED_FIFO ? "FIFO" : "other",
         got.sched_priority, sched_getscheduler(0) == SCHED_FIFO ? "FIFO" : "other");
  struct timespec ts = {0, 1000000};
  nanosleep(&ts, NULL);
  sp.sched_priority = 0;
  printf("SCHED_FIFO 0: %s\n", strerror(pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp)));
  r = pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
  pthread_getschedparam(pthread_self(), &pol, &got);
  printf("SCHED_OTHER 0: %d; read back: %s %d\n", r, pol == SCHED_OTHER ? "OTHER" : "other", got.sched_priority);
  cpu_set_t none;
  CPU_ZERO(&none);
  printf("empty mask: %s\n", strerror(pthread_setaffinity_np(pthread_self(), sizeof none, &none)));
  return NULL;
}

static void *plain(void *arg) {
  (void)arg;
  int pol = -1;
  struct sched_param got = {0};
  pthread_getschedparam(pthread_self(), &pol, &got);
  cpu_set_t g;
  pthread_getaffinity_np(pthread_self(), sizeof g, &g);
  printf("plain thread: %s %d, process mask: %s\n", pol == SCHED_OTHER ? "OTHER" : "other", got.sched_priority,
         CPU_EQUAL(&g, &procmask) ? "yes" : "no");
  return NULL;
}

int main(void) {
  sched_getaffinity(0, sizeof procmask, &procmask);
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &procmask)) cpus[ncpu++] = c;
  pthread_t t[NT], o, p, q;
  pthread_create(&o, NULL, other, NULL);
  for (long i = 0; i < NT; i++) pthread_create(&t[i], NULL, pinned, (void *)i);
  for (int i = 0; i < NT; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < NT; i++) fputs(line[i], stdout);
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpus[ncpu - 1], &s);
  printf("main pins the other thread: %d\n", pthread_setaffinity_np(o, sizeof s, &s));
  cpu_set_t g;
  pthread_getaffinity_np(o, sizeof g, &g);
  printf("main reads its mask back: %s\n", only_cpu(&g) == cpus[ncpu - 1] ? "yes" : "no");
  pthread_mutex_lock(&mu);
  go_other = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  pthread_join(o, NULL);
  pthread_create(&p, NULL, policy, NULL);
  pthread_join(p, NULL);
  pthread_create(&q, NULL, plain, NULL);
  pthread_join(q, NULL);
  return 0;
}
