// Thread-per-connection echo server and 200 client threads in one process,
// over 127.0.0.1: every byte comes back in order (checksums), with messages
// of many sizes (some larger than the socket buffers, so writes are partial
// in the kernel and reads short).
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NCLIENTS 200
#define NMSG 12

static int g_port;
static int g_listener;
static pthread_t g_servers[NCLIENTS];
static uint64_t g_sum[NCLIENTS];
static int g_bad[NCLIENTS];

static void* serve(void* arg) {
  int fd = (int)(intptr_t)arg;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      printf("FAIL: server read: %s\n", strerror(errno));
      exit(1);
    }
    ssize_t off = 0;
    while (off < n) {
      ssize_t w = write(fd, buf + off, n - off);
      if (w <= 0) {
        printf("FAIL: server write: %s\n", strerror(errno));
        exit(1);
      }
      off += w;
    }
  }
  close(fd);
  return NULL;
}

static void* acceptor(void* arg) {
  (void)arg;
  for (int i = 0; i < NCLIENTS; i++) {
    int fd = accept(g_listener, NULL, NULL);
    if (fd < 0) {
      printf("FAIL: accept: %s\n", strerror(errno));
      exit(1);
    }
    if (pthread_create(&g_servers[i], NULL, serve, (void*)(intptr_t)fd) != 0) {
      printf("FAIL: pthread_create\n");
      exit(1);
    }
  }
  return NULL;
}

static size_t msg_len(int client, int k) {
  static const size_t sizes[] = {1, 7, 100, 1000, 4096, 10000, 65536, 300000};
  return sizes[(client * 3 + k) % 8];
}

static void* client(void* arg) {
  int id = (int)(intptr_t)arg;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(g_port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr*)&a, sizeof a) != 0) {
    printf("FAIL: client %d connect: %s\n", id, strerror(errno));
    exit(1);
  }
  unsigned char* out = malloc(300000);
  unsigned char* in = malloc(300000);
  uint64_t sum = 0;
  for (int k = 0; k < NMSG; k++) {
    size_t len = msg_len(id, k);
    for (size_t i = 0; i < len; i++) out[i] = (unsigned char)(id * 31 + k * 7 + i);
    // One blocking write of the whole message: it must all go out, as natively.
    ssize_t w = write(fd, out, len);
    if (w != (ssize_t)len) {
      printf("FAIL: client %d write %zd of %zu: %s\n", id, w, len, strerror(errno));
      exit(1);
    }
    size_t got = 0;
    while (got < len) {
      ssize_t n = read(fd, in + got, len - got);
      if (n <= 0) {
        printf("FAIL: client %d read: %zd %s\n", id, n, strerror(errno));
        exit(1);
      }
      got += n;
    }
    if (memcmp(in, out, len) != 0) g_bad[id] = 1;
    for (size_t i = 0; i < len; i++) sum = sum * 1000003 + in[i];
  }
  g_sum[id] = sum;
  close(fd);
  free(out);
  free(in);
  return NULL;
}

int main(void) {
  g_listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(g_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (bind(g_listener, (struct sockaddr*)&a, sizeof a) != 0 || listen(g_listener, 512) != 0 ||
      getsockname(g_listener, (struct sockaddr*)&a, &alen) != 0) {
    printf("FAIL: listen: %s\n", strerror(errno));
    return 1;
  }
  g_port = ntohs(a.sin_port);
  pthread_t acc, cl[NCLIENTS];
  pthread_create(&acc, NULL, acceptor, NULL);
  for (int i = 0; i < NCLIENTS; i++) pthread_create(&cl[i], NULL, client, (void*)(intptr_t)i);
  for (int i = 0; i < NCLIENTS; i++) pthread_join(cl[i], NULL);
  pthread_join(acc, NULL);
  for (int i = 0; i < NCLIENTS; i++) pthread_join(g_servers[i], NULL);
  close(g_listener);
  uint64_t total = 0, bytes = 0;
  int bad = 0;
  for (int i = 0; i < NCLIENTS; i++) {
    total ^= g_sum[i] + i;
    bad += g_bad[i];
    for (int k = 0; k < NMSG; k++) bytes += msg_len(i, k);
  }
  printf("clients: %d, messages each: %d, bytes echoed: %llu\n", NCLIENTS, NMSG, (unsigned long long)bytes);
  printf("checksum: %016llx\n", (unsigned long long)total);
  printf("mismatched echoes: %d\n", bad);
  return bad ? 1 : 0;
}
