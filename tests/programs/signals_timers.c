/* POSIX timers: SIGEV_SIGNAL delivers SIGRTMIN with the timer's value
 * (sigwaitinfo in a thread that blocks it sees SI_TIMER), SIGEV_THREAD runs
 * a callback that posts a semaphore a green thread waits on; then popen,
 * posix_spawn and fork+execve run children that print. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static sem_t ticks;

static void on_timer(union sigval v) {
  if (v.sival_int == 7) sem_post(&ticks);
}

static void *rt_waiter(void *a) {
  sigset_t *set = a;
  int got = 0, code_ok = 0, value_ok = 0;
  while (got < 3) {
    siginfo_t si;
    if (sigwaitinfo(set, &si) != SIGRTMIN) continue;
    got++;
    code_ok += si.si_code == SI_TIMER;
    value_ok += si.si_value.sival_int == 99;
  }
  printf("SIGEV_SIGNAL: 3 expirations, SI_TIMER %d, value %d\n", code_ok, value_ok);
  return NULL;
}

int main(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN);
  pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread blocks it */
  pthread_t w;
  pthread_create(&w, NULL, rt_waiter, &set);
  timer_t t1;
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGRTMIN;
  ev.sigev_value.sival_int = 99;
  if (timer_create(CLOCK_MONOTONIC, &ev, &t1) != 0) return 1;
  struct itimerspec its = {{0, 5 * 1000 * 1000}, {0, 5 * 1000 * 1000}};
  timer_settime(t1, 0, &its, NULL);
  pthread_join(w, NULL);
  struct itimerspec off = {{0, 0}, {0, 0}};
  timer_settime(t1, 0, &off, NULL);
  timer_delete(t1);

  sem_init(&ticks, 0, 0);
  timer_t t2;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = on_timer;
  ev.sigev_value.sival_int = 7;
  if (timer_create(CLOCK_MONOTONIC, &ev, &t2) != 0) return 1;
  timer_settime(t2, 0, &its, NULL);
  for (int i = 0; i < 3; i++) sem_wait(&ticks);
  timer_settime(t2, 0, &off, NULL);
  timer_delete(t2);
  printf("SIGEV_THREAD: 3 callbacks posted\n");
  fflush(stdout);

  FILE *p = popen("echo from popen", "r");
  char line[64] = {0};
  if (!p || !fgets(line, sizeof line, p)) return 2;
  printf("popen: %s", line);
  printf("pclose: %d\n", WEXITSTATUS(pclose(p)));
  fflush(stdout);

  pid_t pid;
  char *argv1[] = {"/bin/sh", "-c", "echo from posix_spawn; exit 4", NULL};
  if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv1, environ) != 0) return 3;
  int st;
  waitpid(pid, &st, 0);
  printf("posix_spawn exit: %d\n", WEXITSTATUS(st));
  fflush(stdout);

  pid = fork();
  if (pid == 0) {
    char *argv2[] = {"/bin/echo", "from execve", NULL};
    execve("/bin/echo", argv2, environ);
    _exit(127);
  }
  waitpid(pid, &st, 0);
  printf("fork+execve exit: %d\n", WEXITSTATUS(st));
  return 0;
}
