/* A thread's identity is one value, whoever reads it: pthread_self(), the
 * handle pthread_create wrote, C11's thrd_current(), and glibc's own thread
 * pointer (on x86-64, %fs:0 is the TCB, which is the pthread_t) agree, in
 * main and in every thread, and stay the same across blocking calls that
 * may move a green thread to another kernel thread. Handles are distinct,
 * pthread_equal matches them, and glibc accepts them (pthread_getattr_np). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <threads.h>
#include <unistd.h>

#define N 16
#define ROUNDS 40

static pthread_t created[N];
static pthread_barrier_t start;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn;

static pthread_t thread_pointer(void) { return (pthread_t)__builtin_thread_pointer(); }

static int agree(pthread_t expected) {
  pthread_t self = pthread_self();
  return self == expected && pthread_equal(self, expected) && (pthread_t)thrd_current() == self &&
         thrd_equal(thrd_current(), (thrd_t)expected) && thread_pointer() == self;
}

static void *body(void *arg) {
  int id = (int)(intptr_t)arg;
  pthread_barrier_wait(&start); /* created[] is complete */
  int ok = agree(created[id]);
  for (int r = 0; r < ROUNDS; r++) {
    switch (r % 4) {
      case 0: usleep(100); break;
      case 1: sched_yield(); break;
      case 2: /* hand a token around the ring: every thread blocks */
        pthread_mutex_lock(&mu);
        while (turn % N != id) pthread_cond_wait(&cv, &mu);
        turn++;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
        break;
      case 3: pthread_mutex_lock(&mu); pthread_mutex_unlock(&mu); break;
    }
    ok &= agree(created[id]);
  }
  for (int j = 0; j < N; j++)
    if (j != id && pthread_equal(pthread_self(), created[j])) ok = 0;
  return (void *)(intptr_t)ok;
}

int main(void) {
  pthread_t main_self = pthread_self();
  printf("main: pthread_self, thrd_current and the thread pointer agree: %s\n",
         agree(main_self) ? "yes" : "no");
  pthread_barrier_init(&start, NULL, N + 1);
  for (int i = 0; i < N; i++) pthread_create(&created[i], NULL, body, (void *)(intptr_t)i);
  int distinct = 1;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < i; j++)
      if (pthread_equal(created[i], created[j])) distinct = 0;
  for (int i = 0; i < N; i++)
    if (pthread_equal(created[i], main_self)) distinct = 0;
  int getattr_ok = 1;
  for (int i = 0; i < N; i++) {
    pthread_attr_t a;
    if (pthread_getattr_np(created[i], &a) != 0) getattr_ok = 0;
    else pthread_attr_destroy(&a);
  }
  pthread_barrier_wait(&start);
  int all = 1;
  for (int i = 0; i < N; i++) {
    void *r;
    pthread_join(created[i], &r);
    all &= (int)(intptr_t)r;
  }
  printf("threads: handles distinct: %s\n", distinct ? "yes" : "no");
  printf("threads: glibc accepts the handles: %s\n", getattr_ok ? "yes" : "no");
  printf("threads: pthread_self = created handle = thrd_current = thread pointer, across %d blocking rounds: %s\n",
         ROUNDS, all ? "yes" : "no");
  printf("main: still the same after joins: %s\n", agree(main_self) ? "yes" : "no");
  return 0;
}
