// cancel.h — deferred pthread cancellation for Gs.
//
// pthread_cancel sets the target's pending bit and, if the target is parked
// in a cancellation point (a cancellable wait-table park or a sleep),
// interrupts that park. A cancellation point that finds the pending bit set
// (with cancellation enabled) exits the thread with PTHREAD_CANCELED through
// the same forced unwind as pthread_exit, so cleanup handlers and C++
// destructors run as under glibc. Cancellation points: pthread_cond_wait and
// timedwait/clockwait, sem_wait and timed forms, pthread_join and its timed
// forms, sleep, usleep, nanosleep, clock_nanosleep, pthread_testcancel.
// Asynchronous cancellation is accepted (setcanceltype) but acts like
// deferred: arbitrary C code cannot be stopped at any instruction safely.
#pragma once
#include "runtime/g.h"

namespace gmp {

inline bool cancel_requested(G* g) {
  return (g->cancel.load(std::memory_order_seq_cst) & (kCancelPending | kCancelDisabled | kCancelExiting)) ==
         kCancelPending;
}

// thread_cancel: pthread_cancel for a G. Returns 0.
int thread_cancel(G* g);
// test_cancel: if the current G (if any) has a pending enabled cancel, exit.
void test_cancel();
int set_cancel_state(int state, int* old);
int set_cancel_type(int type, int* old);

}  // namespace gmp
