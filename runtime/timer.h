// timer.h — per-P timer heaps: sleeps, timed waits and deadlines.
//
// Each P owns a 4-ary min-heap of Timer*, ordered by `when` (nanotime). A G
// arms a timer on its current P (timer_add) before parking; the timer's
// callback runs on g0 of whichever M runs that P's timers (check_timers),
// with no lock held. Another M may delete it (timer_del): the heap lock
// (P.timer_lock) protects the heap and every Timer's `p` and `index`.
//
// Timer states (field `state`, changed only under the owning heap's lock, or
// by the running M for kRunning -> kIdle):
//   kIdle    — in no heap; the owner may re-arm it.
//   kInHeap  — in heap p->timers at index.
//   kRunning — popped; its callback is running now. timer_del waits for it.
#pragma once
#include <atomic>
#include <cstdint>

namespace gmp {

struct P;

struct Timer {
  enum : uint32_t { kIdle = 0, kInHeap = 1, kRunning = 2 };
  int64_t when = 0;
  void (*fn)(void* arg, uint64_t seq) = nullptr;
  void* arg = nullptr;
  uint64_t seq = 0;
  P* p = nullptr;      // heap it is in (kInHeap)
  int32_t index = -1;  // position in that heap
  std::atomic<uint32_t> state{kIdle};
};

// TimerHeap: the heap storage inside a P. All fields guarded by P.timer_lock.
struct TimerHeap {
  Timer** heap = nullptr;
  int32_t len = 0;
  int32_t cap = 0;
};

// timer_add arms t on p (which must be the caller's P). Returns true if t is
// now the earliest timer of p (the caller may need to wake the poller).
bool timer_add(P* p, Timer* t);
// timer_del disarms t. Returns true if it was removed before firing; false if
// it already fired (its callback has finished by the time this returns).
bool timer_del(Timer* t);
// check_timers runs p's expired timers; returns the next `when` (0 if none).
int64_t check_timers(P* p, int64_t now);
// heap primitives, exposed for unit tests. The caller holds the heap's lock.
void heap_push(TimerHeap* h, Timer* t, P* owner);
Timer* heap_pop(TimerHeap* h);
void heap_remove(TimerHeap* h, Timer* t);

}  // namespace gmp
