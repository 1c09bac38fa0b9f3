/* Leaving a signal handler with siglongjmp, and calls interrupted by a
 * handler, in a created thread:
 *  - a SIGSEGV handler that siglongjmps back to the faulting function
 *    (sigsetjmp with a saved mask) twice: the mask is restored each time, and
 *    the thread can still wait afterwards — sigsuspend takes a signal sent
 *    to it with pthread_kill (a runtime that still counted the thread as
 *    "inside a handler", or kept SIGSEGV blocked in its own bookkeeping,
 *    hung or died here);
 *  - a SIGUSR2 handler left by plain longjmp (no saved mask): SIGUSR2 stays
 *    blocked afterwards, as the kernel leaves it;
 *  - sleep() and nanosleep() cut short by a handler report the time left;
 *  - a child that raises SIGTERM with the default action, and one whose
 *    thread calls abort(), die of those signals. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int hits;
static int *volatile nowhere;  // NULL: a write faults
static sigjmp_buf jb;
static jmp_buf plain;

static void count(int s) {
  (void)s;
  hits++;
}
static void segv(int s) {
  (void)s;
  siglongjmp(jb, 1);
}
static void usr2(int s) {
  (void)s;
  longjmp(plain, 1);
}

static void show(const char *when) {
  sigset_t m;
  pthread_sigmask(SIG_BLOCK, NULL, &m);
  printf("%s: SIGSEGV blocked %d, SIGUSR1 blocked %d, SIGUSR2 blocked %d\n", when, sigismember(&m, SIGSEGV),
         sigismember(&m, SIGUSR1), sigismember(&m, SIGUSR2));
}

static void *body(void *arg) {
  (void)arg;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = segv;
  sigaction(SIGSEGV, &sa, NULL);
  sa.sa_handler = count;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGALRM, &sa, NULL);
  sa.sa_handler = usr2;
  sigaction(SIGUSR2, &sa, NULL);

  show("start");
  for (int i = 0; i < 2; i++) {
    if (!sigsetjmp(jb, 1)) {
      *nowhere = 1;
      printf("no fault?\n");
    } else {
      printf("fault %d caught\n", i + 1);
    }
    show("after siglongjmp");
  }

  sigset_t usr1, empty;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigemptyset(&empty);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);
  pthread_kill(pthread_self(), SIGUSR1);
  hits = 0;
  int r = sigsuspend(&empty);
  printf("sigsuspend: %d %s, handler ran %d time(s)\n", r, strerror(errno), hits);
  pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);

  if (!setjmp(plain)) {
    raise(SIGUSR2);
    printf("handler returned?\n");
  } else {
    printf("left the SIGUSR2 handler by longjmp\n");
  }
  show("after longjmp");

  sigset_t alrm;
  sigemptyset(&alrm);
  sigaddset(&alrm, SIGALRM);
  pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
  hits = 0;
  alarm(1);
  unsigned left = sleep(30);
  printf("sleep(30) cut short: %s, handler ran %d time(s)\n", left > 0 && left < 30 ? "yes" : "no", hits);
  struct timespec req = {30, 0}, rem = {0, 0};
  alarm(1);
  r = nanosleep(&req, &rem);
  printf("nanosleep: %d %s, time left reported: %s\n", r, strerror(errno),
         rem.tv_sec > 0 && rem.tv_sec < 30 ? "yes" : "no");
  return NULL;
}

static void *aborter(void *arg) {
  (void)arg;
  abort();
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  // SIGALRM is process-directed: only the thread may take it.
  sigset_t alrm;
  sigemptyset(&alrm);
  sigaddset(&alrm, SIGALRM);
  sigprocmask(SIG_BLOCK, &alrm, NULL);
  pthread_t t;
  pthread_create(&t, NULL, body, NULL);
  pthread_join(t, NULL);

  int st;
  pid_t c = fork();
  if (c == 0) {
    kill(getpid(), SIGTERM);
    sleep(5);
    _exit(3);
  }
  waitpid(c, &st, 0);
  printf("child with SIGTERM: %s %d\n", WIFSIGNALED(st) ? "killed by" : "exited", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
  c = fork();
  if (c == 0) {
    pthread_t a;
    pthread_create(&a, NULL, aborter, NULL);
    pthread_join(a, NULL);
    _exit(3);
  }
  waitpid(c, &st, 0);
  printf("child aborting in a thread: %s %d\n", WIFSIGNALED(st) ? "killed by" : "exited", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
  return 0;
}
