/* A SIGEV_THREAD timer's callback runs on a thread glibc makes with its
 * internal pthread_create, which no hook sees: under libgmp it is a plain
 * kernel thread, not a green one. Its callback locks a mutex that three
 * green threads keep contended (each holds it across a 200 us sleep); main
 * waits on a condition variable for 20 callbacks.
 *
 * A mutex's unlock used to wake green waiters first and the kernel waiter
 * only when no green one was queued: with the lock always contended, the
 * callback never got it and main waited forever (alarm's default action
 * ends such a run after 60 s). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int fired;
static volatile int stop;

static void callback(union sigval v) {
  (void)v;
  pthread_mutex_lock(&mu);
  fired++;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

static void* hog(void* arg) {
  while (!stop) {
    pthread_mutex_lock(&mu);
    usleep(200);
    pthread_mutex_unlock(&mu);
    sched_yield();
  }
  return arg;
}

int main(void) {
  alarm(60);
  pthread_t h[3];
  for (int i = 0; i < 3; i++) pthread_create(&h[i], NULL, hog, NULL);
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = callback;
  timer_t tm;
  if (timer_create(CLOCK_MONOTONIC, &ev, &tm) != 0) return 1;
  struct itimerspec its = {{0, 3000000}, {0, 3000000}};
  timer_settime(tm, 0, &its, NULL);
  pthread_mutex_lock(&mu);
  while (fired < 20) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  timer_delete(tm);
  stop = 1;
  for (int i = 0; i < 3; i++) pthread_join(h[i], NULL);
  alarm(0);
  printf("20 callbacks got the mutex\n");
  return 0;
}
