/* Each thread installs its own alternate signal stack; a SIGUSR1 handler
 * (SA_ONSTACK) sent to each thread, also while it is parked, runs on that
 * thread's stack (sigaltstack() inside the handler says SS_ONSTACK and the
 * handler's locals lie inside the thread's buffer). A new thread starts
 * with none (SS_DISABLE). */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N 6
static char *bufs[N];
static pthread_t th[N];
static volatile sig_atomic_t on_own[N], ran[N];
static sem_t go;

static void on_usr1(int s) {
  (void)s;
  char local;
  pthread_t self = pthread_self();
  for (int i = 0; i < N; i++)
    if (pthread_equal(self, th[i])) {
      stack_t cur;
      sigaltstack(NULL, &cur);
      if ((cur.ss_flags & SS_ONSTACK) && &local >= bufs[i] && &local < bufs[i] + 65536) on_own[i] = 1;
      ran[i] = 1;
    }
}

static void *thread(void *a) {
  long i = (long)a;
  stack_t none;
  sigaltstack(NULL, &none);
  if (!(none.ss_flags & SS_DISABLE)) printf("thread %ld started with an alternate stack\n", i);
  stack_t ss = {bufs[i], 0, 65536};
  if (sigaltstack(&ss, NULL) != 0) return NULL;
  sem_post(&go);
  while (!ran[i]) {
    struct timespec ts = {0, 1000 * 1000};
    nanosleep(&ts, NULL);  /* parks: the thread may come back on another kernel thread */
  }
  return NULL;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  sem_init(&go, 0, 0);
  for (long i = 0; i < N; i++) {
    bufs[i] = malloc(65536);
    pthread_create(&th[i], NULL, thread, (void *)i);
  }
  for (int i = 0; i < N; i++) sem_wait(&go);
  for (int i = 0; i < N; i++) {
    while (!ran[i]) {
      pthread_kill(th[i], SIGUSR1);
      struct timespec ts = {0, 5 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
  }
  int good = 0;
  for (int i = 0; i < N; i++) {
    pthread_join(th[i], NULL);
    good += on_own[i];
  }
  printf("handlers that ran on their own thread's alternate stack: %d of %d\n", good, N);
  return 0;
}
