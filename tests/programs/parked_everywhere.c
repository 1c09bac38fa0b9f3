// gmp: no-compare
/* Proves every blocking hook family really parks green threads: 200 threads
 * each block in one of mutex, condvar, rwlock, barrier, semaphore, join,
 * once, nanosleep and eventfd_read at the same time, then main reads the kernel thread
 * count. Natively that is 1 + 200 + ...; preloaded it must stay near
 * GOMAXPROCS (checked by tests/checks/threads.sh). If any hook did not fire,
 * its callers would block their kernel threads and the program would hang
 * with GOMAXPROCS=1. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/eventfd.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>

#define PER 25
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t bar;
static sem_t sem;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static sem_t started;
static int go_cond;
static pthread_t sleeper;
static int efd;

static void once_init(void) { usleep(300000); }
static void *locker(void *a) { sem_post(&started); pthread_mutex_lock(&mu); pthread_mutex_unlock(&mu); return a; }
static void *waiter(void *a) {
  pthread_mutex_lock(&cmu); sem_post(&started);
  while (!go_cond) pthread_cond_wait(&cv, &cmu);
  pthread_mutex_unlock(&cmu); return a; }
static void *reader(void *a) { sem_post(&started); pthread_rwlock_rdlock(&rw); pthread_rwlock_unlock(&rw); return a; }
static void *barrier(void *a) { sem_post(&started); pthread_barrier_wait(&bar); return a; }
static void *semwait(void *a) { sem_post(&started); sem_wait(&sem); return a; }
static void *sleepy(void *a) { sem_post(&started); struct timespec ts = {0, 300000000}; nanosleep(&ts, NULL); return a; }
static void *oncer(void *a) { sem_post(&started); pthread_once(&once, once_init); return a; }
static void *evreader(void *a) { sem_post(&started); eventfd_t v; eventfd_read(efd, &v); return a; }
static void *joiner(void *a) { sem_post(&started); pthread_join(sleeper, NULL); return a; }

static int kernel_threads(void) {
  FILE *f = fopen("/proc/self/status", "r"); char line[256]; int n = -1;
  while (fgets(line, sizeof line, f)) if (!strncmp(line, "Threads:", 8)) n = atoi(line + 8);
  fclose(f); return n;
}

int main(void) {
  void *(*fns[])(void *) = {locker, waiter, reader, barrier, semwait, sleepy, oncer, evreader};
  int nf = sizeof fns / sizeof fns[0];
  pthread_t t[9 * PER + 1];
  int n = 0;
  sem_init(&sem, 0, 0); sem_init(&started, 0, 0);
  efd = eventfd(0, EFD_SEMAPHORE);  /* each eventfd_read takes one */
  pthread_barrier_init(&bar, NULL, PER + 1);
  pthread_mutex_lock(&mu);
  pthread_rwlock_wrlock(&rw);
  pthread_create(&sleeper, NULL, sleepy, NULL);
  for (int f = 0; f < nf; f++)
    for (int i = 0; i < PER; i++) pthread_create(&t[n++], NULL, fns[f], NULL);
  pthread_create(&t[n++], NULL, joiner, NULL);
  for (int i = 0; i < n + 1; i++) sem_wait(&started);
  usleep(100000); /* let them all reach their blocking call */
  printf("threads=%d\n", kernel_threads());
  fflush(stdout);
  pthread_mutex_unlock(&mu);
  pthread_mutex_lock(&cmu); go_cond = 1; pthread_cond_broadcast(&cv); pthread_mutex_unlock(&cmu);
  pthread_rwlock_unlock(&rw);
  pthread_barrier_wait(&bar);
  for (int i = 0; i < PER; i++) sem_post(&sem);
  eventfd_write(efd, PER);
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL); /* joiner joined sleeper */
  printf("joined %d\n", n + 1);
  return 0;
}
