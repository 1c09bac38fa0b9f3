/* A thread forks; in the child that thread (the only one left) starts
 * another thread and then dlopens a module with initial-exec TLS: both
 * threads see the module's initial values, each its own copy. (A forked
 * child's thread list holds only the forking thread, which the dynamic
 * loader then initialises along with every thread created since.) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char path[PATH_MAX];
static int (*get_ie)(void);
static void (*set_all)(int);
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int loaded;

static void *child_thread(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  while (!loaded) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  int ok = get_ie() == 4242;
  set_all(5);
  usleep(100);
  ok &= get_ie() == 5;
  return (void *)(intptr_t)ok;
}

static void *forker(void *arg) {
  (void)arg;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    pthread_t t;
    pthread_create(&t, NULL, child_thread, NULL);
    usleep(1000);
    void *h = dlopen(path, RTLD_NOW);
    if (!h) {
      printf("child: dlopen failed: %s\n", dlerror());
      _exit(1);
    }
    get_ie = (int (*)(void))dlsym(h, "get_ie");
    set_all = (void (*)(int))dlsym(h, "set_all");
    int ok = get_ie() == 4242;
    pthread_mutex_lock(&mu);
    loaded = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    void *r;
    pthread_join(t, &r);
    ok &= get_ie() == 4242;
    printf("child: the forking thread sees the initial value, keeps its own: %s\n", ok ? "yes" : "no");
    printf("child: a thread it started before the dlopen sees it too: %s\n", (intptr_t)r ? "yes" : "no");
    fflush(stdout);
    _exit(ok && r ? 0 : 1);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  printf("parent: child exited with %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return NULL;
}

int main(void) {
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 64);
  if (n <= 0) return 2;
  path[n] = 0;
  strcpy(strrchr(path, '/') + 1, "libgmp_test_tlsmod.so");
  pthread_t t;
  pthread_create(&t, NULL, forker, NULL);
  pthread_join(t, NULL);
  return 0;
}
