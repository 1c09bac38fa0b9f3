/* Programs that wait a lot but are not deadlocked; the deadlock detector
 * must stay silent for each phase (tests/checks/deadlock.sh runs this with
 * GMP_DEBUG=deadlock=exit; it is also compared with native like any other).
 *   1. ten threads sleep 300 ms while main joins them (timers armed);
 *   2. a thread reads a pipe whose writer is another process that writes
 *      after 300 ms, while main joins it (I/O, no timer in this process);
 *   3. a thread computes for a while and then signals a condition two other
 *      threads wait on, while main joins it (user code running). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void *sleeper(void *arg) {
  struct timespec ts = {0, 300 * 1000 * 1000};
  nanosleep(&ts, NULL);
  return arg;
}

int pipe_fd[2];

void *reader(void *arg) {
  char c = 0;
  long n = read(pipe_fd[0], &c, 1);
  return (void *)(n == 1 && c == 'x' ? arg : NULL);
}

pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
int done;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

void *computer(void *arg) {
  volatile unsigned long x = 0;
  double end = now_s() + 0.3;
  while (now_s() < end)
    for (int i = 0; i < 10000; i++) x += i;
  pthread_mutex_lock(&mu);
  done = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  return arg;
}

void *cond_waiter(void *arg) {
  pthread_mutex_lock(&mu);
  while (!done) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return arg;
}

int main(void) {
  pthread_t t[10];
  for (int i = 0; i < 10; i++) pthread_create(&t[i], NULL, sleeper, NULL);
  for (int i = 0; i < 10; i++) pthread_join(t[i], NULL);
  printf("phase 1 (sleeping threads): ok\n");

  if (pipe(pipe_fd) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    dup2(pipe_fd[1], 1);
    execl("/bin/sh", "sh", "-c", "sleep 0.3; printf x", (char *)NULL);
    _exit(127);
  }
  void *ok = NULL;
  pthread_create(&t[0], NULL, reader, (void *)1);
  pthread_join(t[0], &ok);
  int st = 0;
  waitpid(child, &st, 0);
  printf("phase 2 (reading a pipe): %s\n", ok && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "ok" : "FAIL");

  pthread_create(&t[1], NULL, cond_waiter, NULL);
  pthread_create(&t[2], NULL, cond_waiter, NULL);
  pthread_create(&t[0], NULL, computer, NULL);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  printf("phase 3 (computing thread): ok\n");
  return 0;
}
