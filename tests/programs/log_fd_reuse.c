// gmp: no-compare
/* log_fd_reuse FILE: a daemon-style program that closes every fd from 10 up
 * (libgmp keeps its GMP_LOG_FILE fd at 1000), opens FILE and puts it on 100
 * and 1000 too, the numbers the log may have had, then makes work that libgmp
 * logs at debug level: threads blocked in a raw syscall instruction, so
 * sysmon retakes their Ps and starts new kernel threads. Then it writes a
 * known text to FILE and reads it back: no byte of libgmp's log may be in it.
 * (It leaves fds below 10 alone: libgmp's epoll and eventfd live there, and
 * closing those is another matter.)
 * tests/checks/logging.sh runs it with GMP_LOG=debug GMP_LOG_FILE=...; it
 * also runs natively. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define N 8

static void *blocker(void *a) {
  struct timespec ts = {0, 50000000};
  long ret;
  asm volatile("syscall" : "=a"(ret) : "a"(SYS_nanosleep), "D"(&ts), "S"(0) : "rcx", "r11", "memory");
  return (void *)ret;
}

int main(int argc, char **argv) {
  static const char text[] = "the program's own data\n";
  if (argc != 2) {
    fprintf(stderr, "usage: log_fd_reuse FILE\n");
    return 2;
  }
  for (int fd = 10; fd < 1024; fd++) close(fd);
  int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
  /* Take the numbers the log may have had, so that a libgmp write to a
   * stale number would land in this file. */
  if (fd >= 0) {
    dup2(fd, 100);
    dup2(fd, 1000);
  }
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  for (int round = 0; round < 3; round++) {
    pthread_t t[N];
    for (int i = 0; i < N; i++) pthread_create(&t[i], NULL, blocker, NULL);
    for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
    /* Give sysmon time to write what those rounds logged, between writes. */
    struct timespec ts = {0, 30000000};
    nanosleep(&ts, NULL);
  }
  if (write(fd, text, sizeof text - 1) != (ssize_t)(sizeof text - 1)) return 1;
  char back[4096];
  ssize_t n = pread(fd, back, sizeof back, 0);
  if (n == (ssize_t)(sizeof text - 1) && memcmp(back, text, (size_t)n) == 0) {
    printf("fd %d: file intact\n", fd);
  } else {
    printf("fd %d: file has %zd bytes:\n", fd, n);
    fwrite(back, 1, n > 0 ? (size_t)n : 0, stdout);
  }
  return 0;
}
