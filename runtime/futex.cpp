// futex.cpp — see futex.h.
//
// The table is kBuckets buckets, each a SpinLock and a doubly linked list of
// WaitNodes (one per waiting G, inside the G). A waiter enqueues itself under
// the bucket lock and parks; the lock is released by g0 after the switch
// (park's unlock callback), so a waker that finds the node can never ready a
// G that is still on its stack. A timed wait arms the G's timer in the same
// callback; the timer and a waker race for the node under the bucket lock and
// the node's state (kWaiting -> kWoken | kTimedOut) records the winner.
#include "runtime/futex.h"

#include <cerrno>

#include "runtime/lock.h"
#include "runtime/os.h"
#include "runtime/sched.h"
#include "runtime/cancel.h"
#include "runtime/interrupt.h"
#include "runtime/signal.h"

namespace gmp {

namespace {
constexpr uint32_t kBuckets = 1024;

struct alignas(64) Bucket {
  SpinLock lock;
  std::atomic<uint32_t> nwait{0};  // queued nodes; written under lock, read racily
  WaitNode* head = nullptr;        // guarded by lock
  WaitNode* tail = nullptr;        // guarded by lock
};

Bucket g_table[kBuckets];
// Threads that are not green (g0, a foreign thread such as glibc's
// SIGEV_THREAD helper) waiting in the kernel's futex; they join and leave
// with atomics, no lock.
std::atomic<int32_t> g_kernel_waiters{0};
// While kernel waiters exist, every other wake tries them first: waking
// green waiters first starved a kernel waiter whenever green threads kept a
// lock contended (a SIGEV_THREAD callback never got the mutex). Racy
// counter; only its parity matters.
std::atomic<uint32_t> g_kernel_turn{0};

inline uint32_t bucket_of(const void* addr) {
  uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  a ^= a >> 17;
  a *= 0x9e3779b97f4a7c15ull;
  return uint32_t(a >> 54) % kBuckets;
}

void enqueue(Bucket& b, WaitNode* w) {
  w->next = nullptr;
  w->prev = b.tail;
  if (b.tail)
    b.tail->next = w;
  else
    b.head = w;
  b.tail = w;
}

void dequeue(Bucket& b, WaitNode* w) {
  if (w->prev)
    w->prev->next = w->next;
  else
    b.head = w->next;
  if (w->next)
    w->next->prev = w->prev;
  else
    b.tail = w->prev;
  w->prev = w->next = nullptr;
  b.nwait.fetch_sub(1, std::memory_order_relaxed);
}

G* g_of(WaitNode* w) {
  return reinterpret_cast<G*>(reinterpret_cast<char*>(w) - offsetof(G, wait));
}

struct ParkCtx {
  Bucket* b;
  bool timed;
};

// Runs on g0 once the waiting G is off its stack.
void futex_unlock(G* g, void* arg) {
  auto* pc = static_cast<ParkCtx*>(arg);
  if (pc->timed) add_timer(&g->timer);
  pc->b->lock.unlock();
}

// Timer callback: the deadline of a timed wait passed.
void futex_timeout(void* arg, uint64_t seq) {
  G* g = static_cast<G*>(arg);
  if (g->wait_seq != seq) return;
  Bucket& b = g_table[g->wait.bucket];
  bool fire = false;
  {
    Guard<SpinLock> l(b.lock);
    if (g->wait.state.load(std::memory_order_relaxed) == WaitNode::kWaiting) {
      dequeue(b, &g->wait);
      g->wait.state.store(WaitNode::kTimedOut, std::memory_order_release);
      fire = true;
    }
  }
  if (fire) ready(g);
}

int kernel_wait(const uint32_t* addr, uint32_t expected, int64_t deadline) {
  g_kernel_waiters.fetch_add(1, std::memory_order_seq_cst);
  long r;
  if (deadline == 0) {
    r = os::futex_wait(addr, expected, nullptr);
  } else {
    int64_t left = deadline - os::nanotime();
    if (left <= 0) {
      g_kernel_waiters.fetch_sub(1, std::memory_order_relaxed);
      return ETIMEDOUT;
    }
    timespec ts{time_t(left / 1000000000), long(left % 1000000000)};
    r = os::futex_wait(addr, expected, &ts);
  }
  g_kernel_waiters.fetch_sub(1, std::memory_order_relaxed);
  if (r == -EAGAIN) return EAGAIN;
  if (r == -ETIMEDOUT) return ETIMEDOUT;
  return 0;  // woken, or EINTR: the caller re-checks its condition
}
}  // namespace

int futex_wait(const uint32_t* addr, uint32_t expected, int64_t deadline, WaitReason why,
               bool cancellable, bool restartable) {
  if (!on_g()) return kernel_wait(addr, expected, deadline);
  if (deadline != 0 && deadline <= os::nanotime()) return ETIMEDOUT;
  G* g = getg();
  uint32_t bi = bucket_of(addr);
  Bucket& b = g_table[bi];
  b.lock.lock();
  // Count ourselves before reading *addr (Dekker with futex_wake, which
  // changes *addr before reading nwait): either the waker sees nwait > 0 and
  // takes the bucket lock, or we see its new value and do not sleep.
  b.nwait.fetch_add(1, std::memory_order_seq_cst);
  if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != expected) {
    b.nwait.fetch_sub(1, std::memory_order_relaxed);
    b.lock.unlock();
    return EAGAIN;
  }
  WaitNode* w = &g->wait;
  w->cancellable = cancellable;
  // Publish the park kind, then look for a reason not to sleep, both under
  // the bucket lock (interrupt.h; futex_interrupt takes the same lock).
  g->park_kind.store(kParkFutex, std::memory_order_seq_cst);
  if (interrupt_pending(g, cancellable)) {
    g->park_kind.store(kParkNone, std::memory_order_relaxed);
    b.nwait.fetch_sub(1, std::memory_order_relaxed);
    b.lock.unlock();
    if (cancellable && cancel_requested(g)) return ECANCELED;
    return sig_after_interrupt(restartable) ? 0 : EINTR;
  }
  w->addr = addr;
  w->bucket = bi;
  w->state.store(WaitNode::kWaiting, std::memory_order_relaxed);
  enqueue(b, w);
  ParkCtx pc{&b, deadline != 0};
  if (deadline != 0) {
    g->wait_seq++;
    g->timer.when = deadline;
    g->timer.fn = futex_timeout;
    g->timer.arg = g;
    g->timer.seq = g->wait_seq;
  }
  park(why, futex_unlock, &pc);
  g->park_kind.store(kParkNone, std::memory_order_relaxed);
  if (deadline != 0) timer_del(&g->timer);
  switch (w->state.load(std::memory_order_acquire)) {
    case WaitNode::kTimedOut: return ETIMEDOUT;
    case WaitNode::kInterrupted:
      if (cancellable && cancel_requested(g)) return ECANCELED;
      // A signal: its handlers run here, then the caller retries or fails.
      return sig_after_interrupt(restartable) ? 0 : EINTR;
    default: return 0;
  }
}

void futex_interrupt(G* g) {
  for (;;) {
    uint32_t bi = g->wait.bucket;
    Bucket& b = g_table[bi];
    bool fire = false;
    {
      Guard<SpinLock> l(b.lock);
      // The G writes bucket and enqueues under that bucket's lock, so if the
      // bucket still matches and the node is waiting, it is queued here.
      if (g->wait.bucket != bi) continue;
      if (g->wait.state.load(std::memory_order_relaxed) == WaitNode::kWaiting &&
          g->park_kind.load(std::memory_order_seq_cst) == kParkFutex &&
          interrupt_pending(g, g->wait.cancellable)) {
        dequeue(b, &g->wait);
        g->wait.state.store(WaitNode::kInterrupted, std::memory_order_release);
        fire = true;
      }
    }
    if (fire) ready(g);
    return;
  }
}

int futex_wake(const uint32_t* addr, int n) {
  Bucket& b = g_table[bucket_of(addr)];
  int woken = 0;
  bool kernel_tried = false;
  if (g_kernel_waiters.load(std::memory_order_seq_cst) > 0 &&
      (g_kernel_turn.fetch_add(1, std::memory_order_relaxed) & 1) != 0) {
    kernel_tried = true;
    long k = os::futex_wake(addr, n);
    if (k > 0) woken += int(k);
  }
  if (woken < n && b.nwait.load(std::memory_order_seq_cst) != 0) {
    ReadyList rl;
    {
      Guard<SpinLock> l(b.lock);
      for (WaitNode* w = b.head; w && woken < n;) {
        WaitNode* next = w->next;
        if (w->addr == addr) {
          dequeue(b, w);
          w->state.store(WaitNode::kWoken, std::memory_order_release);
          rl.add(g_of(w));
          woken++;
        }
        w = next;
      }
    }
    rl.ready_all();  // the first waiter first
  }
  if (woken < n && !kernel_tried && g_kernel_waiters.load(std::memory_order_seq_cst) > 0) {
    long k = os::futex_wake(addr, n - woken);
    if (k > 0) woken += int(k);
  }
  return woken;
}

void futex_fork_lock() {
  for (uint32_t i = 0; i < kBuckets; i++) g_table[i].lock.lock();
}

void futex_fork_unlock(bool child) {
  for (uint32_t i = 0; i < kBuckets; i++) {
    if (child) {  // the child has no other thread: nobody waits anywhere
      // Both ends: a stale tail made the child's first waiter on a bucket
      // that had parent waiters at the fork a node linked after the
      // parent's, unreachable from head, so its wake-up never came.
      g_table[i].head = g_table[i].tail = nullptr;
      g_table[i].nwait.store(0, std::memory_order_relaxed);
    }
    g_table[i].lock.unlock();
  }
  if (child) g_kernel_waiters.store(0, std::memory_order_relaxed);
}

}  // namespace gmp
