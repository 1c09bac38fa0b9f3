/* 50 000 thread lifecycles, 16 at a time, each leaving glibc per-thread
 * state behind as a real program's threads do: the malloc cache,
 * strerror_l's and strsignal's buffers for unknown numbers, the resolver
 * state (res_init), a dlerror message, inet_ntoa's buffer, a thread_local
 * with a destructor and a key value. glibc frees them when a thread exits;
 * the resident set must not grow with the number of threads ever created
 * (after the first 10 000, growth stays below 2 MB: a leak of 50 bytes per
 * thread would exceed it; natively it is a few KB). A leak test, not a
 * timing test. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <locale.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOTAL 50000
#define BATCH 16
#define WARM 10000
#define BOUND_KB (2 * 1024)

static void *volatile sink;
static pthread_key_t key;
static __thread char tl_buf[64];

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = 0;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "VmRSS:", 6)) v = atol(line + 6);
  fclose(f);
  return v;
}

static void free_key(void *p) { free(p); }

static void *body(void *a) {
  long i = (long)(intptr_t)a;
  void *p = malloc(64 + i % 500);
  sink = p;
  free(p);
  locale_t loc = uselocale((locale_t)0);
  sink = strerror_l(100000 + (int)(i % 7), loc); /* "Unknown error N": allocated */
  sink = strsignal(SIGRTMAX + 1 + (int)(i % 3)); /* "Unknown signal N": allocated */
  struct in_addr ia = {htonl(0x7f000001 + (uint32_t)i)};
  sink = inet_ntoa(ia);
  if (i % 4 == 0) res_init();
  if (i % 8 == 0) {
    sink = dlopen("/nonexistent/libgmp-test-missing.so", RTLD_NOW);
    if (i % 16 == 0) sink = dlerror(); /* fetched once, or never */
  }
  snprintf(tl_buf, sizeof tl_buf, "%ld", i);
  sink = tl_buf;
  pthread_setspecific(key, malloc(48));
  return a;
}

int main(void) {
  pthread_key_create(&key, free_key);
  long warm = 0;
  for (long i = 0; i < TOTAL; i += BATCH) {
    pthread_t t[BATCH];
    for (int j = 0; j < BATCH; j++)
      if (pthread_create(&t[j], NULL, body, (void *)(intptr_t)(i + j)) != 0) return 1;
    for (int j = 0; j < BATCH; j++) pthread_join(t[j], NULL);
    if (i + BATCH > WARM && warm == 0) warm = rss_kb();
  }
  long growth = rss_kb() - warm;
  printf("%d thread lifecycles (%d at a time); RSS growth after the first %d below %d KB: %s\n", TOTAL, BATCH,
         WARM, BOUND_KB, growth < BOUND_KB ? "yes" : "no");
  if (growth >= BOUND_KB || getenv("GMP_TEST_VERBOSE")) fprintf(stderr, "growth %ld KB\n", growth);
  return growth < BOUND_KB ? 0 : 1;
}
