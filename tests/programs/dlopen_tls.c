/* dlopen of a module with initial-exec TLS while threads exist: threads
 * created before the dlopen and threads created after it all see the
 * module's initial values (4242, {1,2,3,4}, 777), each has its own copy
 * (a write is invisible to the others), and the values and addresses stay
 * put across blocking calls. The module is helpers/tls_module.c, built next
 * to this program as libgmp_test_tlsmod.so. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BEFORE 8
#define AFTER 8

static int (*get_ie)(void);
static int (*sum_ie_array)(void);
static long (*get_dyn)(void);
static void (*set_all)(int);
static void *(*ie_addr)(void);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int loaded;
static pthread_barrier_t wrote;

static void *body(void *arg) {
  int id = (int)(intptr_t)arg;
  pthread_mutex_lock(&mu);
  while (!loaded) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  int ok = get_ie() == 4242 && sum_ie_array() == 10 && get_dyn() == 777;
  void *addr = ie_addr();
  set_all(1000 + id);
  pthread_barrier_wait(&wrote); /* everybody wrote its own value */
  for (int i = 0; i < 20; i++) {
    if (i % 2) usleep(50);
    else sched_yield();
    ok &= get_ie() == 1000 + id && get_dyn() == 1000 + id && ie_addr() == addr;
  }
  return (void *)(intptr_t)ok;
}

int main(void) {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 64);
  if (n <= 0) return 2;
  path[n] = 0;
  strcpy(strrchr(path, '/') + 1, "libgmp_test_tlsmod.so");

  pthread_barrier_init(&wrote, NULL, BEFORE + AFTER);
  pthread_t t[BEFORE + AFTER];
  for (int i = 0; i < BEFORE; i++) pthread_create(&t[i], NULL, body, (void *)(intptr_t)i);
  usleep(1000); /* let them block: they exist before the dlopen */

  void *h = dlopen(path, RTLD_NOW);
  if (!h) {
    printf("dlopen failed: %s\n", dlerror());
    return 1;
  }
  get_ie = (int (*)(void))dlsym(h, "get_ie");
  sum_ie_array = (int (*)(void))dlsym(h, "sum_ie_array");
  get_dyn = (long (*)(void))dlsym(h, "get_dyn");
  set_all = (void (*)(int))dlsym(h, "set_all");
  ie_addr = (void *(*)(void))dlsym(h, "ie_addr");
  printf("main after dlopen: ie=%d array sum=%d dynamic=%ld\n", get_ie(), sum_ie_array(), get_dyn());

  pthread_mutex_lock(&mu);
  loaded = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  for (int i = BEFORE; i < BEFORE + AFTER; i++) pthread_create(&t[i], NULL, body, (void *)(intptr_t)i);

  int before_ok = 1, after_ok = 1;
  for (int i = 0; i < BEFORE + AFTER; i++) {
    void *r;
    pthread_join(t[i], &r);
    if (i < BEFORE) before_ok &= (int)(intptr_t)r;
    else after_ok &= (int)(intptr_t)r;
  }
  printf("threads created before the dlopen: initial values, own copies, stable: %s\n", before_ok ? "yes" : "no");
  printf("threads created after the dlopen: initial values, own copies, stable: %s\n", after_ok ? "yes" : "no");
  printf("main unchanged by the threads: ie=%d dynamic=%ld\n", get_ie(), get_dyn());
  return before_ok && after_ok ? 0 : 1;
}
