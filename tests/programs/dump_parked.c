// gmp: no-compare
/* Threads parked in a mutex, a condition variable, a sleep and a pipe read,
 * and one in waitpid for a child process (the syscall path; the child exits
 * when this process is gone and its pipe reads end-of-file);
 * then the program dumps: "quit" raises SIGQUIT on main (libgmp prints every
 * G and the process dies by SIGQUIT), "exit" calls exit(0) (the dump comes
 * from GMP_DEBUG=dump=1). tests/checks/dump.sh looks for each wait reason
 * (the read with its fd, which the program prints, and the system call the
 * waitpid thread is in) and for these functions' names. Linked with -rdynamic (tests/special.cmake)
 * so the names are also in the dynamic symbol table. */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t cond_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t never = PTHREAD_COND_INITIALIZER;
sem_t started;
int pipe_fd[2];
pid_t child;

void *blocked_on_mutex(void *arg) {
  sem_post(&started);
  pthread_mutex_lock(&held);
  pthread_mutex_unlock(&held);
  return arg;
}

void *blocked_on_cond(void *arg) {
  pthread_mutex_lock(&cond_mu);
  sem_post(&started);
  pthread_cond_wait(&never, &cond_mu);
  pthread_mutex_unlock(&cond_mu);
  return arg;
}

void *blocked_in_sleep(void *arg) {
  sem_post(&started);
  sleep(60);
  return arg;
}

void *blocked_in_read(void *arg) {
  char c;
  sem_post(&started);
  if (read(pipe_fd[0], &c, 1) < 0) return NULL;
  return arg;
}

void *blocked_in_waitpid(void *arg) {
  sem_post(&started);
  waitpid(child, NULL, 0);
  return arg;
}

void dump_now(const char *how) {
  fflush(stdout);
  if (strcmp(how, "exit") == 0) exit(0);
  raise(SIGQUIT);
}

int main(int argc, char **argv) {
  const char *how = argc > 1 ? argv[1] : "quit";
  void *(*fns[])(void *) = {blocked_on_mutex, blocked_on_cond, blocked_in_sleep, blocked_in_read,
                            blocked_in_waitpid};
  pthread_t t[5];
  int life[2];
  if (pipe(pipe_fd) != 0 || pipe(life) != 0) return 1;
  child = fork();
  if (child < 0) return 1;
  if (child == 0) {  /* lives until this process is gone */
    char c;
    close(life[1]);
    while (read(life[0], &c, 1) > 0) {
    }
    _exit(0);
  }
  close(life[0]);
  printf("pipe read end: fd %d\n", pipe_fd[0]);
  sem_init(&started, 0, 0);
  pthread_mutex_lock(&held);
  for (int i = 0; i < 5; i++) pthread_create(&t[i], NULL, fns[i], NULL);
  for (int i = 0; i < 5; i++) sem_wait(&started);
  /* cond_mu is free again only once blocked_on_cond is inside the wait. */
  pthread_mutex_lock(&cond_mu);
  pthread_mutex_unlock(&cond_mu);
  /* The others are one call away from blocking; give them time to get there. */
  struct timespec ts = {0, 200 * 1000 * 1000};
  nanosleep(&ts, NULL);
  printf("dumping (%s)\n", how);
  dump_now(how);
  printf("FAIL: still alive after SIGQUIT\n");
  return 1;
}
