/* Robust mutexes, which the kernel releases when their owner dies:
 * contended locking keeps an exact count; a thread that ends while holding
 * one (by returning, by pthread_exit, with another thread already waiting
 * or not) hands the next locker EOWNERDEAD; pthread_mutex_consistent makes
 * it usable again (also for a robust PI mutex); unlocking without it leaves
 * ENOTRECOVERABLE; an errorcheck robust mutex still says EDEADLK and EPERM. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define N 8
#define ITERS 300

static pthread_mutex_t rm, rm2, rm_err, rm_pi;
static long counter;
static sem_t locked;

static void init(pthread_mutex_t *m, int type) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutexattr_settype(&a, type);
  pthread_mutex_init(m, &a);
  pthread_mutexattr_destroy(&a);
}

static void *worker(void *arg) {
  (void)arg;
  for (int i = 0; i < ITERS; i++) {
    if (pthread_mutex_lock(&rm) != 0) return (void *)1;
    long c = counter;
    if (i % 10 == 0) usleep(20);
    else if (i % 10 == 1) sched_yield();
    counter = c + 1;
    if (pthread_mutex_unlock(&rm) != 0) return (void *)1;
  }
  return NULL;
}

/* dies_holding: lock m, let the others know, block a while (a waiter may
 * queue), then end without unlocking. */
static void *dies_holding(void *arg) {
  pthread_mutex_t *m = arg;
  pthread_mutex_lock(m);
  sem_post(&locked);
  usleep(2000);
  if (m == &rm2) pthread_exit(NULL);
  return NULL;
}

static int waiter_result;
static void *waiter(void *arg) {
  pthread_mutex_t *m = arg;
  waiter_result = pthread_mutex_lock(m); /* queues behind the dying owner */
  if (waiter_result == EOWNERDEAD) pthread_mutex_consistent(m);
  pthread_mutex_unlock(m);
  return NULL;
}

int main(void) {
  init(&rm, PTHREAD_MUTEX_NORMAL);
  init(&rm2, PTHREAD_MUTEX_NORMAL);
  init(&rm_err, PTHREAD_MUTEX_ERRORCHECK);
  {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&rm_pi, &a);
  }
  sem_init(&locked, 0, 0);

  pthread_t t[N];
  for (int i = 0; i < N; i++) pthread_create(&t[i], NULL, worker, NULL);
  int errors = 0;
  for (int i = 0; i < N; i++) {
    void *r;
    pthread_join(t[i], &r);
    errors += r != NULL;
  }
  printf("contended robust mutex: counter %ld (expected %d), errors %d\n", counter, N * ITERS, errors);

  /* Owner returns holding it; nobody waits. */
  pthread_t d, w;
  pthread_create(&d, NULL, dies_holding, &rm);
  sem_wait(&locked);
  pthread_join(d, NULL);
  int e = pthread_mutex_lock(&rm);
  int c = pthread_mutex_consistent(&rm);
  int u = pthread_mutex_unlock(&rm);
  int r = pthread_mutex_lock(&rm);
  printf("owner returned holding it: next lock %s, consistent %d, unlock %d, relock %d\n", strerrorname_np(e), c,
         u, r);
  pthread_mutex_unlock(&rm);

  /* Owner calls pthread_exit holding it while another thread waits. */
  pthread_create(&d, NULL, dies_holding, &rm2);
  sem_wait(&locked);
  pthread_create(&w, NULL, waiter, &rm2);
  pthread_join(d, NULL);
  pthread_join(w, NULL);
  printf("owner exited holding it, waiter queued: waiter got %s\n", strerrorname_np(waiter_result));
  printf("after the waiter made it consistent: lock %d\n", pthread_mutex_lock(&rm2));
  pthread_mutex_unlock(&rm2);

  /* Unlocked without pthread_mutex_consistent: not recoverable. */
  pthread_create(&d, NULL, dies_holding, &rm2);
  sem_wait(&locked);
  pthread_join(d, NULL);
  e = pthread_mutex_lock(&rm2);
  u = pthread_mutex_unlock(&rm2);
  r = pthread_mutex_lock(&rm2);
  printf("EOWNERDEAD (%s) then unlock (%d) without consistent: next lock %s\n", strerrorname_np(e), u,
         strerrorname_np(r));

  /* Robust and priority-inheriting; nobody waits. */
  pthread_create(&d, NULL, dies_holding, &rm_pi);
  sem_wait(&locked);
  pthread_join(d, NULL);
  e = pthread_mutex_lock(&rm_pi);
  c = pthread_mutex_consistent(&rm_pi);
  u = pthread_mutex_unlock(&rm_pi);
  printf("robust PI, owner returned holding it: next lock %s, consistent %d, unlock %d\n", strerrorname_np(e), c,
         u);

  pthread_mutex_lock(&rm_err);
  r = pthread_mutex_lock(&rm_err);
  pthread_mutex_unlock(&rm_err);
  u = pthread_mutex_unlock(&rm_err);
  printf("errorcheck robust: relock %s, unlock when not held %s\n", strerrorname_np(r), strerrorname_np(u));
  return 0;
}
