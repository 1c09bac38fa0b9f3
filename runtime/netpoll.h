// netpoll.h — the poller contract (as Go's netpoll.go).
//
// One epoll instance for the process. netpoll(delay) waits for readiness
// (delay < 0: forever; 0: do not block; > 0: nanoseconds) and returns the Gs it
// made runnable as a schedlink list, each already moved Waiting -> Runnable.
// netpoll_break interrupts a blocked netpoll (an eventfd registered in the
// same epoll set). The scheduler makes sure at most one M blocks in netpoll at
// a time (sched.lastpoll == 0 while it does), and uses it as its timed sleep:
// the delay is the next timer. The per-fd side (who waits on what) is
// pollfd.h; this file only talks to the kernel.
#pragma once
#include <cstdint>

namespace gmp {

struct G;
struct P;

void netpoll_init();
// netpoll returns the readied Gs (schedlink-linked) and their count in *n.
// Safe to call from several Ms at once.
G* netpoll(int64_t delay_ns, int* n);
void netpoll_break();
// netpoll_waiters: number of Gs parked on fds (or about to park). The
// scheduler polls (and blocks in epoll) only while it is > 0 or a timer is
// pending.
int netpoll_waiters();
// netpoll_waiter_parked: g0, committing g's fd wait on p (null: the M has
// no P). netpoll_waiter_resumed: g, back from that park, on p (Running).
// Sets and clears g->fd_waiting (see park in sched.cpp).
void netpoll_waiter_parked(G* g, P* p);
void netpoll_waiter_resumed(G* g, P* p);
// netpoll_ensure_poller: a G just parked on an fd from an M that has no P
// (sysmon took it while the G ran user code). That M will not go looking for
// work, so nobody may be left to poll: if no M is blocked in netpoll, wake
// one. Call on g0 (park's unlock callback).
void netpoll_ensure_poller();

// netpoll_open registers fd with the epoll set, edge-triggered for both
// directions (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLPRI|EPOLLET), with gen beside
// the fd in epoll_data. An fd already in the set (same open file) is
// modified to carry the new gen. Returns 0 or -errno (EPERM: not pollable).
int netpoll_open(int fd, uint32_t gen);

// netpoll_fork_child gives a fork child its own epoll set and eventfd (the
// inherited ones are shared with the parent) and forgets every registration
// and waiter of the parent (pd_after_fork). Call it in the child, before any
// G runs, from the fork hook.
void netpoll_fork_child();

}  // namespace gmp
