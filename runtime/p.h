// p.h — P, a logical processor: the right to run Gs, and a local run queue.
//
// There are exactly gomaxprocs Ps. An M must hold a P to run a G.
#pragma once
#include <atomic>
#include <cstdint>

#include "runtime/lock.h"
#include "runtime/timer.h"

namespace gmp {

struct G;
struct M;

// PStatus: who owns a P and who may change its status.
enum class PStatus : uint32_t {
  // Idle: on sched.pidle (or in transit under sched.lock); its local run
  // queue is empty. Changed by whoever holds sched.lock and takes it.
  kIdle = 0,
  // Running: owned by m, which is in the runtime (scheduler or a hook's
  // runtime call). Only m may change it.
  kRunning = 1,
  // Syscall: owned by m, whose G is running user code or a blocking call:
  // "user code is a syscall". m takes it back with one CAS to Running when
  // it enters the runtime (enter_runtime). Anyone else (sysmon) may take it
  // with a CAS to Idle; m then finds out at its next entry.
  kSyscall = 2,
};

constexpr uint32_t kRunqSize = 256;

struct P {
  int32_t id = 0;
  std::atomic<PStatus> status{PStatus::kIdle};
  M* m = nullptr;          // owner while Running/Syscall; written by the owner
  P* link = nullptr;       // sched.pidle link; guarded by sched.lock
  // Progress counters: schedtick counts Gs scheduled (not runnext chains),
  // syscalltick blocking calls entered and retakes. Written by the owner (and
  // by sysmon's retake for syscalltick), read by sysmon; relaxed.
  std::atomic<uint32_t> schedtick{0};
  std::atomic<uint32_t> syscalltick{0};

  // Local run queue: a lock-free ring (Go's runq). Only the owner pushes at
  // tail (store-release); the owner and thieves take from head with a CAS.
  std::atomic<uint32_t> runqhead{0};
  std::atomic<uint32_t> runqtail{0};
  std::atomic<G*> runq[kRunqSize];
  // runnext: a G readied by the running G, run next (inherits the time
  // slice). Only the owner sets it to a G; thieves may CAS it to null.
  std::atomic<G*> runnext{nullptr};
  // When the current time slice began (a G scheduled without inheriting;
  // runnext chains inherit it). Owner only. A slice older than kSliceNs
  // ends the chain: Go's sysmon preempts such a G; we cannot preempt, so
  // schedule() stops inheriting instead (find_runnable).
  int64_t slice_start = 0;
  // fd_waiters: this P's share of the Gs parked on fds (netpoll_waiters
  // adds the shares up). Changed only by the owner, with a plain load and
  // store, not a locked add: the count changes twice per fd wait, and a
  // shared atomic counter made every such change a cache-line transfer
  // between Ms. A G parks on one P and may wake on another, so one share
  // may be negative; the sum is exact once the Ms are quiet (deadlock.cpp
  // reads it only after every P went idle). Read by anyone, relaxed.
  std::atomic<int32_t> fd_waiters{0};
  // clock: the nanotime find_runnable last read on this P, or when the P
  // was last acquired; a park stamps the G's wait start from it (and
  // sysmon's clock) instead of reading the clock again. Owner only.
  int64_t clock = 0;

  // Timers: heap guarded by timer_lock; timer0 is the earliest `when` (0 if
  // none), written under timer_lock, read without it by other Ms.
  SpinLock timer_lock;
  TimerHeap timers;
  std::atomic<int64_t> timer0{0};

  // Free G cache would go here (Go's gFree); G recycling is global for now.
};

// Local run queue operations (Go's runqput/runqget/runqsteal).
// runq_put: owner only. next=true puts g in runnext, kicking the old one out
// to the tail. Overflow moves half the queue to the global queue.
void runq_put(P* p, G* g, bool next);
// runq_get: owner only; runnext first. inherit reports a runnext hit.
G* runq_get(P* p, bool* inherit);
bool runq_empty(P* p);
// runq_prefetch: owner only. Starts loading what the switch to the next
// queued G will touch (see p.cpp).
void runq_prefetch(P* p);
uint32_t runq_size(P* p);
// runq_steal: take half of victim's queue into p's (p owned by the caller);
// returns one G to run now, or nullptr.
G* runq_steal(P* p, P* victim, bool steal_runnext);
// runq_grab_all drains p's queue into a batch (used when destroying Ps and in
// tests); returns the number grabbed.
uint32_t runq_grab(P* p, G** batch, uint32_t batch_head, bool steal_runnext);

}  // namespace gmp
