// gmp: no-compare
// A legacy thread-per-connection HTTP/1.1 server (keep-alive), run by
// tests/checks/http_server.sh with wrk / curl, which are not preloaded.
// usage: http_server [PORT]   (0 or none: any free port); prints "port N".
//   GET /            -> "hello\n"
//   GET /bytes/N     -> N bytes, byte i = 'a' + i % 26
//   anything else    -> 404
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAXBODY (16 << 20)
static char* g_body;

static int write_all(int fd, struct iovec* iov, int n) {
  ssize_t want = 0;
  for (int i = 0; i < n; i++) want += iov[i].iov_len;
  ssize_t w = writev(fd, iov, n);  // a blocking writev sends it all
  return w == want ? 0 : -1;
}

static void* serve(void* arg) {
  int fd = (int)(long)arg;
  char buf[8192];
  size_t have = 0;
  for (;;) {
    char* end;
    while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
      if (have == sizeof buf) goto out;
      ssize_t n = read(fd, buf + have, sizeof buf - have);
      if (n <= 0) goto out;
      have += n;
    }
    size_t hlen = end + 4 - buf;
    char method[16], path[1024], version[16];
    if (sscanf(buf, "%15s %1023s %15s", method, path, version) != 3) goto out;
    int keep = strcmp(version, "HTTP/1.1") == 0;
    for (char* p = buf; p < end; p++)
      if (strncasecmp(p, "\r\nConnection: close", 19) == 0) keep = 0;
    const char* body = "hello\n";
    long blen = 6;
    int status = 200;
    if (strcmp(method, "GET") != 0) {
      status = 405, body = "", blen = 0;
    } else if (strncmp(path, "/bytes/", 7) == 0) {
      blen = atol(path + 7);
      if (blen < 0 || blen > MAXBODY) blen = 0;
      body = g_body;
    } else if (strcmp(path, "/") != 0) {
      status = 404, body = "not found\n", blen = 10;
    }
    char head[256];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Length: %ld\r\nContent-Type: text/plain\r\n%s\r\n",
                     status, status == 200 ? "OK" : status == 404 ? "Not Found" : "Method Not Allowed", blen,
                     keep ? "" : "Connection: close\r\n");
    struct iovec iov[2] = {{head, n}, {(void*)body, blen}};
    if (write_all(fd, iov, 2) != 0 || !keep) goto out;
    memmove(buf, buf + hlen, have - hlen);
    have -= hlen;
  }
out:
  close(fd);
  return NULL;
}

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  g_body = malloc(MAXBODY);
  for (long i = 0; i < MAXBODY; i++) g_body[i] = 'a' + i % 26;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(argc > 1 ? atoi(argv[1]) : 0)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (bind(l, (struct sockaddr*)&a, sizeof a) || listen(l, 4096) || getsockname(l, (struct sockaddr*)&a, &alen)) {
    fprintf(stderr, "http_server: %s\n", strerror(errno));
    return 1;
  }
  printf("port %d\n", ntohs(a.sin_port));
  fflush(stdout);
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  for (;;) {
    int fd = accept(l, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE) continue;
      fprintf(stderr, "http_server: accept: %s\n", strerror(errno));
      return 1;
    }
    pthread_t t;
    if (pthread_create(&t, &at, serve, (void*)(long)fd) != 0) close(fd);
  }
}
