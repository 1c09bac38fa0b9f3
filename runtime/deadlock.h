// deadlock.h — Go's checkdead for green threads.
#pragma once

namespace gmp {

// deadlock_check reports, once per process, that every G is parked on a
// synchronization object and nothing can ever wake one: Go's "all goroutines
// are asleep - deadlock!". Called by an M that has just put itself on the
// idle list and is about to sleep (sched.cpp:stopm): the last M to go idle
// is the one that sees the whole program asleep. Runs on g0 with no runtime
// lock held; takes sched.lock briefly. Cheap (a few atomic loads) unless
// every P is idle with no timers and no fd waiters.
void deadlock_check();

}  // namespace gmp
