// sleep.cpp — see sleep.h. The G's own Timer is armed on g0 after the G is
// off its stack (sleep_park), so the callback can never ready a G that is
// still running; wait_seq ties a callback to one sleep.
#include "runtime/sleep.h"

#include "runtime/os.h"
#include "runtime/sched.h"
#include "runtime/cancel.h"
#include "runtime/interrupt.h"
#include "runtime/signal.h"

namespace gmp {

static void sleep_wake(void* arg, uint64_t seq) {
  G* g = static_cast<G*>(arg);
  if (g->wait_seq == seq) ready(g);
}

// sleep_park arms the timer once g is off its stack. An interrupt (cancel,
// signal) that came before the timer was armed could not disarm it: check
// again after arming; whichever of us disarms it (timer_del true) readies g.
static void sleep_park(G* g, void*) {
  add_timer(&g->timer);
  if (interrupt_pending(g, true) && timer_del(&g->timer)) ready(g);
}

// sleep_deadline returns 0, or the ns left when a handler interrupted it.
static int64_t sleep_deadline(int64_t deadline) {
  G* g = getg();
  for (;;) {
    g->wait_seq++;
    g->timer.when = deadline;
    g->timer.fn = sleep_wake;
    g->timer.arg = g;
    g->timer.seq = g->wait_seq;
    g->park_kind.store(kParkSleep, std::memory_order_seq_cst);
    park(WaitReason::kSleep, sleep_park, nullptr);
    g->park_kind.store(kParkNone, std::memory_order_relaxed);
    timer_del(&g->timer);  // already fired; waits if its callback is still running
    test_cancel();
    int64_t left = deadline - os::nanotime();
    if (left <= 0) return 0;
    // Woken early: a signal. Its handlers run; if none did, sleep on.
    if (!sig_after_interrupt(false)) return left;
  }
}

int64_t sleep_for(int64_t ns) {
  test_cancel();
  if (ns <= 0) return 0;
  return sleep_deadline(os::nanotime() + ns);
}

bool sleep_until(clockid_t clk, const timespec* abs) {
  test_cancel();
  int64_t now = os::clock_ns(clk);
  int64_t target = int64_t(abs->tv_sec) * 1000000000 + abs->tv_nsec;
  if (target <= now) return false;
  return sleep_deadline(os::nanotime() + (target - now)) != 0;
}

}  // namespace gmp
