/* 100 000 thread lifecycles, each doing malloc/free, strerror and inet_ntoa:
 * the second half must not grow the resident set by 20 MB or more (a
 * per-thread leak of only 400 bytes would). Natively glibc frees each
 * thread's malloc cache at thread exit; under libgmp a green thread borrows
 * its kernel thread's instead. A leak test, not a timing test. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *volatile sink;

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = 0;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "VmRSS:", 6)) v = atol(line + 6);
  fclose(f);
  return v;
}

static void *body(void *a) {
  void *p = malloc(100 + (long)a % 300);
  sink = p;
  free(p);
  sink = strerror(5);
  struct in_addr ia = {htonl(0x7f000001)};
  sink = inet_ntoa(ia);
  return a;
}

int main(void) {
  const int n = 100000;
  long half = 0;
  for (long i = 0; i < n; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, body, (void *)i) != 0) return 1;
    pthread_join(t, NULL);
    if (i == n / 2) half = rss_kb();
  }
  long growth = rss_kb() - half;
  printf("%d thread lifecycles; RSS growth in the second half below 20 MB: %s\n", n,
         growth < 20 * 1024 ? "yes" : "no");
  if (growth >= 20 * 1024) fprintf(stderr, "growth %ld KB\n", growth);
  return growth < 20 * 1024 ? 0 : 1;
}
