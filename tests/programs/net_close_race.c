// gmp: no-compare
// Run preloaded only (tests/checks/preload_only.sh): a thread blocked in
// poll() or read() on an fd that another thread closes would wait forever
// natively (the call holds the old file). Under libgmp the documented
// deviation is that the close wakes it (POLLNVAL, EBADF). This program races
// the close against every step of the waiter (classifying the fd, queueing,
// parking, looking again after the wakeup) many times over, with fds the
// runtime saw created (pipe) and fds it only learns about on first use
// (a FIFO from open(), a pipe made by the raw system call). A run passes if
// no waiter is ever left behind: a hang is the failure (the check's timeout).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { kPoll, kRead };

struct waiter {
  int fd;
  int op;
  volatile int started;
  int r, err;
  short revents;
};

static void* wait_on(void* arg) {
  struct waiter* w = arg;
  w->started = 1;
  if (w->op == kPoll) {
    struct pollfd p = {w->fd, POLLIN, 0};
    w->r = poll(&p, 1, -1);
    w->revents = p.revents;
  } else {
    char c;
    w->r = (int)read(w->fd, &c, 1);
  }
  w->err = w->r < 0 ? errno : 0;
  return NULL;
}

static unsigned seed = 12345;
static unsigned next_rand(void) {
  seed = seed * 1103515245u + 12345u;
  return seed >> 16;
}

// spin burns a pseudo-random short time so that the close lands anywhere
// in the waiter's progress, sometimes giving the CPU away.
static void spin(void) {
  unsigned n = next_rand() % 4000;
  for (volatile unsigned i = 0; i < n; i++) {
  }
  if (next_rand() % 4 == 0) sched_yield();
}

static int failures;

// one round: make an fd pair the given way, start a waiter, close under it.
static void round_trip(int how, int op) {
  int rd, wr;
  char fifo[64];
  if (how == 0) {
    int p[2];
    if (pipe(p) != 0) exit(2);
    rd = p[0], wr = p[1];
  } else if (how == 1) {
    int p[2];
    if (syscall(SYS_pipe2, p, 0) != 0) exit(2);  // no hook sees it made
    rd = p[0], wr = p[1];
  } else {
    snprintf(fifo, sizeof fifo, "/tmp/net_close_race.%d", (int)getpid());
    unlink(fifo);
    if (mkfifo(fifo, 0600) != 0) exit(2);
    rd = open(fifo, O_RDWR);  // O_RDWR: does not wait for a writer
    wr = -1;
    unlink(fifo);
    if (rd < 0) exit(2);
  }
  struct waiter w = {.fd = rd, .op = op};
  pthread_t t;
  pthread_create(&t, NULL, wait_on, &w);
  spin();
  close(rd);
  // A read that reached the kernel before the close began waits there on
  // the old file, as it would natively: closing the write end ends it (EOF).
  if (op == kRead && wr >= 0) close(wr);
  pthread_join(t, NULL);
  if (op == kPoll && !(w.r == 1 && w.revents == POLLNVAL)) {
    printf("poll after close: r=%d revents=%#x\n", w.r, w.revents);
    failures++;
  }
  if (op == kRead && !((w.r == -1 && w.err == EBADF) || w.r == 0)) {
    printf("read after close: r=%d errno=%d\n", w.r, w.err);
    failures++;
  }
  if (op == kPoll && wr >= 0) close(wr);
}

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 300;
  const char* names[3] = {"pipe()", "raw pipe2", "FIFO open()"};
  for (int how = 0; how < 3; how++) {
    for (int op = kPoll; op <= kRead; op++) {
      if (op == kRead && how == 2) continue;  // no write end to end a kernel read
      for (int i = 0; i < rounds; i++) round_trip(how, op);
      printf("%s, %s woken by close: %s\n", names[how], op == kPoll ? "poll" : "read", failures ? "WRONG" : "ok");
    }
  }
  return failures ? 1 : 0;
}
