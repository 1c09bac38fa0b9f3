// 16 threads blocked in accept() on one listener; 500 connections arrive in
// bursts. Every connection is accepted and no acceptor is left stranded
// (edge-triggered readiness must be passed on from one acceptor to the next).
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NACCEPTORS 16
#define NCONN 500

static int g_listener;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_accepted, g_stops, g_finished;

static void* acceptor(void* arg) {
  (void)arg;
  for (;;) {
    int fd = accept(g_listener, NULL, NULL);
    if (fd < 0) {
      printf("FAIL: accept: %s\n", strerror(errno));
      exit(1);
    }
    char c;
    ssize_t n = read(fd, &c, 1);
    close(fd);
    if (n != 1) {
      printf("FAIL: read from accepted socket: %zd\n", n);
      exit(1);
    }
    pthread_mutex_lock(&g_mu);
    if (c == 'S') {
      g_stops++;
      g_finished++;
      pthread_mutex_unlock(&g_mu);
      return NULL;
    }
    g_accepted++;
    pthread_mutex_unlock(&g_mu);
  }
}

static int dial(struct sockaddr_in* a, char c) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr*)a, sizeof *a) != 0) {
    printf("FAIL: connect: %s\n", strerror(errno));
    exit(1);
  }
  if (write(fd, &c, 1) != 1) {
    printf("FAIL: write\n");
    exit(1);
  }
  return fd;
}

int main(void) {
  g_listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (bind(g_listener, (struct sockaddr*)&a, sizeof a) != 0 || listen(g_listener, 1024) != 0 ||
      getsockname(g_listener, (struct sockaddr*)&a, &alen) != 0) {
    printf("FAIL: listen: %s\n", strerror(errno));
    return 1;
  }
  pthread_t t[NACCEPTORS];
  for (int i = 0; i < NACCEPTORS; i++) pthread_create(&t[i], NULL, acceptor, NULL);
  struct timespec ts = {0, 50 * 1000 * 1000};
  nanosleep(&ts, NULL);  // let them all block in accept

  // Bursts of 50 connections, made back to back: several wait in the backlog
  // behind one readiness edge.
  static int fds[NCONN];
  for (int i = 0; i < NCONN; i++) {
    fds[i] = dial(&a, 'x');
    if (i % 50 == 49) nanosleep(&(struct timespec){0, 2 * 1000 * 1000}, NULL);
  }
  // Wait (bounded) until all were accepted, then stop the acceptors.
  for (int i = 0; i < 1000; i++) {
    pthread_mutex_lock(&g_mu);
    int n = g_accepted;
    pthread_mutex_unlock(&g_mu);
    if (n == NCONN) break;
    nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
  }
  int stops[NACCEPTORS];
  for (int i = 0; i < NACCEPTORS; i++) stops[i] = dial(&a, 'S');
  for (int i = 0; i < NACCEPTORS; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < NCONN; i++) close(fds[i]);
  for (int i = 0; i < NACCEPTORS; i++) close(stops[i]);
  close(g_listener);
  printf("accepted: %d of %d\n", g_accepted, NCONN);
  printf("acceptors finished: %d of %d (stop connections %d)\n", g_finished, NACCEPTORS, g_stops);
  return g_accepted == NCONN && g_finished == NACCEPTORS ? 0 : 1;
}
