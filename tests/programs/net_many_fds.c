// 10 000 descriptors in one process: 5000 socketpairs, 100 threads each
// blocked in read on its 50 sockets in turn, fed in reverse order by main;
// then one poll() over 5000 sockets woken by a write to one of them, and an
// epoll set holding all 5000. Skips (the same way natively) if the hard fd
// limit is too low.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NPAIRS 5000
#define NTHREADS 100
#define PER (NPAIRS / NTHREADS)

static int g_a[NPAIRS], g_b[NPAIRS];
static unsigned g_sum[NTHREADS];

static void* reader(void* arg) {
  int t = (int)(long)arg;
  for (int k = 0; k < PER; k++) {
    int i = t * PER + k;
    unsigned v;
    ssize_t n = read(g_a[i], &v, sizeof v);
    if (n != sizeof v || v != (unsigned)i * 2654435761u) {
      printf("FAIL: pair %d read %zd\n", i, n);
      exit(1);
    }
    g_sum[t] += v;
  }
  return NULL;
}

static struct pollfd g_pfd[NPAIRS];
static int g_poll_r;
static void* big_poller(void* arg) {
  (void)arg;
  for (int i = 0; i < NPAIRS; i++) g_pfd[i] = (struct pollfd){g_a[i], POLLIN, 0};
  g_poll_r = poll(g_pfd, NPAIRS, -1);
  return NULL;
}

int main(void) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 2 * NPAIRS + 300) {
    printf("skipped: the hard RLIMIT_NOFILE is below %d\n", 2 * NPAIRS + 300);
    return 0;
  }
  if (rl.rlim_cur < 2 * NPAIRS + 300) {
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? 2 * NPAIRS + 300 : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  int maxfd = 0;
  for (int i = 0; i < NPAIRS; i++) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
      printf("FAIL: socketpair %d: %s\n", i, strerror(errno));
      return 1;
    }
    g_a[i] = sv[0];
    g_b[i] = sv[1];
    if (sv[1] > maxfd) maxfd = sv[1];
  }
  printf("descriptors open: %d or more (highest fd above 10000: %s)\n", 2 * NPAIRS, maxfd >= 10000 ? "yes" : "no");

  pthread_t t[NTHREADS];
  for (long i = 0; i < NTHREADS; i++) pthread_create(&t[i], NULL, reader, (void*)i);
  for (int i = NPAIRS - 1; i >= 0; i--) {
    unsigned v = (unsigned)i * 2654435761u;
    if (write(g_b[i], &v, sizeof v) != sizeof v) {
      printf("FAIL: write %d\n", i);
      return 1;
    }
  }
  unsigned sum = 0, want = 0;
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(t[i], NULL);
    sum += g_sum[i];
  }
  for (int i = 0; i < NPAIRS; i++) want += (unsigned)i * 2654435761u;
  printf("%d readers over %d sockets: checksum %s\n", NTHREADS, NPAIRS, sum == want ? "ok" : "WRONG");

  pthread_t pt;
  pthread_create(&pt, NULL, big_poller, NULL);
  nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
  write(g_b[4321], "p", 1);
  pthread_join(pt, NULL);
  int which = -1, nready = 0;
  for (int i = 0; i < NPAIRS; i++)
    if (g_pfd[i].revents) {
      nready++;
      which = i;
    }
  printf("poll over %d sockets: %d ready (%d), index %d\n", NPAIRS, g_poll_r, nready, which);

  int ep = epoll_create1(0);
  for (int i = 0; i < NPAIRS; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, g_a[i], &ev);
  }
  struct epoll_event evs[8];
  int r = epoll_wait(ep, evs, 8, 1000);
  printf("epoll over %d sockets: %d ready, index %d\n", NPAIRS, r, r > 0 ? (int)evs[0].data.u32 : -1);
  close(ep);
  for (int i = 0; i < NPAIRS; i++) {
    close(g_a[i]);
    close(g_b[i]);
  }
  printf("done\n");
  return 0;
}
