// epoll_echo — the echo service as a hand-written event loop, for
// scripts/bench's comparison: THREADS loops (default: CPUs), each with its
// own epoll set and its own SO_REUSEPORT listener on one port. Same protocol
// and start line as tests/programs/echo_server ("port N"), 127.0.0.1 only.
// usage: epoll_echo [THREADS]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static int g_port;

static int listener(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, (struct sockaddr*)&a, sizeof a) != 0 || listen(fd, 4096) != 0 ||
      getsockname(fd, (struct sockaddr*)&a, &len) != 0) {
    fprintf(stderr, "epoll_echo: %s\n", strerror(errno));
    exit(1);
  }
  g_port = ntohs(a.sin_port);
  return fd;
}

static void* loop(void* arg) {
  int lfd = (int)(long)arg;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  struct epoll_event evs[256];
  char buf[4096];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
          if (c < 0) break;
          int one = 1;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r > 0) {
          // Requests are small: the socket buffer takes the whole echo.
          ssize_t off = 0;
          while (off < r) {
            ssize_t w = write(fd, buf + off, (size_t)(r - off));
            if (w <= 0) break;
            off += w;
          }
          continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EINTR)) close(fd);
        break;
      }
    }
  }
  return NULL;
}

int main(int argc, char** argv) {
  int threads = argc > 1 ? atoi(argv[1]) : (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (threads < 1) threads = 1;
  int first = listener(0);
  printf("port %d\n", g_port);
  fflush(stdout);
  for (int i = 1; i < threads; i++) {
    pthread_t t;
    pthread_create(&t, NULL, loop, (void*)(long)listener(g_port));
  }
  loop((void*)(long)first);
  return 0;
}
