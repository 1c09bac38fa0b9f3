// netpoll.h — the poller contract (as Go's netpoll.go).
//
// One epoll instance for the process. netpoll(delay) waits for readiness
// (delay < 0: forever; 0: do not block; > 0: nanoseconds) and returns the Gs it
// made runnable as a schedlink list. netpoll_break interrupts a blocked
// netpoll (an eventfd registered in the same epoll set). The scheduler makes
// sure at most one M blocks in netpoll at a time (sched.lastpoll == 0 while it
// does), and uses it as its timed sleep: the delay is the next timer.
#pragma once
#include <cstdint>

namespace gmp {

struct G;

void netpoll_init();
// netpoll returns the readied Gs (schedlink-linked) and their count in *n.
G* netpoll(int64_t delay_ns, int* n);
void netpoll_break();
// netpoll_waiters: number of Gs parked on fds (0 until the fd poller lands).
int netpoll_waiters();

}  // namespace gmp
