/* A daemon's start: close every descriptor from 3 up, one by one and with
 * close_range, then work with threads blocked in pipe reads and sleeps. The
 * runtime's own descriptors must survive (natively there are none to lose),
 * and new descriptors get the lowest free numbers as natively. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static int p[2];
static void *reader(void *a) {
  (void)a;
  char buf[8] = {0};
  ssize_t n = read(p[0], buf, sizeof buf - 1);
  printf("reader got %zd bytes: %s\n", n, buf);
  return NULL;
}

int main(void) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  long max = rl.rlim_cur > 4096 ? 4096 : (long)rl.rlim_cur;
  int closed = 0;
  for (int fd = 3; fd < max; fd++)
    if (close(fd) == 0) closed++;
  printf("closed by the loop: %d\n", closed);
  close_range(3, ~0U, 0);
  if (pipe(p) != 0) return 1;
  printf("pipe got the lowest numbers: %d %d\n", p[0], p[1]);
  pthread_t t;
  pthread_create(&t, NULL, reader, NULL);
  struct timespec ts = {0, 30 * 1000 * 1000};
  nanosleep(&ts, NULL);
  if (write(p[1], "hello", 5) != 5) return 2;
  pthread_join(t, NULL);
  return 0;
}
