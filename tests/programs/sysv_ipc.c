/* Kernel-side waits that no runtime can turn into a green park: System V
 * semaphores and message queues, POSIX message queues. Threads blocked in
 * them hold their kernel threads, natively and preloaded (there the P is
 * handed to another kernel thread at once), and every wait ends as natively
 * when main posts, sends, or the timeout passes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <time.h>
#include <unistd.h>

enum { NSEM = 20, NMQ = 5 };
static int semid, msqid;
static mqd_t mq;
static int got_sem, got_mq[NMQ];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *sem_taker(void *a) {
  struct sembuf op = {0, -1, 0};
  if (semop(semid, &op, 1) == 0) {
    pthread_mutex_lock(&mu);
    got_sem++;
    pthread_mutex_unlock(&mu);
  }
  return a;
}

struct msg {
  long type;
  char text[16];
};

static void *msg_taker(void *a) {
  struct msg m;
  ssize_t n = msgrcv(msqid, &m, sizeof m.text, 7, 0);
  return (void *)(n == 6 && strcmp(m.text, "hello") == 0 ? 1L : 0L);
}

static void *mq_taker(void *a) {
  char buf[64];
  ssize_t n = mq_receive(mq, buf, sizeof buf, NULL);
  if (n == 2 && buf[0] == 'm') {
    int i = buf[1] - '0';
    if (i >= 0 && i < NMQ) {
      pthread_mutex_lock(&mu);
      got_mq[i]++;
      pthread_mutex_unlock(&mu);
    }
  }
  return a;
}

static struct timespec in_ms(int ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += (long)ms * 1000000;
  ts.tv_sec += ts.tv_nsec / 1000000000;
  ts.tv_nsec %= 1000000000;
  return ts;
}

int main(void) {
  // System V semaphore: NSEM threads wait, one post of NSEM lets them all in.
  semid = semget(IPC_PRIVATE, 1, 0600);
  if (semid < 0) {
    printf("semget: %s\n", strerror(errno));
    return 1;
  }
  pthread_t t[NSEM];
  for (int i = 0; i < NSEM; i++) pthread_create(&t[i], NULL, sem_taker, NULL);
  usleep(50000);
  struct sembuf post = {0, NSEM, 0};
  int r = semop(semid, &post, 1);
  for (int i = 0; i < NSEM; i++) pthread_join(t[i], NULL);
  printf("semop: post %d, %d of %d waiting threads got in\n", r, got_sem, NSEM);
  struct sembuf take = {0, -1, IPC_NOWAIT};
  r = semop(semid, &take, 1);
  printf("semop IPC_NOWAIT on 0: %d %s\n", r, r < 0 ? strerror(errno) : "");
  struct timespec rel = {0, 50000000};
  take.sem_flg = 0;
  r = semtimedop(semid, &take, 1, &rel);
  printf("semtimedop 50 ms on 0: %d %s\n", r, r < 0 ? strerror(errno) : "");
  // Bad arguments are the kernel's to judge: too many operations, a bad
  // pointer.
  r = semop(semid, &take, (size_t)1 << 20);
  printf("semop with 2^20 operations: %d %s\n", r, r < 0 ? strerror(errno) : "");
  r = semop(semid, (struct sembuf *)8, 1);
  printf("semop with a bad pointer: %d %s\n", r, r < 0 ? strerror(errno) : "");
  semctl(semid, 0, IPC_RMID);

  // System V message queue: a receiver waits for type 7.
  msqid = msgget(IPC_PRIVATE, 0600);
  pthread_t rt;
  pthread_create(&rt, NULL, msg_taker, NULL);
  usleep(20000);
  struct msg m = {7, "hello"};
  r = msgsnd(msqid, &m, 6, 0);
  void *ok;
  pthread_join(rt, &ok);
  printf("msgsnd %d, msgrcv got it: %s\n", r, ok ? "yes" : "no");
  msgctl(msqid, IPC_RMID, NULL);

  // POSIX message queue: NMQ receivers, NMQ messages, then a timed receive.
  char name[64];
  snprintf(name, sizeof name, "/gmp-sysv-ipc-%d", (int)getpid());
  struct mq_attr attr = {0};
  attr.mq_maxmsg = 4;
  attr.mq_msgsize = 32;
  mq = mq_open(name, O_CREAT | O_RDWR, 0600, &attr);
  if (mq == (mqd_t)-1) {
    printf("mq_open: %s\n", strerror(errno));
    return 1;
  }
  pthread_t q[NMQ];
  for (int i = 0; i < NMQ; i++) pthread_create(&q[i], NULL, mq_taker, NULL);
  usleep(20000);
  int sent = 0;
  for (int i = 0; i < NMQ; i++) {
    char b[2] = {'m', (char)('0' + i)};
    sent += mq_send(mq, b, 2, 0) == 0;
  }
  for (int i = 0; i < NMQ; i++) pthread_join(q[i], NULL);
  int each = 1;
  for (int i = 0; i < NMQ; i++) each &= got_mq[i] == 1;
  printf("mq_send %d, every message received exactly once: %s\n", sent, each ? "yes" : "no");
  char buf[64];
  struct timespec dl = in_ms(50);
  ssize_t n = mq_timedreceive(mq, buf, sizeof buf, NULL, &dl);
  printf("mq_timedreceive 50 ms on empty: %zd %s\n", n, n < 0 ? strerror(errno) : "");
  mq_close(mq);
  mq_unlink(name);
  return 0;
}
