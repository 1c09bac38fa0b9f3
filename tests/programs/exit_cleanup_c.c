/* Plain C (no -fexceptions): pthread_cleanup_push/pop handlers run LIFO on
 * pthread_exit (also from nested calls), pop(0) skips, pop(1) runs, cleanup
 * handlers run before TSD destructors, and join sees the exit value. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 6

static void fail(const char *what) { printf("FAIL: %s\n", what); exit(1); }

struct log { char s[256]; };
static void add(struct log *l, const char *x) {
  if (l->s[0]) strcat(l->s, " ");
  strcat(l->s, x);
}

struct ctx { struct log *l; const char *name; };
static void handler(void *arg) {
  struct ctx *c = arg;
  add(c->l, c->name);
}

static pthread_key_t key;
static void dtor(void *v) { add(v, "tsd-dtor"); }

static void inner_exit(struct log *l, intptr_t v) {
  struct ctx c = { l, "h-inner" };
  pthread_cleanup_push(handler, &c);
  add(l, "exit");
  pthread_exit((void *)v);
  pthread_cleanup_pop(0);
}

static void *t_exit(void *arg) { /* handlers in two frames, exit from inner */
  struct log *l = arg;
  struct ctx a = { l, "h1" }, b = { l, "h2" }, c = { l, "h3" };
  pthread_setspecific(key, l);
  pthread_cleanup_push(handler, &a);
  pthread_cleanup_push(handler, &b);
  pthread_cleanup_push(handler, &c);
  inner_exit(l, 100);
  pthread_cleanup_pop(0);
  pthread_cleanup_pop(0);
  pthread_cleanup_pop(0);
  add(l, "NOT-REACHED");
  return NULL;
}

static void *t_pop(void *arg) { /* pop(0) skips, pop(1) runs; then return */
  struct log *l = arg;
  struct ctx a = { l, "p1" }, b = { l, "p2" }, c = { l, "p3" };
  pthread_setspecific(key, l);
  pthread_cleanup_push(handler, &a);
  pthread_cleanup_push(handler, &b);
  pthread_cleanup_push(handler, &c);
  add(l, "body");
  pthread_cleanup_pop(1);
  pthread_cleanup_pop(0);
  pthread_cleanup_pop(1);
  add(l, "return");
  return (void *)(intptr_t)200;
}

static void *t_exit_direct(void *arg) { /* pthread_exit between push/pop in same frame */
  struct log *l = arg;
  struct ctx a = { l, "d1" }, b = { l, "d2" };
  pthread_setspecific(key, l);
  pthread_cleanup_push(handler, &a);
  pthread_cleanup_pop(1);                /* runs d1 now */
  pthread_cleanup_push(handler, &b);
  add(l, "exit");
  pthread_exit((void *)(intptr_t)300);
  pthread_cleanup_pop(0);
  return NULL;
}

int main(void) {
  static const char *want[3] = {
    "exit h-inner h3 h2 h1 tsd-dtor",
    "body p3 p1 return tsd-dtor",
    "d1 exit d2 tsd-dtor",
  };
  static const intptr_t want_ret[3] = { 100, 200, 300 };
  void *(*fns[3])(void *) = { t_exit, t_pop, t_exit_direct };
  if (pthread_key_create(&key, dtor)) fail("key_create");
  struct log logs[N];
  pthread_t th[N];
  memset(logs, 0, sizeof logs);
  for (int i = 0; i < N; i++)
    if (pthread_create(&th[i], NULL, fns[i % 3], &logs[i])) fail("create");
  int bad = 0;
  for (int i = 0; i < N; i++) {
    void *r;
    if (pthread_join(th[i], &r)) fail("join");
    printf("thread %d returned %ld: %s\n", i, (long)(intptr_t)r, logs[i].s);
    if ((intptr_t)r != want_ret[i % 3] || strcmp(logs[i].s, want[i % 3]) != 0) bad++;
  }
  if (bad) fail("cleanup order");
  printf("cleanup handlers: ok\n");
  return 0;
}
