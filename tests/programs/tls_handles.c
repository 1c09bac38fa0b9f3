/* gmp: no-compare (stale handles are undefined natively; checked preloaded)
 * A thread's handle is its TCB. Once joined, the handle names no thread:
 * join, tryjoin, getname, kill, detach and cancel on it say ESRCH, as does
 * a value inside libgmp's TLS arena that is no TCB, and none of them faults.
 * A kernel thread created before main (in a constructor: before libgmp's
 * scheduler starts) keeps its glibc handle, which passes through. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static pthread_t early;
static sem_t early_go;

static void *early_body(void *arg) {
  (void)arg;
  sem_wait(&early_go);
  return (void *)7;
}

__attribute__((constructor)) static void make_early_thread(void) {
  sem_init(&early_go, 0, 0);
  pthread_create(&early, NULL, early_body, NULL);
}

static void *body(void *arg) { return arg; }

static int check(const char *what, int got, int want) {
  if (got == want) return 1;
  printf("FAIL: %s: %s (want %s)\n", what, strerrorname_np(got), strerrorname_np(want));
  return 0;
}

int main(void) {
  int ok = 1;
  pthread_t t;
  pthread_create(&t, NULL, body, (void *)1);
  void *r;
  ok &= check("join", pthread_join(t, &r), 0);
  char name[16];
  ok &= check("join a joined thread", pthread_join(t, NULL), ESRCH);
  ok &= check("tryjoin a joined thread", pthread_tryjoin_np(t, NULL), ESRCH);
  ok &= check("getname of a joined thread", pthread_getname_np(t, name, sizeof name), ESRCH);
  ok &= check("kill a joined thread", pthread_kill(t, 0), ESRCH);
  ok &= check("detach a joined thread", pthread_detach(t), ESRCH);
  ok &= check("cancel a joined thread", pthread_cancel(t), ESRCH);
  pthread_t inside = (pthread_t)((char *)t + 8);
  ok &= check("join a non-TCB arena address", pthread_join(inside, NULL), ESRCH);
  ok &= check("getname of a non-TCB arena address", pthread_getname_np(inside, name, sizeof name), ESRCH);

  ok &= check("getname of a pre-main kernel thread", pthread_getname_np(early, name, sizeof name), 0);
  sem_post(&early_go);
  ok &= check("join a pre-main kernel thread", pthread_join(early, &r), 0);
  if (r != (void *)7) ok = 0, printf("FAIL: pre-main thread's result\n");
  printf("%s\n", ok ? "ok" : "FAIL");
  return ok ? 0 : 1;
}
