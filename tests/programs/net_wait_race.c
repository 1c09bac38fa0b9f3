// Waiters and wakers racing on shared fds: many threads block in poll()
// (several fds, short timeouts) and in read() on the same pipes and socket
// pairs while writer threads make them ready one byte at a time, so a
// wake-up, a timeout and the waiter leaving its wait keep meeting. Under
// libgmp the poll nodes live on the waiting thread's stack and a woken
// waiter leaves its wait without the descriptor lock; a waker that touched
// a node after handing it back would corrupt that stack. Checked: every
// byte written is read exactly once (per-fd counts and a checksum), and
// every poll result is consistent with what the caller then reads.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kFds = 6, kPollers = 12, kReaders = 6, kWriters = 3, kPerWriter = 6000 };

static int rd[kFds], wr[kFds];
static long got[kFds], sum[kFds];
static long wrote[kFds], wsum[kFds];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int done;        // writers finished and everything drained [mu]
static long total_read; // [mu]
static long bad_revents;

static void account(int i, const unsigned char* b, ssize_t n) {
  pthread_mutex_lock(&mu);
  got[i] += n;
  for (ssize_t k = 0; k < n; k++) sum[i] += b[k];
  total_read += n;
  pthread_mutex_unlock(&mu);
}

static int finished(void) {
  pthread_mutex_lock(&mu);
  int d = done;
  pthread_mutex_unlock(&mu);
  return d;
}

// Pollers: poll every read end with a short timeout; they take socket data
// with MSG_DONTWAIT (another poller may have taken the byte: EAGAIN) and
// leave pipe data to the blocked readers, whose wake-ups race theirs.
static void* poller(void* arg) {
  long id = (long)arg;
  struct pollfd p[kFds];
  unsigned char b[16];
  while (!finished()) {
    for (int i = 0; i < kFds; i++) p[i] = (struct pollfd){.fd = rd[(i + id) % kFds], .events = POLLIN};
    int r = poll(p, kFds, 1 + (int)(id % 3));
    if (r < 0) {
      if (errno == EINTR) continue;
      perror("poll");
      exit(1);
    }
    for (int i = 0; i < kFds; i++) {
      if (!p[i].revents) continue;
      if (p[i].revents & (POLLNVAL | POLLERR)) __atomic_add_fetch(&bad_revents, 1, __ATOMIC_RELAXED);
      int idx = (i + id) % kFds;
      if (idx % 2 == 0) continue;  // a pipe: its blocked readers take the data
      // A socket: another poller may have taken the byte since; never block.
      ssize_t n = recv(rd[idx], b, sizeof b, MSG_DONTWAIT);
      if (n > 0) account(idx, b, n);
      else if (n < 0 && errno != EAGAIN) {
        perror("recv");
        exit(1);
      }
    }
  }
  return NULL;
}

// Readers: block in read() on one pipe (several readers per pipe).
static void* reader(void* arg) {
  int idx = (int)(long)arg * 2 % kFds;  // pipes are the even indexes
  unsigned char b[16];
  for (;;) {
    ssize_t n = read(rd[idx], b, sizeof b);
    if (n == 0) return NULL;  // the writer end closed: drained
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("read");
      exit(1);
    }
    account(idx, b, n);
  }
}

static void* writer(void* arg) {
  long id = (long)arg;
  unsigned seed = 12345u + (unsigned)id;
  for (int k = 0; k < kPerWriter; k++) {
    seed = seed * 1103515245u + 12345u;
    int i = (int)((seed >> 8) % kFds);
    unsigned char c = (unsigned char)(seed >> 20);
    pthread_mutex_lock(&mu);
    wrote[i]++;
    wsum[i] += c;
    pthread_mutex_unlock(&mu);
    // Outside the lock: a full AF_UNIX buffer (each 1-byte write costs an
    // skb) blocks the writer until a poller, which needs the lock, drains it.
    if (write(wr[i], &c, 1) != 1) {
      perror("write");
      exit(1);
    }
    if (k % 64 == 0) sched_yield();
  }
  return NULL;
}

int main(void) {
  for (int i = 0; i < kFds; i++) {
    int f[2];
    if (i % 2 == 0) {
      if (pipe(f) != 0) return perror("pipe"), 1;
    } else if (socketpair(AF_UNIX, SOCK_STREAM, 0, f) != 0) {
      return perror("socketpair"), 1;
    }
    rd[i] = f[0];
    wr[i] = f[1];
  }
  pthread_t pt[kPollers], rt[kReaders], wt[kWriters];
  for (long i = 0; i < kPollers; i++) pthread_create(&pt[i], NULL, poller, (void*)i);
  for (long i = 0; i < kReaders; i++) pthread_create(&rt[i], NULL, reader, (void*)i);
  for (long i = 0; i < kWriters; i++) pthread_create(&wt[i], NULL, writer, (void*)i);
  for (int i = 0; i < kWriters; i++) pthread_join(wt[i], NULL);
  // Sockets are drained by the pollers: wait until every byte was taken.
  long want = (long)kWriters * kPerWriter;
  for (;;) {
    pthread_mutex_lock(&mu);
    long sock_left = 0;
    for (int i = 1; i < kFds; i += 2) sock_left += wrote[i] - got[i];
    pthread_mutex_unlock(&mu);
    if (sock_left == 0) break;
    usleep(1000);
  }
  for (int i = 0; i < kFds; i += 2) close(wr[i]);  // readers see EOF once drained
  for (int i = 0; i < kReaders; i++) pthread_join(rt[i], NULL);
  pthread_mutex_lock(&mu);
  done = 1;
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < kPollers; i++) pthread_join(pt[i], NULL);
  int ok = total_read == want && bad_revents == 0;
  for (int i = 0; i < kFds; i++) {
    printf("fd %d (%s): wrote %ld read %ld, sums %s\n", i, i % 2 ? "socket" : "pipe", wrote[i], got[i],
           sum[i] == wsum[i] ? "match" : "DIFFER");
    ok = ok && got[i] == wrote[i] && sum[i] == wsum[i];
  }
  printf("total %ld of %ld, POLLNVAL or POLLERR %ld: %s\n", total_read, want, bad_revents, ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
