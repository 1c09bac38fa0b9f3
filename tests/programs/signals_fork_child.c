/* A threaded program forks; the child (whose only thread is the one that
 * forked) installs a SIGTERM handler and waits until the parent sends
 * SIGTERM: in sem_wait (the handler posts the semaphore), in pause, in
 * sigsuspend, and in sem_wait with a handler that calls _exit. As natively,
 * the handler runs, the child exits with the expected status, and it writes
 * nothing to stderr (the child's stderr is a pipe the parent reads: a
 * runtime that reported the waiting child as deadlocked wrote there). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static sem_t sem;
static volatile sig_atomic_t got;
static volatile int stop;

static void post(int s) {
  (void)s;
  got = 1;
  sem_post(&sem);
}
static void leave(int s) {
  (void)s;
  _exit(9);
}
static void flag(int s) {
  (void)s;
  got = 1;
}

static void *busy(void *a) {
  (void)a;
  while (!stop) usleep(1000);
  return NULL;
}

static void child(int how) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = how == 0 ? post : how == 3 ? leave : flag;
  sigaction(SIGTERM, &sa, NULL);
  sem_init(&sem, 0, 0);
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_UNBLOCK, &term, &old);
  int r;
  switch (how) {
    case 0:
    case 3:
      while ((r = sem_wait(&sem)) != 0 && errno == EINTR) {
      }
      _exit(got ? 7 : 1);
    case 1:
      r = pause();
      _exit(r == -1 && errno == EINTR && got ? 7 : 1);
    case 2: {
      pthread_sigmask(SIG_BLOCK, &term, NULL);
      sigset_t none;
      sigemptyset(&none);
      while (!got) sigsuspend(&none);
      _exit(7);
    }
  }
  _exit(1);
}

static void run(int how, const char *what) {
  int p[2];
  if (pipe(p) != 0) return;
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    close(p[0]);
    dup2(p[1], 2);
    close(p[1]);
    child(how);
  }
  close(p[1]);
  struct timespec ts = {0, 200 * 1000 * 1000};
  nanosleep(&ts, NULL);  // the child waits by now (most likely)
  kill(c, SIGTERM);
  int st;
  waitpid(c, &st, 0);
  char buf[4096];
  ssize_t n, total = 0;
  while ((n = read(p[0], buf, sizeof buf)) > 0) total += n;
  close(p[0]);
  printf("%s: %s %d, child stderr %s\n", what, WIFEXITED(st) ? "exit" : "killed by",
         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), total ? "NOT empty" : "empty");
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, busy, NULL);
  run(0, "sem_wait, handler posts");
  run(1, "pause");
  run(2, "sigsuspend");
  run(3, "sem_wait, handler calls _exit");
  stop = 1;
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  return 0;
}
