/* glibc's own atomics must be real (a thread's multiple_threads flag set):
 * many threads malloc blocks of many sizes (tcache, fastbins, small and
 * large bins), fill them, and hand them to another thread, which checks and
 * frees them; stdio from all threads at once; the totals come out exact. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 16
#define PER 20000
#define SLOTS 64

struct mailbox {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  unsigned char *slot[SLOTS];
  size_t len[SLOTS];
  int head, tail;
};
static struct mailbox box[N];
static long checked[N], bad[N];

static void put(struct mailbox *b, unsigned char *p, size_t n) {
  pthread_mutex_lock(&b->mu);
  while (b->tail - b->head == SLOTS) pthread_cond_wait(&b->cv, &b->mu);
  b->slot[b->tail % SLOTS] = p;
  b->len[b->tail % SLOTS] = n;
  b->tail++;
  pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->mu);
}

static int get(struct mailbox *b, unsigned char **p, size_t *n) {
  pthread_mutex_lock(&b->mu);
  while (b->tail == b->head) pthread_cond_wait(&b->cv, &b->mu);
  *p = b->slot[b->head % SLOTS];
  *n = b->len[b->head % SLOTS];
  b->head++;
  pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->mu);
  return *p != NULL;
}

static void *producer(void *arg) {
  int id = (int)(intptr_t)arg;
  unsigned seed = id * 7919u + 1;
  for (int i = 0; i < PER; i++) {
    seed = seed * 1103515245u + 12345u;
    size_t n = 1 + (seed >> 8) % (i % 50 == 0 ? 70000 : 600);
    unsigned char *p = malloc(n);
    memset(p, (id + i) & 0xff, n);
    void *scratch = malloc(24); /* same-thread churn too */
    free(scratch);
    put(&box[(id + 1) % N], p, n);
  }
  put(&box[(id + 1) % N], NULL, 0);
  return NULL;
}

static void *consumer(void *arg) {
  int id = (int)(intptr_t)arg;
  int from = (id + N - 1) % N;
  unsigned char *p;
  size_t n;
  for (int i = 0; get(&box[id], &p, &n); i++) {
    unsigned char want = (from + i) & 0xff;
    if (p[0] != want || p[n - 1] != want) bad[id]++;
    checked[id]++;
    free(p);
    if (i % 5000 == 0) {
      char line[64];
      snprintf(line, sizeof line, "%d", i);
      fputs("", stdout); /* stdio's lock from every thread */
    }
  }
  return NULL;
}

int main(void) {
  pthread_t p[N], c[N];
  for (int i = 0; i < N; i++) {
    pthread_mutex_init(&box[i].mu, NULL);
    pthread_cond_init(&box[i].cv, NULL);
  }
  for (int i = 0; i < N; i++) pthread_create(&c[i], NULL, consumer, (void *)(intptr_t)i);
  for (int i = 0; i < N; i++) pthread_create(&p[i], NULL, producer, (void *)(intptr_t)i);
  for (int i = 0; i < N; i++) pthread_join(p[i], NULL);
  for (int i = 0; i < N; i++) pthread_join(c[i], NULL);
  long total = 0, corrupt = 0;
  for (int i = 0; i < N; i++) total += checked[i], corrupt += bad[i];
  printf("blocks passed between threads and checked: %ld (expected %d), corrupt: %ld\n", total, N * PER, corrupt);
  return 0;
}
