/* pthread_kill to threads parked in a condition variable wait, a sleep, a
 * semaphore wait and a mutex lock: the handler runs on the target thread
 * (pthread_self() inside it is the target), and each call then behaves as
 * natively: the condvar wait and the mutex lock go on waiting, sleep
 * returns the time left, sem_wait fails with EINTR. main keeps signalling a
 * target until its handler has run, so the output does not depend on when
 * the target reached its blocking call. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { T_COND, T_SLEEP, T_SEM, T_MUTEX, NT };
static const char *names[NT] = {"cond", "sleep", "sem", "mutex"};
static pthread_t th[NT];
static volatile sig_atomic_t hits[NT], stray;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER, held = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int released[NT];
static sem_t sem;
static int result[NT];

static void on_usr1(int sig) {
  (void)sig;
  pthread_t self = pthread_self();
  for (int i = 0; i < NT; i++)
    if (pthread_equal(self, th[i])) {
      hits[i]++;
      return;
    }
  stray++;
}

static void *cond_thread(void *a) {
  (void)a;
  pthread_mutex_lock(&mu);
  while (!released[T_COND]) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return NULL;
}

static void *sleep_thread(void *a) {
  (void)a;
  unsigned left = sleep(30);
  result[T_SLEEP] = left > 0 && left <= 30;
  return NULL;
}

static void *sem_thread(void *a) {
  (void)a;
  int r = sem_wait(&sem);
  result[T_SEM] = r == -1 && errno == EINTR;
  return NULL;
}

static void *mutex_thread(void *a) {
  (void)a;
  pthread_mutex_lock(&held);
  result[T_MUTEX] = 1;
  pthread_mutex_unlock(&held);
  return NULL;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  /* no SA_RESTART */
  sigaction(SIGUSR1, &sa, NULL);
  sem_init(&sem, 0, 0);
  pthread_mutex_lock(&held);
  void *(*fn[NT])(void *) = {cond_thread, sleep_thread, sem_thread, mutex_thread};
  for (int i = 0; i < NT; i++) pthread_create(&th[i], NULL, fn[i], NULL);

  for (int i = 0; i < NT; i++) {
    int before_stray = stray;
    while (hits[i] == 0) {
      pthread_kill(th[i], SIGUSR1);
      struct timespec ts = {0, 20 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
    /* The cond and mutex waiters must still be waiting after their handler. */
    if (i == T_COND) {
      pthread_mutex_lock(&mu);
      released[T_COND] = 1;
      pthread_cond_broadcast(&cv);
      pthread_mutex_unlock(&mu);
    }
    if (i == T_MUTEX) {
      struct timespec ts = {0, 50 * 1000 * 1000};
      nanosleep(&ts, NULL);
      printf("mutex waiter still blocked after its handler: %s\n", result[T_MUTEX] ? "no" : "yes");
      pthread_mutex_unlock(&held);
    }
    pthread_join(th[i], NULL);
    if (i == T_COND) result[T_COND] = 1;
    printf("%s: handler ran on the target: %s, stray handlers: %d, call result as expected: %s\n", names[i],
           hits[i] > 0 ? "yes" : "no", stray - before_stray, result[i] ? "yes" : "no");
  }
  /* pthread_kill with signal 0 checks existence only; a bad signal is EINVAL. */
  printf("kill(self, 0) = %d, kill(self, 99) = %d\n", pthread_kill(pthread_self(), 0), pthread_kill(pthread_self(), 99));
  /* raise runs the handler before it returns. */
  int before = stray;
  raise(SIGUSR1);
  printf("raise ran the handler on main before returning: %s\n", stray == before + 1 ? "yes" : "no");
  return 0;
}
