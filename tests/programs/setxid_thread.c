/* The set*id family called from a created thread — the usual privilege
 * drop of a daemon, initgroups + setgid + setuid — while 20 other threads
 * sleep, wait on a condition variable or compute. Credentials are per
 * kernel thread on Linux, so glibc changes them on every thread it knows;
 * afterwards every task of the process (/proc/self/task/N/status) must show
 * the new groups, gid and uid. initgroups reaches glibc's internal
 * setgroups, which no preload hook sees: glibc's own broadcast then signals
 * every kernel thread, and a runtime whose kernel threads answer glibc's
 * signal on a green thread's TCB spins forever here. Needs root (the test
 * suite runs as root); otherwise it says so and fails. */
#define _GNU_SOURCE
#include <dirent.h>
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N 20
static volatile int stop;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *other(void *arg) {
  long i = (long)arg;
  while (!stop) {
    if (i % 3 == 0) {
      struct timespec ts = {0, 200000};
      nanosleep(&ts, NULL);
    } else if (i % 3 == 1) {
      pthread_mutex_lock(&mu);
      struct timespec dl;
      clock_gettime(CLOCK_REALTIME, &dl);
      dl.tv_nsec += 300000;
      if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
      }
      pthread_cond_timedwait(&cv, &mu, &dl);
      pthread_mutex_unlock(&mu);
    } else {
      for (volatile int k = 0; k < 100000; k++) {
      }
    }
  }
  return NULL;
}

// tasks_showing: how many tasks of the process have a status line starting
// with key that contains want; -1 if some task's line does not.
static int tasks_showing(const char *key, const char *want) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return -1;
  struct dirent *e;
  int n = 0, bad = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[300], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    while (fgets(line, sizeof line, f))
      if (!strncmp(line, key, strlen(key))) {
        if (strstr(line, want))
          n++;
        else
          bad++;
      }
    fclose(f);
  }
  closedir(d);
  return bad ? -1 : n;
}

static void *dropper(void *arg) {
  (void)arg;
  int a = initgroups("nobody", 4242);
  printf("initgroups: %d, every task in groups 4242 only: %s\n", a, tasks_showing("Groups:", "\t4242 \n") > 0 ? "yes" : "no");
  int b = setgid(4242);
  printf("setgid: %d, every task has gid 4242: %s\n", b, tasks_showing("Gid:", "\t4242\t4242\t4242\t4242") > 0 ? "yes" : "no");
  int c = setuid(65534);
  printf("setuid: %d, every task has uid 65534: %s\n", c, tasks_showing("Uid:", "\t65534\t65534\t65534\t65534") > 0 ? "yes" : "no");
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (geteuid() != 0) {
    printf("setxid_thread needs root: the credential changes it checks are refused otherwise\n");
    return 1;
  }
  pthread_t t[N], d;
  for (long i = 0; i < N; i++) pthread_create(&t[i], NULL, other, (void *)i);
  struct timespec ts = {0, 5000000};
  nanosleep(&ts, NULL);
  pthread_create(&d, NULL, dropper, NULL);
  pthread_join(d, NULL);
  stop = 1;
  for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
  printf("after the threads ended: uid %d gid %d\n", (int)getuid(), (int)getgid());
  return 0;
}
