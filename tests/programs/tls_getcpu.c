/* sched_getcpu() in many threads, across blocking calls, says the CPU the
 * kernel says (getcpu between two identical raw readings), which is in the
 * process's affinity mask. glibc reads it from the thread's rseq area when
 * the thread registered one; a thread whose area reads 0 would claim CPU 0. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 8

static cpu_set_t mask;

static int raw_getcpu(void) {
  unsigned cpu = 0;
  syscall(SYS_getcpu, &cpu, NULL, NULL);
  return (int)cpu;
}

/* check: 1 if sched_getcpu() agreed with the kernel at least once in a
 * quiet moment and never named a CPU outside the mask. */
static int check(void) {
  int agreed = 0;
  for (int i = 0; i < 200 && !agreed; i++) {
    int a = raw_getcpu();
    int c = sched_getcpu();
    int b = raw_getcpu();
    if (c < 0 || c >= CPU_SETSIZE || !CPU_ISSET(c, &mask)) return 0;
    if (a == b && c == a) agreed = 1;
  }
  return agreed;
}

static void *body(void *arg) {
  (void)arg;
  int ok = 1;
  for (int r = 0; r < 10; r++) {
    ok &= check();
    if (r % 2) usleep(100);
    else sched_yield();
  }
  return (void *)(intptr_t)ok;
}

int main(void) {
  sched_getaffinity(0, sizeof mask, &mask);
  int ok = check();
  pthread_t t[N];
  for (int i = 0; i < N; i++) pthread_create(&t[i], NULL, body, NULL);
  for (int i = 0; i < N; i++) {
    void *r;
    pthread_join(t[i], &r);
    ok &= (int)(intptr_t)r;
  }
  puts(ok ? "ok" : "sched_getcpu disagrees with the kernel");
  return 0;
}
