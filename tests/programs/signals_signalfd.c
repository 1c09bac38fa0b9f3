/* signalfd: every thread blocks SIGUSR2 (inherited from main); a thread
 * parks in read() on a signalfd for it; a process-directed kill() makes the
 * read return the signal's siginfo. poll() on the signalfd works too. */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <unistd.h>

static int sfd;
static void *reader(void *a) {
  (void)a;
  struct signalfd_siginfo si;
  ssize_t n = read(sfd, &si, sizeof si);
  printf("read %s: signo %s, from this process %d\n", n == (ssize_t)sizeof si ? "a siginfo" : "?",
         si.ssi_signo == SIGUSR2 ? "SIGUSR2" : "?", si.ssi_pid == (unsigned)getpid());
  return NULL;
}

int main(void) {
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &m, NULL);
  sfd = signalfd(-1, &m, SFD_CLOEXEC);
  pthread_t t;
  pthread_create(&t, NULL, reader, NULL);
  struct timespec ts = {0, 50 * 1000 * 1000};
  nanosleep(&ts, NULL);
  kill(getpid(), SIGUSR2);
  pthread_join(t, NULL);
  kill(getpid(), SIGUSR2);
  struct pollfd p = {sfd, POLLIN, 0};
  int r = poll(&p, 1, 5000);
  printf("poll: %d revents POLLIN %d\n", r, (p.revents & POLLIN) != 0);
  struct signalfd_siginfo si;
  printf("read again: %d\n", read(sfd, &si, sizeof si) == (ssize_t)sizeof si);
  return 0;
}
