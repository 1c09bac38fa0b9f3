// interrupt.h — waking a G out of a park for something other than the event
// it waits for: a pthread_cancel or a signal directed at it.
//
// Protocol (a Dekker pair, the same for every kind of park):
//   interrupter: 1. publish the reason (cancel bit, pending signal), seq_cst
//                2. read g->park_kind (seq_cst); if the G is parked in an
//                   interruptible wait, call park_interrupt(g).
//   parker:      1. store g->park_kind (seq_cst) while arming its wait
//                2. under the lock that guards its wait record, check
//                   interrupt_pending(g) and, if set, do not sleep.
// Either the interrupter sees the park kind (and finds the wait record armed
// under that lock), or the parker sees the reason. park_interrupt removes
// the G from its wait record and readies it exactly once (the wait record's
// own state CAS decides between a normal wake, a timeout and an interrupt).
//
// After an interrupted park the woken G, on its own stack, first acts on a
// cancel (test_cancel), then runs its deliverable signal handlers and asks
// whether the call restarts (signal.h: sig_after_interrupt).
#pragma once
#include "runtime/g.h"

namespace gmp {

// park_interrupt wakes g if it is parked in an interruptible wait (per
// g->park_kind); otherwise does nothing (a running G notices by itself at
// its next check). Callable from any G, g0 or sysmon; never from a signal
// handler that interrupted the runtime.
void park_interrupt(G* g);

// interrupt_pending: g has a reason to leave an interruptible park: an
// enabled pending cancel (only if cancellable) or a deliverable signal.
bool interrupt_pending(G* g, bool cancellable);

}  // namespace gmp
