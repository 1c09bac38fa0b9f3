// gmp: no-compare
/* 2000 threads block on one condition variable; main reports how many
 * kernel threads the process has while they are all blocked (a separate
 * script checks this against GOMAXPROCS), then releases and joins them. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 2000

static void fail(const char *what) { printf("FAIL: %s\n", what); exit(1); }

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_arrived = PTHREAD_COND_INITIALIZER;
static pthread_cond_t release = PTHREAD_COND_INITIALIZER;
static int arrived, released;

static void *worker(void *arg) {
  pthread_mutex_lock(&mu);
  if (++arrived == N) pthread_cond_signal(&all_arrived);
  while (!released) pthread_cond_wait(&release, &mu);
  pthread_mutex_unlock(&mu);
  return arg;
}

static int kernel_threads(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  int n = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "Threads:", 8) == 0) { n = atoi(line + 8); break; }
  fclose(f);
  return n;
}

int main(void) {
  static pthread_t th[N];
  for (long i = 0; i < N; i++) {
    int rc = pthread_create(&th[i], NULL, worker, (void *)i);
    if (rc) { printf("FAIL: pthread_create #%ld rc=%d\n", i, rc); return 1; }
  }
  pthread_mutex_lock(&mu);
  while (arrived < N) pthread_cond_wait(&all_arrived, &mu);
  pthread_mutex_unlock(&mu);
  /* every worker is now blocked in pthread_cond_wait (or about to be) */
  printf("threads=%d\n", kernel_threads());
  fflush(stdout);
  pthread_mutex_lock(&mu);
  released = 1;
  pthread_cond_broadcast(&release);
  pthread_mutex_unlock(&mu);
  int joined = 0;
  for (long i = 0; i < N; i++) {
    void *r;
    if (pthread_join(th[i], &r)) fail("join");
    if ((long)r != i) fail("join value");
    joined++;
  }
  printf("joined %d\n", joined);
  return 0;
}
