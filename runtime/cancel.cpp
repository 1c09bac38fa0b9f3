// cancel.cpp — see cancel.h.
#include "runtime/cancel.h"

#include <cerrno>
#include <pthread.h>

#include "runtime/interrupt.h"
#include "runtime/sched.h"
#include "runtime/thread.h"

namespace gmp {

int thread_cancel(G* g) {
  uint32_t old = g->cancel.fetch_or(kCancelPending, std::memory_order_seq_cst);
  if (old & (kCancelPending | kCancelDisabled | kCancelExiting)) return 0;
  park_interrupt(g);  // running: it acts at its next cancellation point
  return 0;
}

void test_cancel() {
  G* g = getg();
  if (g == nullptr || g->is_g0 || !cancel_requested(g)) return;
  // Cancellation is acted on once: cleanup handlers that hit another
  // cancellation point must not restart it.
  g->cancel.fetch_or(kCancelExiting, std::memory_order_relaxed);
  thread_exit(PTHREAD_CANCELED);
}

int set_cancel_state(int state, int* old) {
  if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE) return EINVAL;
  G* g = getg();
  uint32_t prev = state == PTHREAD_CANCEL_DISABLE ? g->cancel.fetch_or(kCancelDisabled)
                                                  : g->cancel.fetch_and(~uint32_t(kCancelDisabled));
  if (old) *old = (prev & kCancelDisabled) ? PTHREAD_CANCEL_DISABLE : PTHREAD_CANCEL_ENABLE;
  return 0;
}

int set_cancel_type(int type, int* old) {
  if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS) return EINVAL;
  G* g = getg();
  uint32_t prev = type == PTHREAD_CANCEL_ASYNCHRONOUS ? g->cancel.fetch_or(kCancelAsync)
                                                      : g->cancel.fetch_and(~uint32_t(kCancelAsync));
  if (old) *old = (prev & kCancelAsync) ? PTHREAD_CANCEL_ASYNCHRONOUS : PTHREAD_CANCEL_DEFERRED;
  return 0;
}

}  // namespace gmp
