/* Priority-inheritance mutexes, which the kernel manages by owner tid:
 * contended locking (owners block inside the critical section, so waiters
 * sleep in FUTEX_LOCK_PI) keeps an exact count; trylock says EBUSY and a
 * timed lock times out while another thread holds one; errorcheck says
 * EDEADLK to its owner and EPERM to anyone else; recursive nests; condition
 * variables wait with one and wake up owning it. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N 8
#define ITERS 300

static pthread_mutex_t pi, pi_err, pi_rec;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t b;
static long counter;
static int go, woke_owning;

static void init(pthread_mutex_t *m, int type) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
  pthread_mutexattr_settype(&a, type);
  pthread_mutex_init(m, &a);
  pthread_mutexattr_destroy(&a);
}

static void *worker(void *arg) {
  (void)arg;
  for (int i = 0; i < ITERS; i++) {
    if (pthread_mutex_lock(&pi) != 0) return (void *)1;
    long c = counter;
    if (i % 10 == 0) usleep(20); /* block while holding it */
    else if (i % 10 == 1) sched_yield();
    counter = c + 1;
    if (pthread_mutex_unlock(&pi) != 0) return (void *)1;
  }
  return NULL;
}

static void *holder(void *arg) {
  (void)arg;
  pthread_mutex_lock(&pi);
  pthread_mutex_lock(&pi_err);
  pthread_barrier_wait(&b); /* main tries them now */
  pthread_barrier_wait(&b);
  usleep(100);
  pthread_mutex_unlock(&pi_err);
  pthread_mutex_unlock(&pi);
  return NULL;
}

static void *waiter(void *arg) {
  (void)arg;
  pthread_mutex_lock(&pi_err);
  while (!go) pthread_cond_wait(&cv, &pi_err);
  if (pthread_mutex_lock(&pi_err) == EDEADLK) woke_owning++; /* it owns it again */
  usleep(10);
  pthread_mutex_unlock(&pi_err);
  return NULL;
}

int main(void) {
  init(&pi, PTHREAD_MUTEX_NORMAL);
  init(&pi_err, PTHREAD_MUTEX_ERRORCHECK);
  init(&pi_rec, PTHREAD_MUTEX_RECURSIVE);
  pthread_barrier_init(&b, NULL, 2);

  pthread_t t[N];
  for (int i = 0; i < N; i++) pthread_create(&t[i], NULL, worker, NULL);
  int errors = 0;
  for (int i = 0; i < N; i++) {
    void *r;
    pthread_join(t[i], &r);
    errors += r != NULL;
  }
  printf("contended PI mutex: counter %ld (expected %d), errors %d\n", counter, N * ITERS, errors);

  pthread_t h;
  pthread_create(&h, NULL, holder, NULL);
  pthread_barrier_wait(&b);
  struct timespec abs;
  clock_gettime(CLOCK_REALTIME, &abs);
  abs.tv_nsec += 20 * 1000 * 1000;
  if (abs.tv_nsec >= 1000000000) abs.tv_sec++, abs.tv_nsec -= 1000000000;
  printf("held by another thread: trylock %s, unlock (errorcheck) %s, timedlock %s\n",
         strerrorname_np(pthread_mutex_trylock(&pi)), strerrorname_np(pthread_mutex_unlock(&pi_err)),
         strerrorname_np(pthread_mutex_timedlock(&pi, &abs)));
  pthread_barrier_wait(&b);
  printf("lock after the holder lets go: %d\n", pthread_mutex_lock(&pi));
  pthread_mutex_unlock(&pi);
  pthread_join(h, NULL);

  pthread_mutex_lock(&pi_err);
  printf("errorcheck relock by its owner: %s\n", strerrorname_np(pthread_mutex_lock(&pi_err)));
  pthread_mutex_unlock(&pi_err);
  int rec = 0;
  for (int i = 0; i < 3; i++) rec += pthread_mutex_lock(&pi_rec);
  usleep(100);
  for (int i = 0; i < 3; i++) rec += pthread_mutex_unlock(&pi_rec);
  printf("recursive: 3 locks and unlocks %s, one more unlock %s\n", rec == 0 ? "ok" : "failed",
         strerrorname_np(pthread_mutex_unlock(&pi_rec)));

  for (int i = 0; i < N; i++) pthread_create(&t[i], NULL, waiter, NULL);
  usleep(2000);
  pthread_mutex_lock(&pi_err);
  go = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&pi_err);
  for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
  printf("condition waiters woke owning the PI mutex: %d of %d\n", woke_owning, N);
  return 0;
}
