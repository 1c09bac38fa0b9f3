/* Work whose scheduler counters are predictable enough to check (GMP_STATS,
 * tests/checks/stats.sh): 8 threads contend for one mutex, one of them
 * while the owner sleeps holding it (so at least one park on a mutex); two
 * threads ping-pong 200 times over a condition variable; one open/close
 * (the syscall path). Output is deterministic, so it is also compared with
 * native. */
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define THREADS 8
#define ROUNDS 20000
#define PINGS 200

pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
long counter;
sem_t holder_has_it;

void *adder(void *arg) {
  for (int i = 0; i < ROUNDS; i++) {
    pthread_mutex_lock(&mu);
    counter++;
    pthread_mutex_unlock(&mu);
  }
  return arg;
}

void *slow_holder(void *arg) {
  pthread_mutex_lock(&mu);
  sem_post(&holder_has_it);
  struct timespec ts = {0, 100 * 1000 * 1000};
  nanosleep(&ts, NULL);
  counter++;
  pthread_mutex_unlock(&mu);
  return arg;
}

void *blocked_adder(void *arg) {
  sem_wait(&holder_has_it);
  pthread_mutex_lock(&mu); /* slow_holder sleeps holding it */
  counter++;
  pthread_mutex_unlock(&mu);
  return arg;
}

pthread_mutex_t pmu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t pcv = PTHREAD_COND_INITIALIZER;
int turn, pings;

void *pinger(void *arg) {
  int me = (int)(long)arg;
  pthread_mutex_lock(&pmu);
  while (pings < PINGS) {
    while (turn != me && pings < PINGS) pthread_cond_wait(&pcv, &pmu);
    if (pings < PINGS) {
      pings++;
      turn = 1 - me;
      pthread_cond_broadcast(&pcv);
    }
  }
  pthread_mutex_unlock(&pmu);
  return NULL;
}

int main(void) {
  pthread_t t[THREADS + 4];
  sem_init(&holder_has_it, 0, 0);
  pthread_create(&t[0], NULL, slow_holder, NULL);
  pthread_create(&t[1], NULL, blocked_adder, NULL);
  for (int i = 2; i < THREADS + 2; i++) pthread_create(&t[i], NULL, adder, NULL);
  pthread_create(&t[THREADS + 2], NULL, pinger, (void *)0L);
  pthread_create(&t[THREADS + 3], NULL, pinger, (void *)1L);
  for (int i = 0; i < THREADS + 4; i++) pthread_join(t[i], NULL);
  int fd = open("/dev/null", O_RDONLY);
  if (fd >= 0) close(fd);
  printf("counter=%ld (want %ld)\n", counter, (long)THREADS * ROUNDS + 2);
  printf("pings=%d\n", pings);
  return counter == (long)THREADS * ROUNDS + 2 && pings == PINGS ? 0 : 1;
}
