/* syscall(SYS_gettid) agrees with gettid(), and a raw tgkill to that identity
 * reaches the thread (its handler runs on it), natively and preloaded. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
static volatile sig_atomic_t hit; static pthread_t tgt; static volatile pid_t tid; static volatile int done;
static void h(int s){ (void)s; if (pthread_equal(pthread_self(), tgt)) hit=1; }
static void* t(void*a){ tid = gettid(); printf("gettid == syscall(SYS_gettid): %d\n", tid == (pid_t)syscall(SYS_gettid)); while(!hit) usleep(1000); done=1; return a; }
int main(){ struct sigaction sa; memset(&sa,0,sizeof sa); sa.sa_handler=h; sigaction(SIGUSR1,&sa,0);
 pthread_create(&tgt,0,t,0); while(!tid) usleep(1000);
 int r = syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
 while(!done) usleep(1000); pthread_join(tgt,0);
 printf("tgkill on the thread's gettid: %d, handler on the target: %d\n", r, (int)hit);
 printf("main: gettid == pid: %d\n", gettid()==getpid());
 return 0; }
