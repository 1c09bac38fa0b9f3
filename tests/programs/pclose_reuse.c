/* pclose closes the stream's fd before it waits for the child (glibc's
 * order), so the number is free for reuse while the child still runs, and a
 * thread that gets it again can poll it at once.
 *
 * Thread A popens a shell that waits for a line on a control pipe, then
 * pcloses it: pclose closes the fd and waits. Thread B waits until that fd
 * is closed, popens "sleep 0.2; echo hi" (glibc's internal pipe2: no hook
 * sees the new fd, which gets the same number) and polls it. Only then does main write the line that lets A's child exit.
 * Under libgmp the fd table used to say "closing" until pclose returned, so
 * B's poll waited for A, which waited for B (until a 20 s watchdog).
 *
 * The same again with fclose, which is pclose for a popen stream in glibc.
 * And fclose of a popen stream whose child exits only once another thread
 * writes to it: the wait must not hold the processor that thread needs
 * (with one processor it did: alarm's default action ends that run).
 *
 * Also pclose's results: the child's wait status, a write stream, pclose of
 * a stream whose child was already reaped (-1, ECHILD) and of a FILE that
 * popen did not make (glibc: fclose, 0). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int ctl[2];
static int fd_a = -1;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int a_result, b_poll, b_in, b_same, b_polled, watchdog;
static char b_line[32];
static int (*closer)(FILE*);

static void* thread_a(void* arg) {
  char cmd[64];
  snprintf(cmd, sizeof cmd, "read x <&%d", ctl[0]);
  FILE* f = popen(cmd, "r");
  if (f == NULL) return NULL;
  pthread_mutex_lock(&mu);
  fd_a = fileno(f);
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  a_result = closer(f);
  return arg;
}

static void* thread_b(void* arg) {
  pthread_mutex_lock(&mu);
  while (fd_a < 0) pthread_cond_wait(&cv, &mu);
  int fd = fd_a;
  pthread_mutex_unlock(&mu);
  /* Wait until A's pclose has closed the fd (it then waits for the child). */
  struct timespec ms = {0, 1000000};
  while (fcntl(fd, F_GETFD) != -1) nanosleep(&ms, NULL);
  /* The child writes after a moment, so that B's poll has to wait (were B
     slower than that, the run would prove less, with the same output). */
  FILE* f = popen("sleep 0.2; echo hi", "r");
  if (f == NULL) return NULL;
  b_same = fileno(f) == fd;
  struct pollfd p = {fileno(f), POLLIN, 0};
  b_poll = poll(&p, 1, -1);
  b_in = (p.revents & POLLIN) != 0;
  if (fgets(b_line, sizeof b_line, f) == NULL) strcpy(b_line, "(nothing)\n");
  pthread_mutex_lock(&mu);
  b_polled = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  pclose(f);
  return arg;
}

static int ctl2[2];
static void* late_writer(void* arg) {
  struct timespec t = {0, 50000000};
  nanosleep(&t, NULL);
  if (write(ctl2[1], "go\n", 3) != 3) return NULL;
  return arg;
}

static int scenario(int (*close_fn)(FILE*), const char* name) {
  closer = close_fn;
  fd_a = -1;
  a_result = b_poll = b_in = b_same = b_polled = watchdog = 0;
  strcpy(b_line, "");
  if (pipe(ctl) != 0) return 1;
  pthread_t a, b;
  pthread_create(&a, NULL, thread_a, NULL);
  pthread_create(&b, NULL, thread_b, NULL);
  /* Once B has polled, A's child may exit. A watchdog breaks the cycle of
     the bug (B's poll waiting for A's pclose) after 20 s: it fires only
     when that poll could not return, and says so. */
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 20;
  pthread_mutex_lock(&mu);
  while (!b_polled && !watchdog)
    if (pthread_cond_timedwait(&cv, &mu, &until) == ETIMEDOUT) watchdog = 1;
  pthread_mutex_unlock(&mu);
  if (write(ctl[1], "go\n", 3) != 3) return 1;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("B's poll needed the watchdog: %s\n", watchdog ? "yes" : "no");
  printf("B: same number %s, poll=%d POLLIN=%d, read %s", b_same ? "yes" : "no", b_poll, b_in, b_line);
  printf("A: %s=%d\n", name, a_result);
  close(ctl[0]);
  close(ctl[1]);
  return 0;
}

int main(void) {
  if (scenario(pclose, "pclose") != 0 || scenario(fclose, "fclose") != 0) return 1;

  alarm(20);
  if (pipe(ctl2) != 0) return 1;
  char cmd[64];
  snprintf(cmd, sizeof cmd, "read x <&%d; exit 7", ctl2[0]);
  FILE* pf = popen(cmd, "r");
  pthread_t lw;
  pthread_create(&lw, NULL, late_writer, NULL);
  int fr = fclose(pf);
  pthread_join(lw, NULL);
  alarm(0);
  printf("fclose of a popen stream: exited=%d status=%d\n", WIFEXITED(fr), WEXITSTATUS(fr));

  FILE* f = popen("exit 3", "r");
  int r = pclose(f);
  printf("exit 3: pclose=%d exited=%d status=%d\n", r, WIFEXITED(r), WEXITSTATUS(r));

  f = popen("cat >/dev/null", "w");
  fputs("some output for cat\n", f);
  r = pclose(f);
  printf("write stream: pclose=%d\n", r);

  f = popen("exit 5", "r");
  int st;
  pid_t w = wait(&st);
  printf("reaped by wait: %s, status %d\n", w > 0 ? "yes" : "no", WEXITSTATUS(st));
  errno = 0;
  r = pclose(f);
  printf("pclose after wait: %d errno=%s\n", r, errno == ECHILD ? "ECHILD" : strerror(errno));

  f = fopen("/dev/null", "r");
  errno = 0;
  r = pclose(f);
  printf("pclose of fopen: %d errno=%d\n", r, errno);
  return 0;
}
