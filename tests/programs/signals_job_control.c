// Job control from outside, as a shell does it: a child with several
// threads (sleeping, waiting on a condition variable, spinning on a flag,
// blocked in read on a pipe) is stopped with SIGTSTP and with SIGSTOP,
// continued with SIGCONT, and finally ended with SIGTERM; the parent sees
// each state change through waitpid (WUNTRACED, WCONTINUED) and checks that
// the child makes no progress while stopped and makes progress again after
// SIGCONT. A SIGTSTP with a handler installed runs the handler instead.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int progress_fd;  // the child writes a byte per tick of its ticker thread
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile int spin_flag;
static int pipe_in[2];

static void* ticker(void* a) {
  (void)a;
  for (;;) {
    usleep(2000);
    if (write(progress_fd, "t", 1) != 1) _exit(3);
  }
  return NULL;
}
static void* waiter(void* a) {
  (void)a;
  pthread_mutex_lock(&mu);
  for (;;) pthread_cond_wait(&cv, &mu);
  return NULL;
}
static void* spinner(void* a) {
  (void)a;
  while (!spin_flag) usleep(500);
  return NULL;
}
static void* reader(void* a) {
  (void)a;
  char c;
  while (read(pipe_in[0], &c, 1) == 1) {
  }
  return NULL;
}

static volatile sig_atomic_t tstp_seen;
static void on_tstp(int s) {
  (void)s;
  tstp_seen = 1;
  if (write(progress_fd, "H", 1) != 1) _exit(3);
}

static void child(int with_handler) {
  if (with_handler) signal(SIGTSTP, on_tstp);
  if (pipe(pipe_in) != 0) _exit(2);
  pthread_t t[4];
  pthread_create(&t[0], NULL, ticker, NULL);
  pthread_create(&t[1], NULL, waiter, NULL);
  pthread_create(&t[2], NULL, spinner, NULL);
  pthread_create(&t[3], NULL, reader, NULL);
  for (;;) pause();
}

// drain reads whatever is in the pipe now; the count of tick bytes (an 'H'
// sets *handler).
static int drain(int fd, int* handler) {
  int n = 0;
  char b[256];
  ssize_t r;
  while ((r = read(fd, b, sizeof b)) > 0)
    for (ssize_t i = 0; i < r; i++) {
      if (b[i] == 'H') *handler = 1;
      else n++;
    }
  return n;
}

// await_tick waits (up to 20 s: a verdict, not a time) for a fresh tick.
static int await_tick(int fd, int* handler) {
  for (int i = 0; i < 200; i++) {
    struct pollfd q = {.fd = fd, .events = POLLIN};
    poll(&q, 1, 100);
    if (drain(fd, handler) > 0) return 1;
  }
  return 0;
}

static const char* describe(int st) {
  static char buf[64];
  if (WIFSTOPPED(st)) snprintf(buf, sizeof buf, "stopped by %s", sigabbrev_np(WSTOPSIG(st)));
  else if (WIFCONTINUED(st)) snprintf(buf, sizeof buf, "continued");
  else if (WIFSIGNALED(st)) snprintf(buf, sizeof buf, "killed by %s", sigabbrev_np(WTERMSIG(st)));
  else if (WIFEXITED(st)) snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(st));
  else snprintf(buf, sizeof buf, "?");
  return buf;
}

static int run(int with_handler) {
  int p[2];
  if (pipe(p) != 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    progress_fd = p[1];
    child(with_handler);
  }
  close(p[1]);
  fcntl(p[0], F_SETFL, O_NONBLOCK);  // the parent's end only
  int h = 0, ok = 1, st, n;
  // Running: ticks arrive.
  n = await_tick(p[0], &h);
  printf("  running: %s\n", n ? "ticks" : "NO TICKS");
  ok = ok && n;
  int stops[2] = {SIGTSTP, SIGSTOP};
  for (int i = 0; i < 2; i++) {
    kill(pid, stops[i]);
    if (stops[i] == SIGTSTP && with_handler) {
      for (int k = 0; k < 200 && !h; k++) {
        struct pollfd q = {.fd = p[0], .events = POLLIN};
        poll(&q, 1, 100);
        drain(p[0], &h);
      }
      n = await_tick(p[0], &h);
      printf("  SIGTSTP with a handler: handler %s, ticks %s\n", h ? "ran" : "DID NOT RUN", n ? "go on" : "STOPPED");
      ok = ok && h && n;
      continue;
    }
    if (waitpid(pid, &st, WUNTRACED) != pid) return perror("waitpid"), 1;
    printf("  SIG%s: %s\n", sigabbrev_np(stops[i]), describe(st));
    ok = ok && WIFSTOPPED(st) && WSTOPSIG(st) == stops[i];
    drain(p[0], &h);  // written before the stop
    usleep(200000);   // a stopped process writes nothing, however long we look
    n = drain(p[0], &h);
    printf("  while stopped: %s\n", n == 0 ? "no ticks" : "TICKS");
    ok = ok && n == 0;
    kill(pid, SIGCONT);
    if (waitpid(pid, &st, WCONTINUED) != pid) return perror("waitpid"), 1;
    printf("  SIGCONT: %s\n", describe(st));
    ok = ok && WIFCONTINUED(st);
    n = await_tick(p[0], &h);
    printf("  after SIGCONT: %s\n", n ? "ticks" : "NO TICKS");
    ok = ok && n;
  }
  kill(pid, SIGTERM);
  if (waitpid(pid, &st, 0) != pid) return perror("waitpid"), 1;
  printf("  SIGTERM: %s\n", describe(st));
  ok = ok && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM;
  close(p[0]);
  return ok ? 0 : 1;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("default SIGTSTP:\n");
  int r = run(0);
  printf("SIGTSTP handler:\n");
  r |= run(1);
  printf("%s\n", r ? "WRONG" : "ok");
  return r;
}
