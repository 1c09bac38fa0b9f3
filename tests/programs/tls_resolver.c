/* Each thread has its own resolver state (_res): a thread that initialises
 * it and changes options keeps its values across blocking calls, and no
 * other thread (nor main) sees them. */
#define _GNU_SOURCE
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <unistd.h>

static pthread_barrier_t b;
static struct __res_state *addr_a, *addr_b;

static void *thread_a(void *arg) {
  (void)arg;
  res_init();
  _res.retry = 9;
  _res.options |= RES_DEBUG;
  addr_a = &_res;
  pthread_barrier_wait(&b); /* B looks now */
  pthread_barrier_wait(&b);
  usleep(200);
  int ok = _res.retry == 9 && (_res.options & RES_DEBUG) && &_res == addr_a;
  printf("A: its own changes survive blocking calls: %s\n", ok ? "yes" : "no");
  return NULL;
}

static void *thread_b(void *arg) {
  (void)arg;
  pthread_barrier_wait(&b);
  res_init();
  addr_b = &_res;
  printf("B: sees A's retry: %s, A's RES_DEBUG: %s\n", _res.retry == 9 ? "yes" : "no",
         (_res.options & RES_DEBUG) ? "yes" : "no");
  _res.retry = 3;
  pthread_barrier_wait(&b);
  return NULL;
}

int main(void) {
  pthread_barrier_init(&b, NULL, 2);
  pthread_t a, bb;
  pthread_create(&a, NULL, thread_a, NULL);
  pthread_create(&bb, NULL, thread_b, NULL);
  pthread_join(a, NULL);
  pthread_join(bb, NULL);
  printf("A and B state at different addresses: %s\n", addr_a != addr_b ? "yes" : "no");
  printf("main: sees a thread's retry: %s\n", (_res.retry == 9 || _res.retry == 3) ? "yes" : "no");
  return 0;
}
