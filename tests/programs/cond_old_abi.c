#include <pthread.h>
#include <stdio.h>
#include <string.h>
/* Old-ABI condvar users (binaries built before glibc 2.3.2) reach the hooks
 * through versioned references: pthread_cond_wait@GLIBC_2.2.5 binds to
 * libgmp's unversioned definition. */
#include <stdlib.h>
/* Bind to the pre-2.3.2 condvar ABI, as binaries built on old glibc do. */
__asm__(".symver pthread_cond_wait, pthread_cond_wait@GLIBC_2.2.5");
__asm__(".symver pthread_cond_signal, pthread_cond_signal@GLIBC_2.2.5");
__asm__(".symver pthread_cond_init, pthread_cond_init@GLIBC_2.2.5");
__asm__(".symver pthread_cond_destroy, pthread_cond_destroy@GLIBC_2.2.5");
__asm__(".symver pthread_cond_broadcast, pthread_cond_broadcast@GLIBC_2.2.5");
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static int turn; static long rounds = 20000;
static void *pong(void *a) { pthread_mutex_lock(&mu); for (long i = 0; i < rounds; i++) { while (!(turn & 1)) pthread_cond_wait(&cv, &mu); turn++; pthread_cond_broadcast(&cv);} pthread_mutex_unlock(&mu); return a; }
int main(void) {
  pthread_cond_init(&cv, NULL);
  pthread_t t; pthread_create(&t, NULL, pong, NULL);
  pthread_mutex_lock(&mu); for (long i = 0; i < rounds; i++) { turn++; pthread_cond_signal(&cv); while (turn & 1) pthread_cond_wait(&cv, &mu);} pthread_mutex_unlock(&mu);
  pthread_join(t, NULL); pthread_cond_destroy(&cv);
  printf("old-ABI condvar ping-pong: turn=%d\n", turn); return 0; }
