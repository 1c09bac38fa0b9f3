/* Nested handlers left with siglongjmp at different levels, in a created
 * thread, with handlers on the thread's stack and then on an alternate
 * signal stack:
 *  - one level: the SIGUSR1 handler takes a sigsetjmp, raises SIGUSR2, whose
 *    handler siglongjmps back into the SIGUSR1 handler (leaving only the
 *    inner handler); the SIGUSR1 handler then returns normally;
 *  - both levels: the SIGUSR2 handler siglongjmps to a sigsetjmp of the
 *    thread's own code, leaving both handlers at once.
 * After each, the mask is what it was (SIGUSR1 and SIGUSR2 unblocked), and
 * the thread no longer counts as "in a handler": from deeper in its stack
 * than where the handlers ran, sigsuspend and sigwait take signals sent
 * with pthread_kill, a semaphore wait parks until another thread posts, and
 * a contended mutex is taken once released. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sigjmp_buf inner, outer;
static volatile int mode;  // 1: SIGUSR2 jumps to inner, 2: to outer
static volatile int trace[8], ntrace;
static volatile int hits;
static sem_t sem;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void note(int v) {
  if (ntrace < 8) trace[ntrace++] = v;
}

static void h1(int s) {
  (void)s;
  note(1);
  if (!sigsetjmp(inner, 1)) {
    raise(SIGUSR2);
    note(99);  // not reached: SIGUSR2's handler jumps
  } else {
    note(2);  // back in h1 after leaving h2
  }
  note(3);
}
static void h2(int s) {
  (void)s;
  note(4);
  if (mode == 1) siglongjmp(inner, 1);
  siglongjmp(outer, 1);
}
static void count(int s) {
  (void)s;
  hits++;
}

static void show_mask(const char *when) {
  sigset_t m;
  pthread_sigmask(SIG_BLOCK, NULL, &m);
  printf("  %s: SIGUSR1 blocked %d, SIGUSR2 blocked %d, SIGHUP blocked %d\n", when, sigismember(&m, SIGUSR1),
         sigismember(&m, SIGUSR2), sigismember(&m, SIGHUP));
}

static void *poster(void *a) {
  (void)a;
  usleep(20000);
  sem_post(&sem);
  return NULL;
}
static void *holder(void *a) {
  pthread_mutex_lock(&mu);
  sem_post((sem_t *)a);
  usleep(20000);
  pthread_mutex_unlock(&mu);
  return NULL;
}

// checks runs the waits; called from deep in the stack.
static void checks(void) {
  sigset_t hup, empty;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  sigemptyset(&empty);
  pthread_sigmask(SIG_BLOCK, &hup, NULL);
  hits = 0;
  pthread_kill(pthread_self(), SIGHUP);
  int r = sigsuspend(&empty);
  printf("  sigsuspend: %d %s, handler ran %d\n", r, strerror(errno), hits);
  pthread_kill(pthread_self(), SIGHUP);
  int got = 0;
  r = sigwait(&hup, &got);
  printf("  sigwait: %d %s\n", r, got == SIGHUP ? "SIGHUP" : "?");
  pthread_sigmask(SIG_UNBLOCK, &hup, NULL);
  pthread_t t;
  pthread_create(&t, NULL, poster, NULL);
  r = sem_wait(&sem);
  printf("  sem_wait: %d\n", r);
  pthread_join(t, NULL);
  sem_t ready;
  sem_init(&ready, 0, 0);
  pthread_create(&t, NULL, holder, &ready);
  sem_wait(&ready);
  r = pthread_mutex_lock(&mu);
  printf("  mutex after contention: %d\n", r);
  pthread_mutex_unlock(&mu);
  pthread_join(t, NULL);
  show_mask("after the waits");
}

static void deep(int n) {
  volatile char pad[512];
  pad[0] = (char)n;
  if (n > 0)
    deep(n - 1);
  else
    checks();
  (void)pad[0];
}

static void print_trace(void) {
  printf("  trace:");
  for (int i = 0; i < ntrace; i++) printf(" %d", trace[i]);
  printf("\n");
}

static void install(int onstack) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_flags = onstack ? SA_ONSTACK : 0;
  sa.sa_handler = h1;
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_handler = h2;
  sigaction(SIGUSR2, &sa, NULL);
  sa.sa_handler = count;
  sigaction(SIGHUP, &sa, NULL);
}

static void run(const char *what) {
  printf("%s, one level:\n", what);
  mode = 1;
  ntrace = 0;
  raise(SIGUSR1);
  print_trace();
  show_mask("after the handler returned");
  deep(20);

  printf("%s, both levels:\n", what);
  mode = 2;
  ntrace = 0;
  if (!sigsetjmp(outer, 1)) {
    raise(SIGUSR1);
    note(98);  // not reached
  } else {
    note(5);
  }
  print_trace();
  show_mask("after the jump");
  deep(20);
}

static char alt[1 << 16];

static void *body(void *a) {
  (void)a;
  install(0);
  run("thread stack");
  stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  install(1);
  run("alternate stack");
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  sem_init(&sem, 0, 0);
  pthread_t t;
  pthread_create(&t, NULL, body, NULL);
  pthread_join(t, NULL);
  return 0;
}
