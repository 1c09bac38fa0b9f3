/* Per-thread affinity, scheduling and CPU-clock calls made on a thread's own
 * pthread_self() and on other threads, with the values a normal unprivileged
 * program uses: they must succeed exactly as natively (and, under libgmp,
 * must never hand a bogus kernel tid to the kernel). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_barrier_t bar;
static int results[8][6];

static void *worker(void *arg) {
  int id = (int)(long)arg;
  pthread_t self = pthread_self();
  cpu_set_t set;
  CPU_ZERO(&set);
  int r0 = pthread_getaffinity_np(self, sizeof set, &set);
  int ncpu = CPU_COUNT(&set);
  int r1 = pthread_setaffinity_np(self, sizeof set, &set);  /* same mask: a no-op natively */
  int policy = -1;
  struct sched_param sp = {0};
  int r2 = pthread_getschedparam(self, &policy, &sp);
  struct sched_param zero = {0};
  int r3 = pthread_setschedparam(self, SCHED_OTHER, &zero);
  clockid_t clk;
  int r4 = pthread_getcpuclockid(self, &clk);
  struct timespec ts = {0, 0};
  volatile unsigned long spin = 0;
  for (int i = 0; i < 2000000; i++) spin += i;
  int r5 = r4 == 0 ? clock_gettime(clk, &ts) : -1;
  results[id][0] = r0 == 0 && ncpu >= 1;
  results[id][1] = r1 == 0;
  results[id][2] = r2 == 0 && policy == SCHED_OTHER && sp.sched_priority == 0;
  results[id][3] = r3 == 0;
  results[id][4] = r4 == 0 && r5 == 0 && (ts.tv_sec > 0 || ts.tv_nsec > 0);
  results[id][5] = pthread_setschedprio(self, 0) == 0;
  pthread_barrier_wait(&bar);
  return NULL;
}

int main(void) {
  pthread_t t[8];
  pthread_barrier_init(&bar, NULL, 8);
  for (long i = 0; i < 8; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
  const char *what[] = {"getaffinity_np(self)", "setaffinity_np(self, same mask)", "getschedparam(self) = SCHED_OTHER/0",
                        "setschedparam(self, SCHED_OTHER, 0)", "getcpuclockid(self) + clock_gettime", "setschedprio(self, 0)"};
  int ok = 1;
  for (int k = 0; k < 6; k++) {
    int n = 0;
    for (int i = 0; i < 8; i++) n += results[i][k];
    printf("%-40s %d/8\n", what[k], n);
    ok &= n == 8;
  }
  /* main's own handle */
  int policy; struct sched_param sp;
  printf("main getschedparam: %s\n", pthread_getschedparam(pthread_self(), &policy, &sp) == 0 && policy == SCHED_OTHER ? "SCHED_OTHER" : "other");
  return ok ? 0 : 1;
}
