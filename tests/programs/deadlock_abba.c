// gmp: no-compare
/* A real deadlock, made deterministic: two threads each lock one mutex, meet
 * at a barrier, then lock the other one (opposite orders), while main joins
 * them. Natively this hangs forever. Under libgmp with
 * GMP_DEBUG=deadlock=exit it must end with status 2, the deadlock message and
 * a dump naming the mutex waits in lock_ab / lock_ba and main's join
 * (tests/checks/deadlock.sh). */
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t mu_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t mu_b = PTHREAD_MUTEX_INITIALIZER;
pthread_barrier_t both_hold_one;

void *lock_ab(void *arg) {
  pthread_mutex_lock(&mu_a);
  pthread_barrier_wait(&both_hold_one);
  pthread_mutex_lock(&mu_b);  /* held by lock_ba, which waits for mu_a */
  pthread_mutex_unlock(&mu_b);
  pthread_mutex_unlock(&mu_a);
  return arg;
}

void *lock_ba(void *arg) {
  pthread_mutex_lock(&mu_b);
  pthread_barrier_wait(&both_hold_one);
  pthread_mutex_lock(&mu_a);
  pthread_mutex_unlock(&mu_a);
  pthread_mutex_unlock(&mu_b);
  return arg;
}

int main(void) {
  pthread_t t1, t2;
  pthread_barrier_init(&both_hold_one, NULL, 2);
  pthread_create(&t1, NULL, lock_ab, NULL);
  pthread_create(&t2, NULL, lock_ba, NULL);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  printf("FAIL: the deadlock resolved itself\n");
  return 1;
}
