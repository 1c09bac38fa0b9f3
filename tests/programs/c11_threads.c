/* C11 threads (<threads.h>), whose glibc functions call glibc's pthread
 * functions internally: thrd_create/join/detach, thrd_exit from nested
 * calls with pthread_cleanup_push handlers (plain C, no -fexceptions) that
 * run LIFO before tss destructors, thrd_sleep, thrd_yield, mtx_* (plain,
 * timed, recursive), cnd_* and call_once under contention, and thrd_exit
 * from main: the process lives on until the last thread ends, then exits 0. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>

static void fail(const char *what) { printf("FAIL: %s\n", what); exit(1); }

struct log { char s[256]; };
static void add(struct log *l, const char *x) {
  if (l->s[0]) strcat(l->s, " ");
  strcat(l->s, x);
}

struct ctx { struct log *l; const char *name; };
static void handler(void *arg) { struct ctx *c = arg; add(c->l, c->name); }

static tss_t key;
static void dtor(void *v) { add(v, "tss-dtor"); }

static void inner(struct log *l, int v) {
  struct ctx c = { l, "h-inner" };
  pthread_cleanup_push(handler, &c);
  add(l, "thrd_exit");
  thrd_exit(v);
  pthread_cleanup_pop(0);
}

static int t_exit(void *arg) {
  struct log *l = arg;
  struct ctx a = { l, "h1" }, b = { l, "h2" };
  if (tss_set(key, l) != thrd_success) fail("tss_set");
  pthread_cleanup_push(handler, &a);
  pthread_cleanup_push(handler, &b);
  struct timespec d = { 0, 200000 };
  if (thrd_sleep(&d, NULL) != 0) fail("thrd_sleep");
  thrd_yield();
  inner(l, 42);
  pthread_cleanup_pop(0);
  pthread_cleanup_pop(0);
  return 0; /* not reached */
}

static int t_return(void *arg) { return (int)(intptr_t)arg * 3; }

/* Contention on C11 objects. */
#define WORKERS 8
#define ITERS 2000
static mtx_t mu, rec, timed;
static cnd_t cv;
static long counter, rec_counter;
static int ready_count;
static once_flag once = ONCE_FLAG_INIT;
static int once_runs;
static void init_once(void) { once_runs++; }

static int t_work(void *arg) {
  (void)arg;
  call_once(&once, init_once);
  for (int i = 0; i < ITERS; i++) {
    if (mtx_lock(&mu) != thrd_success) fail("mtx_lock");
    counter++;
    if (i % 100 == 0) thrd_yield();
    mtx_unlock(&mu);
    if (mtx_lock(&rec) != thrd_success || mtx_lock(&rec) != thrd_success) fail("recursive");
    rec_counter++;
    mtx_unlock(&rec);
    mtx_unlock(&rec);
  }
  struct timespec abs;
  timespec_get(&abs, TIME_UTC);
  abs.tv_sec += 60;
  if (mtx_timedlock(&timed, &abs) != thrd_success) fail("mtx_timedlock");
  mtx_unlock(&timed);
  mtx_lock(&mu);
  ready_count++;
  cnd_broadcast(&cv);
  while (ready_count < WORKERS) cnd_wait(&cv, &mu);
  mtx_unlock(&mu);
  return 0;
}

static struct log late_log;
static int t_late(void *arg) {
  (void)arg;
  struct timespec d = { 0, 20 * 1000 * 1000 };
  thrd_sleep(&d, NULL);
  printf("late thread: still running after main's thrd_exit\n");
  fflush(stdout);
  return 0;
}

int main(void) {
  if (tss_create(&key, dtor) != thrd_success) fail("tss_create");
  struct log l = { "" };
  thrd_t t;
  int res = 0;
  if (thrd_create(&t, t_exit, &l) != thrd_success) fail("thrd_create");
  if (thrd_join(t, &res) != thrd_success) fail("thrd_join");
  printf("thrd_exit: result %d, order: %s\n", res, l.s);

  int sum = 0;
  thrd_t ts[10];
  for (int i = 0; i < 10; i++) thrd_create(&ts[i], t_return, (void *)(intptr_t)(i - 5));
  for (int i = 0; i < 10; i++) {
    thrd_join(ts[i], &res);
    sum += res;
  }
  printf("returned results (negative ones too) sum to %d\n", sum);

  mtx_init(&mu, mtx_plain);
  mtx_init(&rec, mtx_recursive);
  mtx_init(&timed, mtx_timed);
  cnd_init(&cv);
  for (int i = 0; i < WORKERS; i++) thrd_create(&ts[i], t_work, NULL);
  for (int i = 0; i < WORKERS; i++) thrd_join(ts[i], NULL);
  printf("mtx/cnd: counters %ld and %ld (expected %d), call_once ran %d time(s)\n", counter, rec_counter,
         WORKERS * ITERS, once_runs);
  mtx_lock(&mu);
  printf("mtx_trylock on a held plain mutex from its owner: %s\n",
         mtx_trylock(&mu) == thrd_busy ? "thrd_busy" : "other");
  mtx_unlock(&mu);

  thrd_t d;
  thrd_create(&d, t_late, &late_log);
  printf("detach: %s\n", thrd_detach(d) == thrd_success ? "ok" : "failed");
  printf("main: thrd_exit\n");
  fflush(stdout);
  thrd_exit(7); /* the process ends with status 0 when t_late is done */
}
