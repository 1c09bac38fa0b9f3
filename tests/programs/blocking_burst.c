/* 32 threads block at once in a raw syscall instruction (invisible to any
 * hook). Under libgmp each blocked kernel thread loses its P to sysmon, which
 * starts another M for the next thread, so the burst needs many kernel
 * threads; afterwards they must all go back to sleep in the idle pool (no
 * kernel thread but main still running), as natively the threads are gone.
 * tests/checks/max_threads.sh also runs this with GMP_MAX_THREADS=8: the
 * burst then exceeds the cap and libgmp must stop with one clear message. */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define N 32

static void *blocker(void *a) {
  struct timespec ts = {0, 200000000};
  long ret;
  asm volatile("syscall" : "=a"(ret) : "a"(SYS_nanosleep), "D"(&ts), "S"(0) : "rcx", "r11", "memory");
  return (void *)ret;
}

/* running_others counts this process's tasks in state R, except the caller. */
static int running_others(void) {
  int n = 0, self = (int)syscall(SYS_gettid);
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == self) continue;
    char path[300], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    if (fgets(buf, sizeof buf, f)) {
      char *p = strrchr(buf, ')');
      if (p && p[2] == 'R') n++;
    }
    fclose(f);
  }
  closedir(d);
  return n;
}

int main(void) {
  pthread_t t[N];
  for (int i = 0; i < N; i++) pthread_create(&t[i], NULL, blocker, NULL);
  long sum = 0;
  for (int i = 0; i < N; i++) {
    void *r;
    pthread_join(t[i], &r);
    sum += (long)r;
  }
  printf("%d threads blocked in a raw syscall and returned %ld\n", N, sum);
  int busy = 1;
  for (int tries = 0; tries < 50 && busy; tries++) {  /* allow up to ~1 s to settle */
    usleep(20000);
    busy = running_others() > 0;
  }
  printf("every other kernel thread idle after the burst: %s\n", busy ? "no" : "yes");
  return busy;
}
