// handoff_latency.c — how long after a thread blocks in the kernel does a
// runnable thread waiting for the same processor start running?
//
// Thread A wakes thread B (a semaphore post: B becomes runnable), notes the
// time and blocks for 2 ms: in flock (a call libgmp hands off at once) or in
// a raw syscall instruction (invisible: sysmon must notice the M is not using
// CPU). B notes when it runs. Natively B usually runs at once on another CPU;
// under libgmp with GOMAXPROCS=1 it needs A's P. 1000 trials per kind; the
// distribution (p50/p90/p99/max, µs) is printed, and the result line is the
// total wall time.
//
// usage: handoff_latency [TRIALS]
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long trials = 1000;
static sem_t to_b, b_done, a_go, a_done;
static double t_block, *lat;
static int kind;  // 0: flock held by main, 1: raw nanosleep
static int lockfd_a, lockfd_main;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void raw_nanosleep(long ns) {
  struct timespec ts = {0, ns};
  long ret;
  asm volatile("syscall" : "=a"(ret) : "a"(SYS_nanosleep), "D"(&ts), "S"(0) : "rcx", "r11", "memory");
}

static void* a_thread(void* arg) {
  for (long i = 0; i < trials; i++) {
    sem_wait(&a_go);
    t_block = now();  // before the post: B must never see an older value
    sem_post(&to_b);
    if (kind == 0) {
      flock(lockfd_a, LOCK_EX);  // main holds it and lets go after ~2 ms
      flock(lockfd_a, LOCK_UN);
    } else {
      raw_nanosleep(2000000);
    }
    sem_post(&a_done);  // main may take the lock again only after this
  }
  return arg;
}

static void* b_thread(void* arg) {
  for (long i = 0; i < trials; i++) {
    sem_wait(&to_b);
    lat[i] = now() - t_block;
    sem_post(&b_done);
  }
  return arg;
}

static int cmp(const void* x, const void* y) {
  double a = *(const double*)x, b = *(const double*)y;
  return a < b ? -1 : a > b;
}

static void run(const char* what) {
  pthread_t a, b;
  sem_init(&to_b, 0, 0);
  sem_init(&b_done, 0, 0);
  sem_init(&a_go, 0, 0);
  sem_init(&a_done, 0, 0);
  pthread_create(&b, NULL, b_thread, NULL);
  pthread_create(&a, NULL, a_thread, NULL);
  for (long i = 0; i < trials; i++) {
    if (kind == 0) flock(lockfd_main, LOCK_EX);
    sem_post(&a_go);
    sem_wait(&b_done);
    if (kind == 0) {
      usleep(2000);
      flock(lockfd_main, LOCK_UN);
    }
    sem_wait(&a_done);
  }
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  qsort(lat, trials, sizeof *lat, cmp);
  printf("%-34s p50 %7.1f us  p90 %7.1f us  p99 %7.1f us  max %7.1f us\n", what,
         lat[trials / 2] * 1e6, lat[trials * 9 / 10] * 1e6, lat[trials * 99 / 100] * 1e6,
         lat[trials - 1] * 1e6);
}

int main(int argc, char** argv) {
  if (argc > 1) trials = atol(argv[1]);
  if (trials < 10) return 2;
  lat = calloc(trials, sizeof *lat);
  char path[64];
  snprintf(path, sizeof path, "/tmp/gmp-handoff-%d", (int)getpid());
  lockfd_main = open(path, O_CREAT | O_RDWR, 0600);
  lockfd_a = open(path, O_RDWR);
  double t0 = now();
  kind = 0;
  run("B runs after A blocks in flock:");
  kind = 1;
  run("B runs after A blocks in raw syscall:");
  double dt = now() - t0;
  unlink(path);
  printf("checksum: %ld trials x 2\n", trials);
  printf("result: %.6f s %ld hand-off trials x 2 (see distributions above)\n", dt, trials);
  return 0;
}
