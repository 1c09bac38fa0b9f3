/* gettid() is a thread's identity: the same before and after blocking calls
 * that may move it between kernel threads, different in every thread, and
 * the process id in main. With GMP_TEST_GREEN_TID=1 (set by the preloaded
 * check) a created thread's id must also be above PID_MAX_LIMIT: no real
 * task can have it. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define N 16
#define PID_MAX_LIMIT 4194304

static pid_t ids[N];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *body(void *arg) {
  int i = (int)(intptr_t)arg;
  pid_t id = gettid();
  int stable = 1;
  for (int r = 0; r < 30; r++) {
    if (r % 3 == 0) usleep(50);
    else if (r % 3 == 1) sched_yield();
    else { pthread_mutex_lock(&mu); sched_yield(); pthread_mutex_unlock(&mu); }
    stable &= gettid() == id;
  }
  ids[i] = id;
  return (void *)(intptr_t)stable;
}

int main(void) {
  int green = getenv("GMP_TEST_GREEN_TID") != NULL;
  printf("main: gettid == getpid: %s\n", gettid() == getpid() ? "yes" : "no");
  pthread_t t[N];
  for (int i = 0; i < N; i++) pthread_create(&t[i], NULL, body, (void *)(intptr_t)i);
  int stable = 1;
  for (int i = 0; i < N; i++) {
    void *r;
    pthread_join(t[i], &r);
    stable &= (int)(intptr_t)r;
  }
  int distinct = 1, above = 1;
  for (int i = 0; i < N; i++) {
    if (ids[i] == getpid()) distinct = 0;
    if (ids[i] <= PID_MAX_LIMIT) above = 0;
    for (int j = 0; j < i; j++)
      if (ids[i] == ids[j]) distinct = 0;
  }
  printf("threads: gettid %s across blocking calls, distinct: %s\n", stable ? "stable" : "changes",
         distinct ? "yes" : "no");
  if (green && !above) {
    printf("FAIL: a thread's id is a possible task id\n");
    return 1;
  }
  return 0;
}
