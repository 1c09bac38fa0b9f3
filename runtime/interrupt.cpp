// interrupt.cpp — see interrupt.h.
#include "runtime/interrupt.h"

#include "runtime/cancel.h"
#include "runtime/futex.h"
#include "runtime/pollfd.h"
#include "runtime/sched.h"
#include "runtime/signal.h"

namespace gmp {

bool interrupt_pending(G* g, bool cancellable) {
  return (cancellable && cancel_requested(g)) || sig_pending(g);
}

void park_interrupt(G* g) {
  switch (g->park_kind.load(std::memory_order_seq_cst)) {
    case kParkFutex: futex_interrupt(g); break;
    case kParkSleep:
      if (timer_del(&g->timer)) ready(g);
      break;
    case kParkFd: pd_interrupt(g); break;
    case kParkSigwait: sigwait_interrupt(g); break;
    default: break;  // running, or a park that is not interruptible
  }
}

}  // namespace gmp
