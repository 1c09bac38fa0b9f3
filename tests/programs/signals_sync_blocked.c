/* Default actions held back by the signal mask. Each case runs in a child
 * with worker threads (sleeping, computing, waiting on a condition variable)
 * that all block the signal, as main does:
 *  - SIGTERM, SIGUSR1, SIGQUIT, SIGTSTP, SIGCONT (default actions terminate,
 *    dump core, stop, continue) sent to the process with kill() stay pending
 *    — the process is not killed or stopped early — and sigpending shows
 *    them; sigwait then takes each one (SIGTERM instead kills the child once
 *    main unblocks it);
 *  - SIGSEGV sent with kill() (si_code SI_USER) and raise() (SI_TKILL) while
 *    blocked is pending like any other signal, and sigwaitinfo takes it (as
 *    no fault: si_code <= 0);
 *  - a real fault (a write through NULL) kills the child with SIGSEGV even
 *    when the faulting thread blocks SIGSEGV (the kernel forces it), and also
 *    when it does not. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile int stop;
static int *volatile nowhere;

static void *sleeper(void *a) {
  (void)a;
  while (!stop) usleep(2000);
  return NULL;
}
static void *spinner(void *a) {
  (void)a;
  volatile unsigned long x = 0;
  while (!stop) x++;
  return NULL;
}
static void *waiter(void *a) {
  (void)a;
  pthread_mutex_lock(&mu);
  while (!stop) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return NULL;
}

static pthread_t th[4];
static void start_threads(void) {
  pthread_create(&th[0], NULL, sleeper, NULL);
  pthread_create(&th[1], NULL, spinner, NULL);
  pthread_create(&th[2], NULL, waiter, NULL);
  pthread_create(&th[3], NULL, sleeper, NULL);
}
static void stop_threads(void) {
  pthread_mutex_lock(&mu);
  stop = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
}

static void pause_ms(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, NULL);
}

static void block_one(int s) {
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, s);
  pthread_sigmask(SIG_BLOCK, &m, NULL);
}

static void report(const char *what, int st) {
  if (WIFSIGNALED(st))
    printf("%s: killed by %s\n", what, strsignal(WTERMSIG(st)));
  else if (WIFSTOPPED(st))
    printf("%s: stopped by %s\n", what, strsignal(WSTOPSIG(st)));
  else
    printf("%s: exited %d\n", what, WEXITSTATUS(st));
}

// pending_case: s blocked everywhere, sent to the process, then taken by
// sigwait (or, for SIGTERM, delivered by unblocking it in main).
static void pending_case(int s, int unblock) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    block_one(s);
    start_threads();
    pause_ms(20);
    kill(getpid(), s);
    pause_ms(100);  // natively nothing happens meanwhile
    sigset_t p;
    sigpending(&p);
    printf("  %s: still running, pending %d\n", strsignal(s), sigismember(&p, s));
    fflush(stdout);
    if (unblock) {
      sigset_t m;
      sigemptyset(&m);
      sigaddset(&m, s);
      pthread_sigmask(SIG_UNBLOCK, &m, NULL);
      printf("  survived unblocking?\n");
      fflush(stdout);
      _exit(4);
    }
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, s);
    int got = 0;
    int r = sigwait(&m, &got);
    printf("  sigwait: %d %s\n", r, got == s ? "the signal" : "another");
    sigpending(&p);
    printf("  pending after sigwait %d\n", sigismember(&p, s));
    stop_threads();
    fflush(stdout);
    _exit(0);
  }
  int st;
  while (waitpid(c, &st, WUNTRACED) < 0 && errno == EINTR) {
  }
  if (WIFSTOPPED(st)) {  // the runtime let a held-back stop signal through
    kill(c, SIGCONT);
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
    printf("%s case: stopped early\n", strsignal(s));
    return;
  }
  char what[64];
  snprintf(what, sizeof what, "%s case", strsignal(s));
  report(what, st);
}

// segv_sent: SIGSEGV blocked, sent with kill or raise, taken by sigwaitinfo.
static void segv_sent(int by_raise) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    block_one(SIGSEGV);
    start_threads();
    pause_ms(20);
    if (by_raise)
      raise(SIGSEGV);
    else
      kill(getpid(), SIGSEGV);
    pause_ms(100);
    sigset_t p, m;
    sigpending(&p);
    printf("  SIGSEGV by %s: still running, pending %d\n", by_raise ? "raise" : "kill", sigismember(&p, SIGSEGV));
    sigemptyset(&m);
    sigaddset(&m, SIGSEGV);
    siginfo_t si;
    int r = sigwaitinfo(&m, &si);
    // (raise's si_code: the kernel's SI_TKILL, which glibc's sigwaitinfo
    // reports as SI_USER; signals_si_code checks that exactly)
    printf("  sigwaitinfo: %s, si_code %s\n", r == SIGSEGV ? "SIGSEGV" : "?",
           si.si_code > 0 ? "> 0" : by_raise ? "<= 0" : si.si_code == SI_USER ? "SI_USER" : "other");
    stop_threads();
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  report(by_raise ? "SIGSEGV raised" : "SIGSEGV sent", st);
}

static void *faulter(void *a) {
  if (a) block_one(SIGSEGV);
  pause_ms(10);
  *nowhere = 1;
  printf("  no fault?\n");
  return NULL;
}

static void real_fault(int blocked) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    struct rlimit no = {0, 0};
    setrlimit(RLIMIT_CORE, &no);
    start_threads();
    pthread_t f;
    pthread_create(&f, NULL, faulter, blocked ? (void *)1 : NULL);
    pthread_join(f, NULL);
    _exit(5);
  }
  int st;
  waitpid(c, &st, 0);
  report(blocked ? "fault, SIGSEGV blocked" : "fault, SIGSEGV not blocked", st);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pending_case(SIGUSR1, 0);
  pending_case(SIGQUIT, 0);
  pending_case(SIGTSTP, 0);
  pending_case(SIGCONT, 0);
  pending_case(SIGTERM, 1);
  segv_sent(0);
  segv_sent(1);
  real_fault(1);
  real_fault(0);
  return 0;
}
