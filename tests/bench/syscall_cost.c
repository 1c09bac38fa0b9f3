// syscall_cost.c — cost of a call on libgmp's syscall path (entersyscall /
// exitsyscall around the real call) against the same call natively.
// fdatasync on /dev/null fails at once with EINVAL: almost pure call overhead.
// One extra thread stays parked for the whole run, natively too: the kernel
// takes cheaper paths (no file reference counting in fdget) in a process with
// a single thread, and a libgmp process always has several (sysmon), so a
// single-threaded native baseline would charge that kernel difference to
// libgmp. libgmp is for threaded programs; the baseline is one.
//
// usage: syscall_cost [CALLS]   (default 1000000)
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static sem_t done;
static void* idle_thread(void* arg) {
  sem_wait(&done);
  return arg;
}

int main(int argc, char** argv) {
  sem_init(&done, 0, 0);
  pthread_t idle;
  pthread_create(&idle, NULL, idle_thread, NULL);
  long calls = argc > 1 ? atol(argv[1]) : 1000000;
  int fd = open("/dev/null", O_RDWR);
  if (fd < 0 || calls <= 0) return 2;
  long einval = 0;
  double t0 = now();
  for (long i = 0; i < calls; i++)
    if (fdatasync(fd) != 0 && errno == EINVAL) einval++;
  double dt = now() - t0;
  sem_post(&done);
  pthread_join(idle, NULL);
  printf("checksum: %ld of %ld calls failed with EINVAL\n", einval, calls);
  printf("result: %.6f s %ld fdatasync calls (%.1f ns each)\n", dt, calls, dt / calls * 1e9);
  return einval == calls ? 0 : 1;
}
