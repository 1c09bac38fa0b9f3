/* An apache-like prefork server: the parent opens a listening socket and
 * forks 3 children; each child starts 4 threads that accept() on the shared
 * listener and echo one line per connection. The parent (after forking) is
 * the client: 30 connections, each answered; then it stops the children
 * with SIGTERM (which each child sigwaits for) and reaps them. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILDREN 3
#define THREADS 4
#define CONNS 30

static int lfd;

static void *serve(void *a) {
  (void)a;
  for (;;) {
    int c = accept(lfd, NULL, NULL);
    if (c < 0) {
      if (errno == EINTR) continue;
      return NULL;
    }
    char buf[64];
    ssize_t n = read(c, buf, sizeof buf);
    if (n > 0 && write(c, buf, (size_t)n) != n) { /* client went away */ }
    close(c);
  }
}

static int child_main(void) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, serve, NULL);
  int sig;
  sigwait(&term, &sig);
  return sig == SIGTERM ? 0 : 1;
}

int main(void) {
  lfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 64) != 0 ||
      getsockname(lfd, (struct sockaddr *)&a, &len) != 0)
    return 1;
  fflush(stdout);
  /* Children inherit the blocked SIGTERM: a stop request that comes before
   * a child reaches sigwait waits for it. */
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, NULL);
  pid_t kids[CHILDREN];
  for (int i = 0; i < CHILDREN; i++) {
    kids[i] = fork();
    if (kids[i] == 0) _exit(child_main());
  }
  int answered = 0;
  for (int i = 0; i < CONNS; i++) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) return 2;
    char msg[32], back[32] = {0};
    int n = snprintf(msg, sizeof msg, "hello %d\n", i);
    if (write(s, msg, (size_t)n) != n) return 3;
    ssize_t got = 0;
    while (got < n) {
      ssize_t k = read(s, back + got, sizeof back - 1 - (size_t)got);
      if (k <= 0) break;
      got += k;
    }
    if (got == n && memcmp(msg, back, (size_t)n) == 0) answered++;
    close(s);
  }
  int clean = 0;
  for (int i = 0; i < CHILDREN; i++) kill(kids[i], SIGTERM);
  for (int i = 0; i < CHILDREN; i++) {
    int st;
    waitpid(kids[i], &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) clean++;
  }
  printf("answered %d of %d; children exited cleanly: %d of %d\n", answered, CONNS, clean, CHILDREN);
  return 0;
}
