// gmp: no-compare
// A thread-per-connection server with 2000 connections from a client process
// (this program re-run natively, without LD_PRELOAD), every server thread
// blocked in read(): prints "threads=N" (the fewest kernel threads of the
// server seen over ~1 s while they stay blocked, from
// /proc/self/status) for tests/checks/threads.sh, which wants
// N <= GOMAXPROCS + 4 preloaded. Then the clients speak and all finish.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static int g_listener, g_nconn;
static atomic_int g_blocked, g_done;
static pthread_t* g_servers;

static void* serve(void* arg) {
  int fd = (int)(long)arg;
  char c;
  atomic_fetch_add(&g_blocked, 1);
  ssize_t n = read(fd, &c, 1);
  if (n == 1) write(fd, &c, 1);
  close(fd);
  atomic_fetch_add(&g_done, 1);
  return NULL;
}

static void* acceptor(void* arg) {
  (void)arg;
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setstacksize(&at, 64 << 10);
  for (int i = 0; i < g_nconn; i++) {
    int fd = accept(g_listener, NULL, NULL);
    if (fd < 0) {
      printf("FAIL: accept: %s\n", strerror(errno));
      exit(1);
    }
    if (pthread_create(&g_servers[i], &at, serve, (void*)(long)fd) != 0) {
      printf("FAIL: pthread_create %d\n", i);
      exit(1);
    }
  }
  return NULL;
}

static int kernel_threads(void) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  int n = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "Threads: %d", &n) == 1) break;
  if (f) fclose(f);
  return n;
}

static int raise_nofile(int want) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < want + 100) want = (int)rl.rlim_cur - 100;
  return want;
}

// The client process: connect n times in waves, wait for "go" on stdin, then
// send one byte per connection and read it back.
static int client(int port, int n) {
  n = raise_nofile(n);
  int* fds = calloc(n, sizeof *fds);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < n; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fds[i], (struct sockaddr*)&a, sizeof a) != 0) {
      fprintf(stderr, "client: connect %d: %s\n", i, strerror(errno));
      return 1;
    }
    if (i % 100 == 99) nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
  }
  char go[8];
  if (read(0, go, sizeof go) <= 0) return 1;
  for (int i = 0; i < n; i++) {
    char c = 'x';
    if (write(fds[i], &c, 1) != 1 || read(fds[i], &c, 1) != 1) {
      fprintf(stderr, "client: echo %d failed\n", i);
      return 1;
    }
    close(fds[i]);
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "client") == 0) return client(atoi(argv[2]), atoi(argv[3]));
  g_nconn = raise_nofile(2000);
  g_servers = calloc(g_nconn, sizeof *g_servers);

  g_listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (bind(g_listener, (struct sockaddr*)&a, sizeof a) || listen(g_listener, 4096) ||
      getsockname(g_listener, (struct sockaddr*)&a, &alen)) {
    printf("FAIL: listen: %s\n", strerror(errno));
    return 1;
  }
  pthread_t acc;
  pthread_create(&acc, NULL, acceptor, NULL);

  // The client runs natively: drop LD_PRELOAD from its environment.
  int go[2];
  pipe(go);
  char** env = calloc(1024, sizeof *env);
  int ne = 0;
  for (char** e = environ; *e && ne < 1023; e++)
    if (strncmp(*e, "LD_PRELOAD=", 11) != 0) env[ne++] = *e;
  char port[16], count[16];
  snprintf(port, sizeof port, "%d", ntohs(a.sin_port));
  snprintf(count, sizeof count, "%d", g_nconn);
  char* cargv[] = {argv[0], "client", port, count, NULL};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, go[0], 0);
  posix_spawn_file_actions_addclose(&fa, go[1]);
  pid_t pid;
  if (posix_spawn(&pid, "/proc/self/exe", &fa, NULL, cargv, env) != 0) {
    printf("FAIL: posix_spawn\n");
    return 1;
  }
  close(go[0]);

  pthread_join(acc, NULL);
  for (int i = 0; i < 2000 && atomic_load(&g_blocked) < g_nconn; i++)
    nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
  nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL);
  // The fewest kernel threads seen over ~1 s with every connection blocked:
  // a runtime may briefly hold extra threads after the connection burst.
  int least = kernel_threads();
  for (int i = 0; i < 20; i++) {
    usleep(50000);
    int n = kernel_threads();
    if (n < least) least = n;
  }
  printf("connections=%d blocked=%d threads=%d\n", g_nconn, atomic_load(&g_blocked), least);
  fflush(stdout);
  write(go[1], "go", 2);
  close(go[1]);
  for (int i = 0; i < g_nconn; i++) pthread_join(g_servers[i], NULL);
  int st = 0;
  waitpid(pid, &st, 0);
  printf("served=%d client=%d\n", atomic_load(&g_done), WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return atomic_load(&g_done) == g_nconn && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
