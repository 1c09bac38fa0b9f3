/* signalfd and thread-directed signals: every thread blocks SIGUSR1 and a
 * reader thread reads a signalfd for it. As natively, the read returns
 * SIGUSR1 sent to the reader itself with pthread_kill (before the read, and
 * while it is blocked in the read), with pthread_sigqueue (the value kept),
 * and sent by the reader to itself; a SIGUSR1 sent with pthread_kill to
 * another thread is that thread's alone (the reader's non-blocking read
 * finds nothing; the other thread's sigwait takes it); and a signal sent to
 * the process is read as before. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

static int sfd;
static sem_t go, done, other_go;
static pthread_t reader_t, other_t;

static void show(const char *what, ssize_t n, const struct signalfd_siginfo *si) {
  if (n != (ssize_t)sizeof *si) {
    printf("%s: read %zd (%s)\n", what, n, n < 0 ? strerror(errno) : "?");
    return;
  }
  printf("%s: signo %s, from us %d, code %s, value %d\n", what, si->ssi_signo == SIGUSR1 ? "SIGUSR1" : "?",
         si->ssi_pid == (unsigned)getpid(),
         si->ssi_code == SI_QUEUE ? "SI_QUEUE" : (int)si->ssi_code <= 0 ? "<= 0" : "> 0",
         si->ssi_code == SI_QUEUE ? si->ssi_int : 0);
}

static ssize_t read_nb(struct signalfd_siginfo *si) {
  int fl = fcntl(sfd, F_GETFL);
  fcntl(sfd, F_SETFL, fl | O_NONBLOCK);
  ssize_t n = read(sfd, si, sizeof *si);
  int e = errno;
  fcntl(sfd, F_SETFL, fl);
  errno = e;
  return n;
}

static void *reader(void *a) {
  (void)a;
  struct signalfd_siginfo si;
  ssize_t n;
  // 1: sent to us before we read
  sem_wait(&go);
  n = read(sfd, &si, sizeof si);
  show("pthread_kill before the read", n, &si);
  sem_post(&done);
  // 2: sent to us while we are blocked in the read
  n = read(sfd, &si, sizeof si);
  show("pthread_kill during the read", n, &si);
  // 3: pthread_sigqueue with a value
  sem_post(&done);
  sem_wait(&go);
  n = read(sfd, &si, sizeof si);
  show("pthread_sigqueue", n, &si);
  // 4: sent by ourselves
  pthread_kill(pthread_self(), SIGUSR1);
  n = read(sfd, &si, sizeof si);
  show("pthread_kill to ourselves", n, &si);
  // 5: sent to another thread: not ours
  sem_wait(&go);
  n = read_nb(&si);
  show("another thread's signal", n, &si);
  sem_post(&done);
  // 6: sent to the process
  n = read(sfd, &si, sizeof si);
  show("kill to the process", n, &si);
  n = read_nb(&si);
  show("nothing left", n, &si);
  return NULL;
}

static void *other(void *a) {
  (void)a;
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sem_wait(&other_go);
  int s = 0;
  sigwait(&m, &s);
  printf("the other thread's sigwait: %s\n", s == SIGUSR1 ? "SIGUSR1" : "?");
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &m, NULL);
  sfd = signalfd(-1, &m, SFD_CLOEXEC);
  sem_init(&go, 0, 0);
  sem_init(&done, 0, 0);
  sem_init(&other_go, 0, 0);
  pthread_create(&reader_t, NULL, reader, NULL);
  pthread_create(&other_t, NULL, other, NULL);

  pthread_kill(reader_t, SIGUSR1);
  sem_post(&go);
  sem_wait(&done);
  struct timespec ts = {0, 50 * 1000 * 1000};
  nanosleep(&ts, NULL);  // the reader is (most likely) blocked in read by now
  pthread_kill(reader_t, SIGUSR1);
  sem_wait(&done);
  union sigval v = {.sival_int = 42};
  pthread_sigqueue(reader_t, SIGUSR1, v);
  sem_post(&go);

  pthread_kill(other_t, SIGUSR1);
  sem_post(&go);
  sem_wait(&done);
  sem_post(&other_go);
  pthread_join(other_t, NULL);
  kill(getpid(), SIGUSR1);
  pthread_join(reader_t, NULL);
  return 0;
}
