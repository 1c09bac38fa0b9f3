// si_code as the program sees it, for each way of sending a signal and each
// way of receiving it: glibc's sigwaitinfo/sigtimedwait report a signal sent
// with tkill/tgkill (raise, pthread_kill, a raw tgkill) as SI_USER, while a
// handler sees the kernel's SI_TKILL; kill gives SI_USER and sigqueue
// SI_QUEUE (with its value) everywhere. Sent from the receiving thread and
// from another one.
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t h_code = 99, h_val = -1;
static void handler(int s, siginfo_t* i, void* u) {
  (void)s;
  (void)u;
  h_code = i->si_code;
  h_val = i->si_code == SI_QUEUE ? i->si_value.sival_int : -1;
}

static pid_t target_tid;
static pthread_t target;

static void send(int how, int s) {
  switch (how) {
    case 0: raise(s); break;  // only from the target itself
    case 1: pthread_kill(target, s); break;
    case 2: syscall(SYS_tgkill, getpid(), target_tid, s); break;
    case 3: kill(getpid(), s); break;
    case 4: sigqueue(getpid(), s, (union sigval){.sival_int = 42}); break;
  }
}
static const char* how_name[] = {"raise", "pthread_kill", "tgkill", "kill", "sigqueue"};

struct job {
  int how, s;
};
static void* sender(void* arg) {
  struct job* j = arg;
  send(j->how, j->s);
  return NULL;
}

int main(void) {
  target_tid = (pid_t)syscall(SYS_gettid);
  target = pthread_self();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &set, NULL);  // SIGUSR2 is taken with sigwaitinfo
  for (int from_other = 0; from_other < 2; from_other++) {
    for (int how = from_other; how < 5; how++) {  // raise only from the target
      // A handler.
      h_code = 99;
      h_val = -1;
      if (from_other) {
        // Block it while the other thread sends, so it is delivered here.
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, SIGUSR1);
        pthread_sigmask(SIG_BLOCK, &one, NULL);
        pthread_t t;
        struct job j = {how, SIGUSR1};
        pthread_create(&t, NULL, sender, &j);
        pthread_join(t, NULL);
        pthread_sigmask(SIG_UNBLOCK, &one, NULL);
      } else {
        send(how, SIGUSR1);
      }
      printf("%-12s from %-6s handler: si_code %d value %d\n", how_name[how], from_other ? "other" : "self",
             (int)h_code, (int)h_val);
      // sigwaitinfo and sigtimedwait.
      for (int w = 0; w < 2; w++) {
        if (from_other) {
          pthread_t t;
          struct job j = {how, SIGUSR2};
          pthread_create(&t, NULL, sender, &j);
          pthread_join(t, NULL);
        } else {
          send(how, SIGUSR2);
        }
        siginfo_t info;
        memset(&info, 0, sizeof info);
        struct timespec ts = {5, 0};
        int r = w ? sigtimedwait(&set, &info, &ts) : sigwaitinfo(&set, &info);
        printf("%-12s from %-6s %s: %d si_code %d value %d\n", how_name[how], from_other ? "other" : "self",
               w ? "sigtimedwait" : "sigwaitinfo", r, info.si_code,
               info.si_code == SI_QUEUE ? info.si_value.sival_int : -1);
      }
    }
  }
  return 0;
}
