// futex.h — the green futex: an address-keyed wait table for Gs.
//
// Every green sync primitive (mutex, cond, rwlock, sem, barrier, once, join)
// keeps its state in a 32-bit word inside the caller's own object and sleeps
// here with the classic futex protocol: wait(addr, expected) sleeps only if
// *addr still equals expected, checked under the bucket lock, so a wake that
// follows a change of *addr is never lost.
//
// Callers that are not Gs (the runtime's threads, threads made by a raw
// clone, code running before the runtime started) sleep in the kernel futex
// on the same word; wake() also wakes those (kernel_waiters counts them).
#pragma once
#include <cstdint>

#include "runtime/g.h"

namespace gmp {

// futex_wait: returns 0 when woken (maybe spuriously), EAGAIN if *addr !=
// expected, ETIMEDOUT when deadline (nanotime, 0 = none) passed.
// With cancellable, the wait is a cancellation point: it returns ECANCELED
// when the G has a pending cancel (cancel.h), already or during the wait.
// A signal for the G interrupts the wait: its handlers run inside this call,
// which then returns 0 (a spurious wakeup: retry) when restartable and every
// handler had SA_RESTART, else EINTR.
int futex_wait(const uint32_t* addr, uint32_t expected, int64_t deadline, WaitReason why,
               bool cancellable = false, bool restartable = true);
// futex_interrupt wakes g from its current wait-table park if it has a
// reason (interrupt.h); no-op if it is not parked there.
void futex_interrupt(G* g);
// futex_wake wakes up to n waiters on addr (Gs first, then kernel sleepers);
// returns how many it woke.
int futex_wake(const uint32_t* addr, int n);

// fork: the forking G holds every bucket across fork(); in the child the
// table is emptied (only the forking G exists there).
void futex_fork_lock();
void futex_fork_unlock(bool child);

}  // namespace gmp
