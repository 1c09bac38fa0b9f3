// sleep.cpp — see sleep.h. The G's own Timer is armed on g0 after the G is
// off its stack (sleep_park), so the callback can never ready a G that is
// still running; wait_seq ties a callback to one sleep.
#include "runtime/sleep.h"

#include "runtime/os.h"
#include "runtime/sched.h"

namespace gmp {

static void sleep_wake(void* arg, uint64_t seq) {
  G* g = static_cast<G*>(arg);
  if (g->wait_seq == seq) ready(g);
}

static void sleep_park(G* g, void*) { add_timer(&g->timer); }

static void sleep_deadline(int64_t deadline) {
  G* g = getg();
  g->wait_seq++;
  g->timer.when = deadline;
  g->timer.fn = sleep_wake;
  g->timer.arg = g;
  g->timer.seq = g->wait_seq;
  park(WaitReason::kSleep, sleep_park, nullptr);
  timer_del(&g->timer);  // already fired; waits if its callback is still running
}

void sleep_for(int64_t ns) {
  if (ns <= 0) return;
  sleep_deadline(os::nanotime() + ns);
}

void sleep_until(clockid_t clk, const timespec* abs) {
  int64_t now = os::clock_ns(clk);
  int64_t target = int64_t(abs->tv_sec) * 1000000000 + abs->tv_nsec;
  if (target <= now) return;
  sleep_deadline(os::nanotime() + (target - now));
}

}  // namespace gmp
