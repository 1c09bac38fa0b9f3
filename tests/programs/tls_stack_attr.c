/* pthread_getattr_np describes a thread's own stack: its locals lie inside
 * the reported range, which is at least the requested size, with the
 * requested guard; a thread on a user-supplied stack gets exactly that
 * stack back and no guard. Asked by the thread itself and by main; and a
 * thread asking about main gets main's stack, not its own. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define SIZE (256 * 1024)
#define GUARD (8 * 1024)

static void *user_stack;
static pthread_barrier_t b;
static pthread_t main_thread;
static char *main_local;

static void describe(const char *who, pthread_t t, int user) {
  pthread_attr_t a;
  if (pthread_getattr_np(t, &a) != 0) {
    printf("%s: pthread_getattr_np failed\n", who);
    return;
  }
  void *lo;
  size_t size, guard;
  pthread_attr_getstack(&a, &lo, &size);
  pthread_attr_getguardsize(&a, &guard);
  pthread_attr_destroy(&a);
  char probe;
  int inside = (char *)&probe >= (char *)lo && (char *)&probe < (char *)lo + size;
  if (t != pthread_self()) inside = -1;
  if (user)
    printf("%s: user stack reported exactly: %s, guard %zu\n", who,
           lo == user_stack && size == SIZE ? "yes" : "no", guard);
  else
    printf("%s: size >= requested: %s, guard %zu%s\n", who, size >= SIZE ? "yes" : "no", guard,
           inside < 0 ? "" : inside ? ", own locals inside: yes" : ", own locals inside: no");
}

static void *body(void *arg) {
  int user = (int)(intptr_t)arg;
  usleep(100); /* maybe on another kernel thread now */
  describe(user ? "user-stack thread (self)" : "thread (self)", pthread_self(), user);
  if (!user) {
    pthread_attr_t a;
    void *lo;
    size_t size;
    char probe;
    pthread_getattr_np(main_thread, &a);
    pthread_attr_getstack(&a, &lo, &size);
    pthread_attr_destroy(&a);
    printf("thread asking about main: main's local inside: %s, its own local inside: %s\n",
           main_local >= (char *)lo && main_local < (char *)lo + size ? "yes" : "no",
           &probe >= (char *)lo && &probe < (char *)lo + size ? "yes" : "no");
  }
  pthread_barrier_wait(&b);
  pthread_barrier_wait(&b);
  return NULL;
}

int main(void) {
  char here;
  main_local = &here;
  main_thread = pthread_self();
  pthread_barrier_init(&b, NULL, 2);
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, SIZE);
  pthread_attr_setguardsize(&a, GUARD);
  pthread_t t;
  pthread_create(&t, &a, body, (void *)0);
  pthread_barrier_wait(&b);
  describe("thread (from main)", t, 0);
  pthread_barrier_wait(&b);
  pthread_join(t, NULL);
  pthread_attr_destroy(&a);

  if (posix_memalign(&user_stack, 4096, SIZE) != 0) return 1;
  pthread_attr_init(&a);
  pthread_attr_setstack(&a, user_stack, SIZE);
  pthread_create(&t, &a, body, (void *)1);
  pthread_barrier_wait(&b);
  describe("user-stack thread (from main)", t, 1);
  pthread_barrier_wait(&b);
  pthread_join(t, NULL);
  pthread_attr_destroy(&a);
  return 0;
}
