/* The obsolete System V signal calls act on the calling thread: sighold and
 * sigrelse change its mask, sigset sets an action and holds or releases the
 * signal (answering SIG_HOLD when it was held), sigignore ignores it, and
 * sigpause unblocks a signal and waits for it in one step. glibc builds them
 * from its internal sigprocmask, sigaction and sigsuspend, which a preloaded
 * library does not see: passed through, they would change the kernel
 * thread's mask behind the thread's back, and 40 threads in sigpause would
 * block 40 kernel threads (at GOMAXPROCS=1 the only one, and hang). */
#define _GNU_SOURCE
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"  // the calls under test are obsolete
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern int __sigpause(int sig_or_mask, int is_sig);  // glibc: behind both sigpause forms

enum { N = 40 };
static pthread_t th[N + 1];
static volatile sig_atomic_t woke[N + 1], usr2_hits;
static int ok[N + 1];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;

static void on_usr2(int s) {
  (void)s;
  usr2_hits++;
}

static void on_usr1(int s) {
  (void)s;
  pthread_t self = pthread_self();
  for (int i = 0; i <= N; i++)
    if (pthread_equal(self, th[i])) woke[i]++;
}

static int blocked(int s) {
  sigset_t cur;
  pthread_sigmask(SIG_BLOCK, NULL, &cur);
  return sigismember(&cur, s);
}

static const char *name(sighandler_t h) {
  if (h == SIG_HOLD) return "SIG_HOLD";
  if (h == SIG_DFL) return "SIG_DFL";
  if (h == SIG_IGN) return "SIG_IGN";
  if (h == SIG_ERR) return "SIG_ERR";
  if (h == on_usr2) return "on_usr2";
  return "?";
}

// pauser i: holds SIGUSR1, says it is ready, then waits in sigpause (the
// XSI form, or for the last thread the BSD form with an empty mask). main's
// pthread_kill may come before the sigpause: the signal stays pending until
// sigpause lets it in. After it returns, SIGUSR1 must be held again.
static void *pauser(void *arg) {
  long i = (long)arg;
  sighold(SIGUSR1);
  pthread_mutex_lock(&mu);
  ready++;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
  int r = i < N ? sigpause(SIGUSR1) : __sigpause(0, 0);
  int e = errno;
  ok[i] = r == -1 && e == EINTR && woke[i] == 1 && blocked(SIGUSR1);
  return NULL;
}

static void *holder(void *arg) {
  (void)arg;
  sighold(SIGUSR2);
  printf("thread: sighold(SIGUSR2), blocked here %d\n", blocked(SIGUSR2));
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int r = sighold(SIGUSR1);
  printf("sighold: %d, blocked %d\n", r, blocked(SIGUSR1));
  r = sigrelse(SIGUSR1);
  printf("sigrelse: %d, blocked %d\n", r, blocked(SIGUSR1));
  errno = 0;
  r = sighold(0);
  printf("sighold(0): %d %s\n", r, strerror(errno));
  errno = 0;
  r = sigrelse(99);
  printf("sigrelse(99): %d %s\n", r, strerror(errno));

  sighandler_t was = sigset(SIGUSR2, on_usr2);
  printf("sigset(on_usr2): was %s, blocked %d\n", name(was), blocked(SIGUSR2));
  was = sigset(SIGUSR2, SIG_HOLD);
  printf("sigset(SIG_HOLD): was %s, blocked %d\n", name(was), blocked(SIGUSR2));
  was = sigset(SIGUSR2, SIG_HOLD);
  printf("sigset(SIG_HOLD) again: was %s\n", name(was));
  raise(SIGUSR2);
  sigset_t pend;
  sigpending(&pend);
  printf("raised while held: %d handler runs, pending %d\n", (int)usr2_hits, sigismember(&pend, SIGUSR2));
  was = sigset(SIGUSR2, on_usr2);
  int hits = usr2_hits;
  printf("sigset(on_usr2): was %s, %d handler runs, blocked %d\n", name(was), hits, blocked(SIGUSR2));
  errno = 0;
  was = sigset(SIGKILL, on_usr2);
  printf("sigset(SIGKILL): %s %s\n", name(was), strerror(errno));

  pthread_t t;
  pthread_create(&t, NULL, holder, NULL);
  pthread_join(t, NULL);
  printf("main after the thread's sighold: blocked %d\n", blocked(SIGUSR2));

  r = sigignore(SIGUSR2);
  struct sigaction sa;
  sigaction(SIGUSR2, NULL, &sa);
  raise(SIGUSR2);
  hits = usr2_hits;
  printf("sigignore: %d, action %s, %d handler runs after raise\n", r, name(sa.sa_handler), hits);

  struct sigaction act;
  memset(&act, 0, sizeof act);
  act.sa_handler = on_usr1;
  sigaction(SIGUSR1, &act, NULL);
  for (long i = 0; i <= N; i++) pthread_create(&th[i], NULL, pauser, (void *)i);
  pthread_mutex_lock(&mu);
  while (ready < N + 1) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i <= N; i++) pthread_kill(th[i], SIGUSR1);
  int good = 0;
  for (int i = 0; i <= N; i++) {
    pthread_join(th[i], NULL);
    good += ok[i];
  }
  printf("sigpause: %d of %d threads woke by their own signal with EINTR and hold SIGUSR1 again\n", good, N + 1);
  return 0;
}
