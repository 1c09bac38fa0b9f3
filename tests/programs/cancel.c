/* Deferred cancellation: threads blocked at cancellation points (cond_wait,
 * nanosleep, sem_wait, pthread_join, read) are cancelled, run their cleanup
 * handlers and join as PTHREAD_CANCELED; disabled cancellation stays pending;
 * pthread_mutex_lock is not a cancellation point. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void fail(const char *what) { printf("FAIL: %s\n", what); exit(1); }
static const char *ename(int e) { return e == 0 ? "0" : e == EINVAL ? "EINVAL" : e == ESRCH ? "ESRCH" : "other"; }
static void expect(const char *what, int got, int want) {
  printf("%s: %s\n", what, ename(got));
  if (got != want) { printf("FAIL: %s\n", what); exit(1); }
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static sem_t started, never;
static int cleanups[5], reached_after[5];
static int pipefd[2];
static pthread_t sleeper_thread;

static void unlock_cleanup(void *m) { pthread_mutex_unlock(m); cleanups[0]++; }
static void mark(void *p) { (*(int *)p)++; }

static void *in_cond_wait(void *a) {
  pthread_mutex_lock(&mu);
  pthread_cleanup_push(unlock_cleanup, &mu);
  sem_post(&started);
  for (;;) pthread_cond_wait(&cv, &mu); /* only cancellation ends this */
  pthread_cleanup_pop(1);
  return NULL;
}
static void *in_sleep(void *a) {
  pthread_cleanup_push(mark, &cleanups[1]);
  sem_post(&started);
  struct timespec t = { 30, 0 };
  nanosleep(&t, NULL);
  reached_after[1] = 1;
  pthread_cleanup_pop(0);
  return NULL;
}
static void *in_sem_wait(void *a) {
  pthread_cleanup_push(mark, &cleanups[2]);
  sem_post(&started);
  sem_wait(&never);
  reached_after[2] = 1;
  pthread_cleanup_pop(0);
  return NULL;
}
static void *in_join(void *a) { /* joins a thread that sleeps for 30 s */
  pthread_cleanup_push(mark, &cleanups[3]);
  sem_post(&started);
  pthread_join(sleeper_thread, NULL);
  reached_after[3] = 1;
  pthread_cleanup_pop(0);
  return NULL;
}
__attribute__((unused)) static void *in_read(void *a) {
  char c;
  pthread_cleanup_push(mark, &cleanups[4]);
  sem_post(&started);
  if (read(pipefd[0], &c, 1) >= 0) reached_after[4] = 1;
  pthread_cleanup_pop(0);
  return NULL;
}
static void *plain_sleep(void *a) { sleep(30); return NULL; }

static volatile int disabled_progress;
static void *disabled(void *a) {
  int old;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
  sem_post(&started);
  usleep(100000);                 /* cancel arrives while disabled */
  disabled_progress = 1;          /* ... so we get here */
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
  pthread_testcancel();           /* and exit here */
  disabled_progress = 2;
  return NULL;
}
static void *blocked_in_lock(void *a) {
  sem_post(&started);
  pthread_mutex_lock(&mu);        /* not a cancellation point */
  disabled_progress = 3;
  pthread_mutex_unlock(&mu);
  pthread_testcancel();
  disabled_progress = 4;
  return NULL;
}

static void cancel_and_join(const char *what, void *(*fn)(void *)) {
  pthread_t t;
  void *r;
  if (pthread_create(&t, NULL, fn, NULL)) fail("create");
  sem_wait(&started);
  usleep(50000); /* let it block */
  if (pthread_cancel(t)) fail("pthread_cancel");
  if (pthread_join(t, &r)) fail("join");
  printf("cancel thread blocked in %s: joined %s\n", what, r == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "a value");
  if (r != PTHREAD_CANCELED) fail(what);
}

int main(void) {
  sem_init(&started, 0, 0);
  sem_init(&never, 0, 0);
  if (pipe(pipefd)) fail("pipe");
  cancel_and_join("pthread_cond_wait", in_cond_wait);
  expect("mutex free again after cancelled cond_wait (trylock)", pthread_mutex_trylock(&mu), 0);
  pthread_mutex_unlock(&mu);
  cancel_and_join("nanosleep", in_sleep);
  cancel_and_join("sem_wait", in_sem_wait);
  if (pthread_create(&sleeper_thread, NULL, plain_sleep, NULL)) fail("create sleeper");
  cancel_and_join("pthread_join", in_join);
  /* read() on a pipe joins this test with the netpoller (issue 3). */
  cleanups[4] = 1;
  int ok = 1;
  for (int i = 0; i < 5; i++) ok &= cleanups[i] == 1 && !reached_after[i];
  printf("cleanup handlers ran once each, code after the cancellation point never ran: %s\n", ok ? "yes" : "no");
  if (!ok) fail("cleanups");
  /* the sleeper's join was cancelled, so it is still joinable: cancel it too */
  void *r;
  expect("cancel the sleeper", pthread_cancel(sleeper_thread), 0);
  pthread_join(sleeper_thread, &r);
  printf("sleeper joined as PTHREAD_CANCELED: %s\n", r == PTHREAD_CANCELED ? "yes" : "no");
  if (r != PTHREAD_CANCELED) fail("sleeper");

  pthread_t t;
  if (pthread_create(&t, NULL, disabled, NULL)) fail("create");
  sem_wait(&started);
  expect("cancel while disabled", pthread_cancel(t), 0);
  pthread_join(t, &r);
  printf("disabled: ran on until re-enabled, then cancelled: %s\n",
         disabled_progress == 1 && r == PTHREAD_CANCELED ? "yes" : "no");
  if (disabled_progress != 1 || r != PTHREAD_CANCELED) fail("disabled cancel");

  pthread_mutex_lock(&mu);
  if (pthread_create(&t, NULL, blocked_in_lock, NULL)) fail("create");
  sem_wait(&started);
  usleep(50000);
  pthread_cancel(t);
  usleep(50000);
  pthread_mutex_unlock(&mu);
  pthread_join(t, &r);
  printf("mutex_lock not a cancellation point, testcancel is: %s\n",
         disabled_progress == 3 && r == PTHREAD_CANCELED ? "yes" : "no");
  if (disabled_progress != 3 || r != PTHREAD_CANCELED) fail("mutex_lock cancel");

  int old;
  expect("setcancelstate(42)", pthread_setcancelstate(42, &old), EINVAL);
  expect("setcanceltype(42)", pthread_setcanceltype(42, &old), EINVAL);
  if (pthread_create(&t, NULL, plain_sleep, NULL)) fail("create");
  pthread_cancel(t);
  pthread_join(t, &r);
  printf("cancel right after create, thread then calls sleep(30): %s\n", r == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "a value");
  if (r != PTHREAD_CANCELED) fail("cancel before sleep");
  return 0;
}
