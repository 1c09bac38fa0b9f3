// signal.h — signals for green threads (see signal.cpp for the design).
#pragma once
#include <csignal>
#include <cstdint>

#include "runtime/g.h"

namespace gmp {

// sig_pending: g has a pending signal that its mask does not block.
bool sig_pending(G* g);

// sig_after_interrupt runs, on the current G, the handlers of its pending
// unblocked signals, after one of its parks was interrupted (or when a
// blocking call notices them). Returns true when the interrupted call must
// be restarted: restartable (the call is one signal(7) lets SA_RESTART
// restart) and every handler that ran had SA_RESTART, or no handler ran at
// all (the signal went elsewhere). Returns false when it must fail with
// EINTR.
bool sig_after_interrupt(bool restartable);

}  // namespace gmp
