/* Per-thread affinity and policy stay with the thread that set them, and
 * follow pthread_create as natively (kernel views are read from
 * /proc/thread-self and /proc/self/task, never through the calls under test):
 *  1. a thread with its own mask and SCHED_BATCH that blocks over and over
 *     (other kernel threads get started meanwhile): exactly one task of the
 *     process carries them, and other threads' kernel threads never do; none
 *     after it exits;
 *  2. inheritance: a child of that thread starts with its mask and policy
 *     (kernel too); pthread_attr_setaffinity_np and PTHREAD_EXPLICIT_SCHED
 *     apply to the new thread; main's own mask (sched_setaffinity(0)) is
 *     inherited and can be widened again;
 *  3. another thread's changes are checked as the kernel checks them
 *     (SCHED_DEADLINE and a mask of no usable CPU: EINVAL), and an exited,
 *     unjoined thread answers as glibc makes it (affinity: the caller's;
 *     policy: ESRCH);
 *  4. raw syscall(SYS_sched_setaffinity / getaffinity / getscheduler, 0)
 *     act on the calling thread only;
 *  5. (a new process started on one CPU, as under taskset) a thread widens
 *     its mask to another CPU and to both;
 *  6. (a new process without CAP_SYS_NICE) SCHED_FIFO on another thread is
 *     refused (EPERM); a thread that goes SCHED_IDLE cannot come back: while
 *     it blocks, and after it exits, no other thread runs SCHED_IDLE;
 *  7. (a new process) main leaves with pthread_exit; sched_setaffinity on
 *     the process id then changes no running thread's kernel mask.
 * Masks print as indices into the process's CPU list. Needs two CPUs. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

static cpu_set_t procmask;
static int cpus[CPU_SETSIZE], ncpu;
static char exe[4096];

static void load_cpus(void) {
  CPU_ZERO(&procmask);
  sched_getaffinity(0, sizeof procmask, &procmask);
  ncpu = 0;
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &procmask)) cpus[ncpu++] = c;
}

static const char *show(const cpu_set_t *s, char *buf) {
  char *p = buf;
  *p++ = '{';
  int first = 1;
  for (int i = 0; i < ncpu; i++)
    if (CPU_ISSET(cpus[i], s)) p += sprintf(p, first ? "%d" : ",%d", i), first = 0;
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, s) && !CPU_ISSET(c, &procmask)) p += sprintf(p, first ? "cpu%d" : ",cpu%d", c), first = 0;
  strcpy(p, "}");
  return buf;
}

static const char *pol_name(int p, char *b) {
  const char *r = (p & SCHED_RESET_ON_FORK) ? "|RESET" : "";
  switch (p & ~SCHED_RESET_ON_FORK) {
    case SCHED_OTHER: snprintf(b, 32, "OTHER%s", r); break;
    case SCHED_FIFO: snprintf(b, 32, "FIFO%s", r); break;
    case SCHED_RR: snprintf(b, 32, "RR%s", r); break;
    case SCHED_BATCH: snprintf(b, 32, "BATCH%s", r); break;
    case SCHED_IDLE: snprintf(b, 32, "IDLE%s", r); break;
    default: snprintf(b, 32, "%d", p); break;
  }
  return b;
}

static void one(cpu_set_t *s, int idx) {
  CPU_ZERO(s);
  CPU_SET(cpus[idx], s);
}

/* The kernel's view of a task ("thread-self" or a tid): policy and mask. */
static int read_file(const char *path, char *buf, size_t n) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t k = fread(buf, 1, n - 1, f);
  fclose(f);
  buf[k] = 0;
  return 0;
}
static int kpolicy(const char *task) {
  char path[128], buf[2048];
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
static int kmask(const char *task, cpu_set_t *s) {
  char path[128], buf[4096];
  CPU_ZERO(s);
  snprintf(path, sizeof path, "/proc/%s/status", task);
  if (read_file(path, buf, sizeof buf) < 0) return -1;
  char *p = strstr(buf, "Cpus_allowed_list:");
  if (!p) return -1;
  p += strlen("Cpus_allowed_list:");
  while (*p == ' ' || *p == '\t') p++;
  while (*p >= '0' && *p <= '9') {
    int a = (int)strtol(p, &p, 10), b = a;
    if (*p == '-') b = (int)strtol(p + 1, &p, 10);
    for (int c = a; c <= b && c < CPU_SETSIZE; c++) CPU_SET(c, s);
    if (*p == ',') p++;
  }
  return 0;
}
/* tasks_with: how many tasks of the process (main's excluded when
 * skip_main) have policy pol (-1: any but OTHER) or a mask other than the
 * process's (want_mask). */
static int tasks_with(int pol, int want_mask, int skip_main) {
  int n = 0;
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    if (skip_main && atoi(e->d_name) == getpid()) continue;
    char task[320];
    snprintf(task, sizeof task, "self/task/%s", e->d_name);
    int p = kpolicy(task);
    cpu_set_t m;
    if (kmask(task, &m) < 0 || p < 0) continue;  /* gone meanwhile */
    if ((pol == -1 ? p != SCHED_OTHER : p == pol) || (want_mask && !CPU_EQUAL(&m, &procmask))) n++;
  }
  closedir(d);
  return n;
}
/* Exited kernel threads may take a moment to leave /proc. */
static int settle_count(int pol, int want_mask, int want) {
  int n = 0;
  for (int i = 0; i < 200; i++) {
    n = tasks_with(pol, want_mask, 0);
    if (n == want) break;
    usleep(5000);
  }
  return n;
}

/* Watchers: threads that sample their own kernel thread. */
static volatile int stop;
static void *watcher(void *a) {
  long bad = 0;
  int pol = (int)(long)a;
  while (!stop) {
    cpu_set_t m;
    kmask("thread-self", &m);
    int p = kpolicy("thread-self");
    bad += (pol == -1 ? p != SCHED_OTHER : p == pol) || !CPU_EQUAL(&m, &procmask);
    usleep(200);
  }
  return (void *)bad;
}
static pthread_t watchers[4];
static void start_watchers(int pol) {
  stop = 0;
  for (int i = 0; i < 4; i++) pthread_create(&watchers[i], NULL, watcher, (void *)(long)pol);
}
static const char *stop_watchers(void) {
  stop = 1;
  long bad = 0;
  for (int i = 0; i < 4; i++) {
    void *v;
    pthread_join(watchers[i], &v);
    bad += (long)v;
  }
  return bad ? "yes" : "no";
}

/* ---- 1 and 2 ---- */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int phase;

static void *report(void *a) {
  char b1[256], b2[256];
  cpu_set_t g, k;
  usleep(1000); /* after a park */
  sched_getaffinity(0, sizeof g, &g);
  kmask("thread-self", &k);
  int pol = sched_getscheduler(0);
  int kp = kpolicy("thread-self");
  char p1[32], p2[32];
  printf("  %s: mask %s kernel %s, policy %s kernel %s\n", (char *)a, show(&g, b1), show(&k, b2), pol_name(pol, p1),
         pol_name(kp, p2));
  return NULL;
}

static void *holder(void *a) {
  cpu_set_t s;
  one(&s, ncpu - 1);
  struct sched_param p = {0};
  int r1 = pthread_setaffinity_np(pthread_self(), sizeof s, &s);
  int r2 = pthread_setschedparam(pthread_self(), SCHED_BATCH, &p);
  printf("holder: mask {%d} %d, SCHED_BATCH %d\n", ncpu - 1, r1, r2);
  pthread_t t;
  pthread_create(&t, NULL, report, "child of the holder");
  pthread_join(t, NULL);
  /* block over and over while main looks */
  pthread_mutex_lock(&mu);
  phase = 1;
  pthread_cond_broadcast(&cv);
  while (phase != 2) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < 20; i++) usleep(500);
  return NULL;
}

static void part12(void) {
  printf("1. a thread with its own mask and policy\n");
  pthread_t h;
  start_watchers(SCHED_BATCH);
  pthread_create(&h, NULL, holder, NULL);
  pthread_mutex_lock(&mu);
  while (phase != 1) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  /* more threads, more kernel threads */
  pthread_t w[6];
  for (int i = 0; i < 6; i++) pthread_create(&w[i], NULL, report, "unrelated thread");
  for (int i = 0; i < 6; i++) pthread_join(w[i], NULL);
  printf("  tasks with SCHED_BATCH or a narrow mask while it blocks: %d\n", tasks_with(SCHED_BATCH, 1, 0));
  pthread_mutex_lock(&mu);
  phase = 2;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  pthread_join(h, NULL);
  printf("  after it exited: %d\n", settle_count(SCHED_BATCH, 1, 0));
  printf("  another thread's kernel thread had them: %s\n", stop_watchers());

  printf("2. pthread_create\n");
  pthread_attr_t at;
  pthread_t t;
  cpu_set_t s;
  one(&s, ncpu - 1);
  pthread_attr_init(&at);
  pthread_attr_setaffinity_np(&at, sizeof s, &s);
  pthread_create(&t, &at, report, "attr mask");
  pthread_join(t, NULL);
  pthread_attr_destroy(&at);
  pthread_attr_init(&at);
  struct sched_param sp = {.sched_priority = 1};
  pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
  pthread_attr_setschedpolicy(&at, SCHED_FIFO);
  pthread_attr_setschedparam(&at, &sp);
  int r = pthread_create(&t, &at, report, "attr explicit FIFO 1");
  if (r == 0) pthread_join(t, NULL);
  pthread_attr_destroy(&at);
  /* main narrows itself: its new threads inherit, and may widen again */
  sched_setaffinity(0, sizeof s, &s);
  pthread_create(&t, NULL, report, "child of main on one CPU");
  pthread_join(t, NULL);
  sched_setaffinity(0, sizeof procmask, &procmask);
}

/* ---- 3 ---- */
static void *quick(void *a) { return a; }
static void *sleeper(void *a) {
  pthread_mutex_lock(&mu);
  while (phase != 3) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return a;
}
static void part3(void) {
  char b[256];
  printf("3. another thread\n");
  pthread_t t;
  pthread_create(&t, NULL, sleeper, NULL);
  struct sched_param sp = {0};
  printf("  SCHED_DEADLINE: %s\n", strerror(pthread_setschedparam(t, 6, &sp)));
  printf("  policy 99: %s\n", strerror(pthread_setschedparam(t, 99, &sp)));
  sp.sched_priority = 100;
  printf("  SCHED_FIFO 100: %s\n", strerror(pthread_setschedparam(t, SCHED_FIFO, &sp)));
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(CPU_SETSIZE - 1, &s);
  printf("  mask of an absent CPU: %s\n", strerror(pthread_setaffinity_np(t, sizeof s, &s)));
  one(&s, 0);
  CPU_SET(CPU_SETSIZE - 1, &s);
  printf("  mask {0} and an absent CPU: %s\n", strerror(pthread_setaffinity_np(t, sizeof s, &s)));
  cpu_set_t g;
  pthread_getaffinity_np(t, sizeof g, &g);
  printf("  reads back %s\n", show(&g, b));
  pthread_mutex_lock(&mu);
  phase = 3;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  pthread_join(t, NULL);

  pthread_create(&t, NULL, quick, NULL);
  usleep(50000); /* exited, not joined */
  one(&s, ncpu - 1);
  int r1 = pthread_setaffinity_np(t, sizeof s, &s);
  CPU_ZERO(&g);
  int r = pthread_getaffinity_np(t, sizeof g, &g);
  cpu_set_t own;
  sched_getaffinity(0, sizeof own, &own);
  sp.sched_priority = 0;
  int r3 = pthread_setschedparam(t, SCHED_BATCH, &sp);
  int pol;
  int r4 = pthread_getschedparam(t, &pol, &sp);
  char b2[256];
  printf("  exited thread: setaffinity %d, getaffinity %d %s, main's own now %s, setschedparam %s,", r1, r, show(&g, b),
         show(&own, b2), strerror(r3));
  printf(" getschedparam %s\n", strerror(r4));
  sched_setaffinity(0, sizeof procmask, &procmask);
  pthread_join(t, NULL);
}

/* ---- 4 ---- */
static void *raw_setter(void *a) {
  char b[256];
  cpu_set_t s, g;
  one(&s, ncpu - 1);
  long r = syscall(SYS_sched_setaffinity, 0, sizeof s, &s);
  long lost = 0;
  for (int i = 0; i < 50; i++) {
    usleep(300);
    cpu_set_t k;
    kmask("thread-self", &k);
    lost += !CPU_EQUAL(&k, &s);
  }
  CPU_ZERO(&g);
  long n = syscall(SYS_sched_getaffinity, 0, sizeof g, &g);
  struct sched_param sp = {0};
  long r2 = syscall(SYS_sched_setscheduler, 0, SCHED_BATCH, &sp);
  long p = syscall(SYS_sched_getscheduler, 0);
  char p1[32], p2[32];
  printf("  raw: setaffinity %ld, kept it %s, getaffinity %s %s, setscheduler %ld, getscheduler %s kernel %s\n", r,
         lost ? "no" : "yes", n > 0 ? "bytes" : "error", show(&g, b), r2, pol_name((int)p, p1),
         pol_name(kpolicy("thread-self"), p2));
  return NULL;
}
static void part4(void) {
  printf("4. raw system calls\n");
  start_watchers(-1);
  pthread_t t;
  pthread_create(&t, NULL, raw_setter, NULL);
  pthread_join(t, NULL);
  printf("  another thread's kernel thread had them: %s\n", stop_watchers());
}

/* ---- 5: started on one CPU ---- */
static void *widener(void *a) {
  char b[256];
  cpu_set_t s, g;
  CPU_ZERO(&s);
  CPU_SET(*(int *)a, &s);
  int r = pthread_setaffinity_np(pthread_self(), sizeof s, &s);
  usleep(1000);
  sched_getaffinity(0, sizeof g, &g);
  printf("  set the other CPU: %d, reads %s, runs there: %s\n", r, show(&g, b), sched_getcpu() == *(int *)a ? "yes" : "no");
  CPU_SET(cpus[0], &s);
  r = pthread_setaffinity_np(pthread_self(), sizeof s, &s);
  usleep(1000);
  cpu_set_t k;
  kmask("thread-self", &k);
  sched_getaffinity(0, sizeof g, &g);
  char b2[256];
  printf("  set both: %d, reads %s kernel %s\n", r, show(&g, b), show(&k, b2));
  return NULL;
}
static int part5_child(int other) {
  load_cpus();
  printf("5. started on one CPU: process mask %s\n", ncpu == 1 ? "one CPU" : "?");
  pthread_t t;
  pthread_create(&t, NULL, widener, &other);
  pthread_join(t, NULL);
  return 0;
}

/* ---- 6: no CAP_SYS_NICE ---- */
static void *idler(void *a) {
  struct sched_param sp = {0};
  int r = pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
  int r2 = pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
  char p1[32];
  printf("  SCHED_IDLE: %d, back to OTHER: %s, kernel %s\n", r, strerror(r2), pol_name(kpolicy("thread-self"), p1));
  pthread_mutex_lock(&mu);
  phase = 1;
  pthread_cond_broadcast(&cv);
  while (phase != 2) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < 10; i++) usleep(500);
  return NULL;
}
static int part6_child(void) {
  load_cpus();
  printf("6. without CAP_SYS_NICE\n");
  pthread_t t;
  pthread_create(&t, NULL, sleeper, NULL);
  struct sched_param sp = {.sched_priority = 1};
  printf("  SCHED_FIFO 1 on another thread: %s\n", strerror(pthread_setschedparam(t, SCHED_FIFO, &sp)));
  sp.sched_priority = 0;
  printf("  SCHED_IDLE on another thread: %s\n", strerror(pthread_setschedparam(t, SCHED_IDLE, &sp)));
  printf("  and back: %s\n", strerror(pthread_setschedparam(t, SCHED_OTHER, &sp)));
  pthread_mutex_lock(&mu);
  phase = 3;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  pthread_join(t, NULL);
  phase = 0;
  start_watchers(SCHED_IDLE);
  pthread_create(&t, NULL, idler, NULL);
  pthread_mutex_lock(&mu);
  while (phase != 1) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  pthread_t w[6];
  for (int i = 0; i < 6; i++) pthread_create(&w[i], NULL, report, "unrelated thread");
  for (int i = 0; i < 6; i++) pthread_join(w[i], NULL);
  printf("  tasks in SCHED_IDLE while it blocks: %d\n", tasks_with(SCHED_IDLE, 0, 0));
  pthread_mutex_lock(&mu);
  phase = 2;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  pthread_join(t, NULL);
  printf("  after it exited: %d\n", settle_count(SCHED_IDLE, 0, 0));
  for (int i = 0; i < 6; i++) pthread_create(&w[i], NULL, report, "later thread");
  for (int i = 0; i < 6; i++) pthread_join(w[i], NULL);
  printf("  another thread's kernel thread was SCHED_IDLE: %s\n", stop_watchers());
  return 0;
}

/* ---- 7: main leaves ---- */
static void *after_main(void *a) {
  char b[256];
  usleep(20000);
  start_watchers(-1);
  cpu_set_t s, g;
  one(&s, ncpu - 1);
  int r = sched_setaffinity(getpid(), sizeof s, &s);
  CPU_ZERO(&g);
  sched_getaffinity(getpid(), sizeof g, &g);
  usleep(20000);
  int narrow = tasks_with(-2, 1, 1);
  printf("  sched_setaffinity(getpid()): %d, reads %s, tasks but main with a narrow mask: %d, "
         "another thread's kernel thread had it: %s\n", r, show(&g, b), narrow, stop_watchers());
  sched_getaffinity(0, sizeof g, &g);
  printf("  this thread's mask %s\n", show(&g, b));
  fflush(stdout);
  exit(0);
}
static int part7_child(void) {
  load_cpus();
  printf("7. after main's pthread_exit\n");
  fflush(stdout);
  pthread_t t;
  pthread_create(&t, NULL, after_main, NULL);
  pthread_exit(NULL);
}

static void run_child(const char *mode, int narrow, int dropcap) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    if (narrow >= 0) {
      cpu_set_t s;
      CPU_ZERO(&s);
      CPU_SET(narrow, &s);
      sched_setaffinity(0, sizeof s, &s);
    }
    if (dropcap) prctl(PR_CAPBSET_DROP, 23 /* CAP_SYS_NICE */, 0, 0, 0);
    char arg[32];
    snprintf(arg, sizeof arg, "%d", cpus[1]);
    execl(exe, exe, mode, arg, (char *)NULL);
    _exit(127);
  }
  int st;
  waitpid(p, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) printf("  child %s: status %#x\n", mode, st);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1) {
    if (!strcmp(argv[1], "widen")) return part5_child(atoi(argv[2]));
    if (!strcmp(argv[1], "nocap")) return part6_child();
    if (!strcmp(argv[1], "mainexit")) return part7_child();
    return 2;
  }
  load_cpus();
  if (ncpu < 2) {
    printf("needs two CPUs\n");
    return 0;
  }
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return 1;
  exe[n] = 0;
  run_child("mainexit", -1, 0);
  part12();
  part3();
  part4();
  run_child("widen", cpus[0], 0);
  run_child("nocap", -1, 1);
  return 0;
}
