/* fork() while many threads are blocked: the child starts from a clean
 * slate of waiters. 200 threads of the parent wait, each on its own
 * semaphore, when main forks. The child (which has only main) then blocks
 * in many waits of its own — 64 joins of threads that sleep first, and 64
 * condition-variable hand-offs on 64 different condition variables — and
 * every one of them must be woken. Afterwards the parent wakes its 200
 * threads and joins them.
 *
 * (Under libgmp the wait table once kept, in the child, the tail of every
 * wait queue the parent's threads were in at the fork: the child's waits
 * that landed on such a queue were never woken and the child hung.) */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kParked = 200, kJoins = 64, kConds = 64 };

static sem_t sems[kParked];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int started;

static void *parked(void *a) {
  long i = (long)a;
  pthread_mutex_lock(&mu);
  started++;
  pthread_mutex_unlock(&mu);
  sem_wait(&sems[i]);
  return (void *)(i + 1);
}

static void *sleeper(void *a) {
  struct timespec ts = {0, 1000 * 1000};
  nanosleep(&ts, NULL);
  return a;
}

/* A hand-off on one condition variable: the helper waits for turn 1,
 * answers with turn 2; the caller waits for it. */
struct handoff {
  pthread_mutex_t m;
  pthread_cond_t c;
  int turn;
};
static struct handoff hs[kConds];

static void *answer(void *a) {
  struct handoff *h = a;
  pthread_mutex_lock(&h->m);
  while (h->turn != 1) pthread_cond_wait(&h->c, &h->m);
  h->turn = 2;
  pthread_cond_broadcast(&h->c);
  pthread_mutex_unlock(&h->m);
  return NULL;
}

static int child(void) {
  long sum = 0;
  for (long k = 0; k < kJoins; k++) {
    pthread_t t;
    void *v;
    if (pthread_create(&t, NULL, sleeper, (void *)k) != 0) return 1;
    if (pthread_join(t, &v) != 0) return 2;
    sum += (long)v;
  }
  int handoffs = 0;
  for (int k = 0; k < kConds; k++) {
    struct handoff *h = &hs[k];
    pthread_mutex_init(&h->m, NULL);
    pthread_cond_init(&h->c, NULL);
    h->turn = 0;
    pthread_t t;
    if (pthread_create(&t, NULL, answer, h) != 0) return 3;
    struct timespec ts = {0, 200 * 1000};
    nanosleep(&ts, NULL); /* let it wait first, most of the time */
    pthread_mutex_lock(&h->m);
    h->turn = 1;
    pthread_cond_broadcast(&h->c);
    while (h->turn != 2) pthread_cond_wait(&h->c, &h->m);
    pthread_mutex_unlock(&h->m);
    pthread_join(t, NULL);
    handoffs++;
  }
  printf("child: %d joins summed %ld, %d hand-offs\n", kJoins, sum, handoffs);
  fflush(stdout);
  return 0;
}

int main(void) {
  pthread_t t[kParked];
  for (long i = 0; i < kParked; i++) {
    sem_init(&sems[i], 0, 0);
    if (pthread_create(&t[i], NULL, parked, (void *)i) != 0) {
      printf("pthread_create failed\n");
      return 1;
    }
  }
  for (;;) {
    pthread_mutex_lock(&mu);
    int n = started;
    pthread_mutex_unlock(&mu);
    if (n == kParked) break;
    struct timespec ts = {0, 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  struct timespec settle = {0, 50 * 1000 * 1000};
  nanosleep(&settle, NULL); /* they are in sem_wait now */
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    printf("fork failed\n");
    return 1;
  }
  if (pid == 0) _exit(child());
  int st = 0;
  waitpid(pid, &st, 0);
  printf("parent: child exited %d with %d\n", WIFEXITED(st), WEXITSTATUS(st));
  long total = 0;
  for (int i = 0; i < kParked; i++) sem_post(&sems[i]);
  for (int i = 0; i < kParked; i++) {
    void *v;
    pthread_join(t[i], &v);
    total += (long)v;
  }
  printf("parent: %d threads woken, sum %ld\n", kParked, total);
  return 0;
}
