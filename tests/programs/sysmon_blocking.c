/* A 2 ms ticker thread must keep ticking while another thread blocks its
 * kernel thread in ways no hook can turn into a green park: a CPU spin, a raw
 * syscall instruction, stdio into a pipe nobody reads yet, waitpid, pclose, flock,
 * fsync, getaddrinfo, a process-shared mutex (glibc's own futex) held by a
 * sleeping thread, and pthread_once whose init sleeps. Natively the ticker
 * runs on its own kernel thread; under libgmp with GOMAXPROCS=1 it only runs
 * if the runtime takes the P away from the blocked M (sysmon). Each scenario
 * lasts ~300 ms; the bound (>= 10 ticks, natively ~150) is deliberately loose.
 * Results (not timings) are printed, so native and preloaded output match. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static atomic_long ticks;
static atomic_int stop_ticker;
static const long kMinTicks = 10;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *ticker(void *a) {
  struct timespec ts = {0, 2000000};
  while (!atomic_load(&stop_ticker)) {
    nanosleep(&ts, NULL);
    atomic_fetch_add(&ticks, 1);
  }
  return a;
}

static void *spin(void *a) {
  double end = now() + 0.3;
  volatile unsigned long x = 0;
  while (now() < end) x++;
  return a;
}

static void *raw_sleep(void *a) {
  struct timespec ts = {0, 300000000};
  long ret;
  asm volatile("syscall" : "=a"(ret) : "a"(SYS_nanosleep), "D"(&ts), "S"(0) : "rcx", "r11", "memory");
  return (void *)ret;
}

static int pipefd[2];
static void *slow_reader(void *a) {
  usleep(300000);
  char buf[65536];
  long total = 0, n;
  while ((n = read(pipefd[0], buf, sizeof buf)) > 0) total += n;
  return (void *)total;
}
static void *stdio_writer(void *a) {
  FILE *f = fdopen(pipefd[1], "w");
  char line[1024];
  memset(line, 'x', sizeof line - 2);
  line[sizeof line - 2] = '\n';
  line[sizeof line - 1] = 0;
  for (int i = 0; i < 512; i++) fputs(line, f); /* 512 KiB: far more than the pipe holds */
  fclose(f);
  return a;
}

static char sfpath[64];
static void *sendfile_writer(void *a) {
  int in = open(sfpath, O_RDONLY);
  long left = 512 * 1024;
  while (left > 0) {
    ssize_t n = sendfile(pipefd[1], in, NULL, left);
    if (n <= 0) break;
    left -= n;
  }
  close(in);
  close(pipefd[1]);
  return (void *)left;
}

static void *waiter(void *a) {
  pid_t pid;
  char *argv[] = {"sleep", "0.3", NULL};
  if (posix_spawnp(&pid, "sleep", NULL, NULL, argv, environ) != 0) return (void *)-1;
  int st = 0;
  if (waitpid(pid, &st, 0) != pid) return (void *)-2;
  return (void *)(long)WEXITSTATUS(st);
}

// popener: popen a child that sleeps, read its line, and pclose (which
// waits for it); the result is its exit status.
static void *popener(void *a) {
  FILE *f = popen("sleep 0.3; echo done; exit 3", "r");
  if (!f) return (void *)-1;
  char line[16] = "";
  if (!fgets(line, sizeof line, f) || strcmp(line, "done\n") != 0) return (void *)-2;
  int st = pclose(f);
  return (void *)(long)(WIFEXITED(st) ? WEXITSTATUS(st) : -3);
}

static char lockpath[64];
static void *lock_holder(void *a) {
  int fd = open(lockpath, O_RDWR);
  flock(fd, LOCK_EX);
  usleep(300000);
  flock(fd, LOCK_UN);
  close(fd);
  return a;
}
static void *lock_waiter(void *a) {
  int fd = open(lockpath, O_RDWR);
  int r = flock(fd, LOCK_EX);
  flock(fd, LOCK_UN);
  close(fd);
  return (void *)(long)r;
}

static void *fsyncer(void *a) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/gmp-fsync-%d", (int)getpid());
  int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
  static char block[1 << 20];
  memset(block, 7, sizeof block);
  double end = now() + 0.3;
  int rounds = 0;
  while (now() < end) {
    if (write(fd, block, sizeof block) != (ssize_t)sizeof block) break;
    fsync(fd);
    rounds++;
  }
  close(fd);
  unlink(path);
  return (void *)(long)(rounds > 0);
}

static void *resolver(void *a) {
  double end = now() + 0.3;
  long ok = 1;
  while (now() < end) {
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_INET;
    if (getaddrinfo("localhost", "80", &hints, &res) != 0) ok = 0;
    else freeaddrinfo(res);
  }
  return (void *)ok;
}

static pthread_mutex_t shared_mu;
static void *shared_holder(void *a) {
  pthread_mutex_lock(&shared_mu);
  usleep(300000); /* parks green while holding a glibc futex */
  pthread_mutex_unlock(&shared_mu);
  return a;
}
static void *shared_waiter(void *a) {
  pthread_mutex_lock(&shared_mu); /* blocks in glibc's own futex wait */
  pthread_mutex_unlock(&shared_mu);
  return a;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void slow_init(void) { usleep(300000); }
static void *oncer(void *a) { pthread_once(&once, slow_init); return a; }

/* run starts the threads of a scenario, joins them and reports the ticker. */
static int run(const char *what, void *(*a)(void *), void *(*b)(void *), long want) {
  pthread_t ta, tb;
  long before = atomic_load(&ticks);
  pthread_create(&ta, NULL, a, NULL);
  if (b) { usleep(20000); pthread_create(&tb, NULL, b, NULL); }
  void *ra = NULL, *rb = NULL;
  pthread_join(ta, &ra);
  if (b) pthread_join(tb, &rb);
  long got = atomic_load(&ticks) - before;
  long result = b ? (long)rb : (long)ra;
  int ok = got >= kMinTicks && (want < 0 || result == want);
  printf("%-48s ticker kept ticking: %s, result ok: %s\n", what, got >= kMinTicks ? "yes" : "NO",
         (want < 0 || result == want) ? "yes" : "NO");
  if (!ok) fprintf(stderr, "%s: ticks=%ld result=%ld\n", what, got, result);
  return ok;
}

int main(void) {
  pthread_t tk;
  pthread_create(&tk, NULL, ticker, NULL);
  usleep(20000);
  int ok = 1;
  ok &= run("CPU spin 300 ms", spin, NULL, -1);
  ok &= run("raw syscall instruction (nanosleep 300 ms)", raw_sleep, NULL, 0);
  if (pipe(pipefd) != 0) return 1;
  ok &= run("fputs into a pipe whose reader sleeps", stdio_writer, slow_reader, 512 * 1023);
  snprintf(sfpath, sizeof sfpath, "/tmp/gmp-sendfile-%d", (int)getpid());
  {
    int fd = open(sfpath, O_CREAT | O_RDWR | O_TRUNC, 0600);
    static char block[512 * 1024];
    memset(block, 'y', sizeof block);
    if (write(fd, block, sizeof block) != (ssize_t)sizeof block) return 1;
    close(fd);
  }
  if (pipe(pipefd) != 0) return 1;
  ok &= run("sendfile into a pipe whose reader sleeps", sendfile_writer, slow_reader, 512 * 1024);
  unlink(sfpath);
  ok &= run("waitpid for a child that sleeps", waiter, NULL, 0);
  ok &= run("popen + pclose of a child that sleeps", popener, NULL, 3);
  snprintf(lockpath, sizeof lockpath, "/tmp/gmp-flock-%d", (int)getpid());
  close(open(lockpath, O_CREAT | O_RDWR, 0600));
  ok &= run("flock held by a sleeping thread", lock_holder, lock_waiter, 0);
  unlink(lockpath);
  ok &= run("write + fsync for 300 ms", fsyncer, NULL, 1);
  ok &= run("getaddrinfo(localhost) for 300 ms", resolver, NULL, 1);
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&shared_mu, &ma);
  ok &= run("process-shared mutex held by a sleeping thread", shared_holder, shared_waiter, -1);
  ok &= run("pthread_once whose init sleeps", oncer, oncer, -1);
  atomic_store(&stop_ticker, 1);
  pthread_join(tk, NULL);
  printf("all scenarios: %s\n", ok ? "ok" : "FAIL");
  return ok ? 0 : 1;
}
