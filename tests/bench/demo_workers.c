// demo_workers.c — a "legacy" thread-per-worker program, as written before
// anyone thought about thread counts: 1000 worker threads pull jobs from one
// queue protected by a mutex and two condition variables, fed by a producer.
//
// usage: demo_workers [WORKERS [JOBS]]   (default 1000 workers, 200000 jobs)
//
// Output, in this order:
//   checksum: ...            deterministic; identical natively and under libgmp
//   threads: peak N ...      kernel threads seen in /proc/self/status while the
//                            workers were alive (this is what libgmp changes)
//   memory: peak RSS N KiB   VmHWM from /proc/self/status at the end
//   result: <seconds> s ...  wall time of the job pipeline
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_CAP 1024

// The job queue: a ring buffer. Everything below is guarded by q_mu.
static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_not_full = PTHREAD_COND_INITIALIZER;
static uint64_t q_items[QUEUE_CAP];
static int q_head, q_len;
static int q_closed;  // the producer has pushed everything

// Workers that have started; main waits for all of them before sampling.
static pthread_mutex_t start_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cv = PTHREAD_COND_INITIALIZER;
static long started;

struct worker {
  pthread_t thread;
  uint64_t total;  // sum of job hashes this worker computed
  long jobs;
};

static long njobs;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// job_hash is the "work": a few rounds of a 64-bit mixer.
static uint64_t job_hash(uint64_t x) {
  for (int i = 0; i < 16; i++) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
  }
  return x;
}

// status_field reads one numeric field ("Threads", "VmHWM") of /proc/self/status.
static long status_field(const char* name) {
  FILE* f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  size_t n = strlen(name);
  long v = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, name, n) == 0 && line[n] == ':') {
      v = atol(line + n + 1);
      break;
    }
  fclose(f);
  return v;
}

static void* producer(void* arg) {
  (void)arg;
  for (long i = 0; i < njobs; i++) {
    pthread_mutex_lock(&q_mu);
    while (q_len == QUEUE_CAP) pthread_cond_wait(&q_not_full, &q_mu);
    q_items[(q_head + q_len) % QUEUE_CAP] = (uint64_t)i;
    q_len++;
    pthread_cond_signal(&q_not_empty);
    pthread_mutex_unlock(&q_mu);
  }
  pthread_mutex_lock(&q_mu);
  q_closed = 1;
  pthread_cond_broadcast(&q_not_empty);
  pthread_mutex_unlock(&q_mu);
  return NULL;
}

static void* work(void* arg) {
  struct worker* w = arg;
  pthread_mutex_lock(&start_mu);
  started++;
  pthread_cond_signal(&start_cv);
  pthread_mutex_unlock(&start_mu);
  for (;;) {
    pthread_mutex_lock(&q_mu);
    while (q_len == 0 && !q_closed) pthread_cond_wait(&q_not_empty, &q_mu);
    if (q_len == 0) {  // closed and drained
      pthread_mutex_unlock(&q_mu);
      break;
    }
    uint64_t job = q_items[q_head];
    q_head = (q_head + 1) % QUEUE_CAP;
    if (q_len-- == QUEUE_CAP) pthread_cond_signal(&q_not_full);
    pthread_mutex_unlock(&q_mu);

    w->total += job_hash(job);
    w->jobs++;
    // Now and then a worker "waits for a slow backend".
    if (job % 97 == 0) usleep(200);
  }
  return NULL;
}

int main(int argc, char** argv) {
  long nworkers = argc > 1 ? atol(argv[1]) : 1000;
  njobs = argc > 2 ? atol(argv[2]) : 200000;
  if (nworkers <= 0 || njobs <= 0) {
    fprintf(stderr, "usage: demo_workers [WORKERS [JOBS]]\n");
    return 2;
  }
  struct worker* ws = calloc(nworkers, sizeof *ws);
  double t0 = now();
  for (long i = 0; i < nworkers; i++)
    if (pthread_create(&ws[i].thread, NULL, work, &ws[i]) != 0) {
      perror("pthread_create");
      return 1;
    }

  // Sample the kernel thread count once every worker runs, then again while
  // the pipeline is busy (the producer starts only after the first sample).
  pthread_mutex_lock(&start_mu);
  while (started < nworkers) pthread_cond_wait(&start_cv, &start_mu);
  pthread_mutex_unlock(&start_mu);
  long peak_threads = status_field("Threads");

  pthread_t prod;
  if (pthread_create(&prod, NULL, producer, NULL) != 0) {
    perror("pthread_create");
    return 1;
  }
  long t = status_field("Threads");
  if (t > peak_threads) peak_threads = t;
  pthread_join(prod, NULL);

  uint64_t sum = 0;
  long done = 0;
  for (long i = 0; i < nworkers; i++) {
    pthread_join(ws[i].thread, NULL);
    sum += ws[i].total;
    done += ws[i].jobs;
  }
  double dt = now() - t0;

  printf("checksum: %016llx (%ld jobs done by %ld workers)\n", (unsigned long long)sum, done,
         nworkers);
  printf("threads: peak %ld kernel threads while %ld workers were alive\n", peak_threads,
         nworkers);
  printf("memory: peak RSS %ld KiB\n", status_field("VmHWM"));
  printf("result: %.6f s %ld jobs through %ld worker threads\n", dt, njobs, nworkers);
  free(ws);
  return done == njobs ? 0 : 1;
}
