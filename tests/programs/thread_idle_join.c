/* A thread that goes SCHED_IDLE for good (a process without CAP_SYS_NICE
 * cannot leave it) and then ends is gone from /proc/self/task once
 * pthread_join, or a pthread_tryjoin_np that succeeds, returns: glibc's
 * join waits until the kernel, ending the thread, clears its tid, and the
 * kernel drops the task from /proc in that same exit. The check runs in a
 * new process without CAP_SYS_NICE while one spinning process per CPU keeps
 * the CPUs busy, so a SCHED_IDLE kernel thread still busy with its own exit
 * after the join would get a slice only now and then and be counted.
 * Each round: a thread sets SCHED_IDLE on itself (it cannot go back) and
 * returns; main joins it and at once counts the tasks whose policy is
 * SCHED_IDLE (read from /proc, never through the calls under test). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kRounds = 10, kMaxSpin = 8 };

static int read_file(const char *path, char *buf, size_t n) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t k = fread(buf, 1, n - 1, f);
  fclose(f);
  buf[k] = 0;
  return 0;
}
/* kpolicy: field 41 of /proc/<task>/stat, or -1 if the task is gone. */
static int kpolicy(const char *task) {
  char path[400], buf[2048];
  snprintf(path, sizeof path, "/proc/%s/stat", task);
  if (read_file(path, buf, sizeof buf) < 0) return -1;
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  p += 2;
  for (int field = 3; field < 41; field++) {
    p = strchr(p, ' ');
    if (!p) return -1;
    p++;
  }
  return atoi(p);
}
static int idle_tasks(void) {
  int n = 0;
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char task[300];
    snprintf(task, sizeof task, "self/task/%s", e->d_name);
    if (kpolicy(task) == SCHED_IDLE) n++;
  }
  closedir(d);
  return n;
}

static void *idler(void *a) {
  struct sched_param sp = {0};
  int r = pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
  int r2 = pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
  return (void *)(long)(r == 0 && r2 == EPERM);
}

static int child(void) {
  int ncpu = 0;
  cpu_set_t s;
  sched_getaffinity(0, sizeof s, &s);
  ncpu = CPU_COUNT(&s);
  if (ncpu > kMaxSpin) ncpu = kMaxSpin;
  pid_t spin[kMaxSpin];
  int up[2];
  if (pipe(up) != 0) return 1;
  for (int i = 0; i < ncpu; i++) {
    spin[i] = fork();
    if (spin[i] == 0) {
      if (write(up[1], "x", 1) != 1) _exit(1);
      for (;;) {
      }
    }
  }
  for (int i = 0; i < ncpu; i++) { /* every spinner runs */
    char c;
    if (read(up[0], &c, 1) != 1) return 1;
  }
  for (int round = 0; round < kRounds; round++) {
    pthread_t t;
    void *ok = NULL;
    pthread_create(&t, NULL, idler, NULL);
    const char *how;
    if (round % 2 == 0) {
      how = "pthread_join";
      pthread_join(t, &ok);
    } else {
      how = "pthread_tryjoin_np";
      int r;
      while ((r = pthread_tryjoin_np(t, &ok)) == EBUSY) usleep(100);
      if (r != 0) printf("  tryjoin: %s\n", strerror(r));
    }
    int n = idle_tasks();
    printf("round %d (%s): idle and stuck there: %s; tasks in SCHED_IDLE after: %d\n", round, how,
           ok ? "yes" : "no", n);
  }
  for (int i = 0; i < ncpu; i++) {
    kill(spin[i], SIGKILL);
    waitpid(spin[i], NULL, 0);
  }
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1 && !strcmp(argv[1], "nocap")) return child();
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return 1;
  exe[n] = 0;
  pid_t p = fork();
  if (p == 0) {
    prctl(PR_CAPBSET_DROP, 23 /* CAP_SYS_NICE */, 0, 0, 0);
    execl(exe, exe, "nocap", (char *)NULL);
    _exit(127);
  }
  int st;
  waitpid(p, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) printf("child: status %#x\n", st);
  return 0;
}
