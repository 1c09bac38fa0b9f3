// g.cpp — the G arena and free list.
//
// G structs are carved in order from one MAP_NORESERVE reservation and never
// unmapped. A pthread_t handed to the program is the G's TCB, which lives in
// the TLS arena (tls.cpp), likewise never unmapped; with GMP_TLS=0 it is the
// G* itself. Either way validating a handle (g_from_handle) is a range check
// plus a magic number, and a stale handle can never fault.
#include "runtime/g.h"
#include "runtime/kthread.h"

#include <cstddef>
#include <new>

#include "runtime/lock.h"
#include "runtime/os.h"
#include "runtime/rawlog.h"
#include "runtime/tls.h"

namespace gmp {

namespace {
constexpr uint64_t kMaxG = 1u << 21;  // 2M Gs ever alive at once
G* g_base = nullptr;
std::atomic<uint64_t> g_carved{0};  // slots handed out so far
SpinLock g_free_lock;               // guards g_free
G* g_free = nullptr;                // Idle Gs, linked by schedlink
std::atomic<uint64_t> g_next_goid{2};  // 1 is main
}  // namespace

// The hot lines (g.h "Layout"): every field a hook, a switch or an fd park
// and wake-up touches lies in the first three cache lines.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
static_assert(offsetof(G, alt_sp) < 64 && offsetof(G, pollwait) == 64, "the switch line");
static_assert(offsetof(G, is_g0) < 192 && offsetof(G, sig_depth) < 192 && offsetof(G, kt_pending) < 192 && offsetof(G, fd_waiting) < 192 && offsetof(G, park_seq) < 192 &&
                  offsetof(G, cancel) < 192 && offsetof(G, wait_seq) < 192,
              "the park line");
#pragma GCC diagnostic pop

G* g_arena_base() { return g_base; }
uint64_t g_count() { return g_carved.load(std::memory_order_acquire); }

static void arena_init() {
  static SpinLock init_lock;
  Guard<SpinLock> l(init_lock);
  if (g_base) return;
  void* p = os::mmap_anon(sizeof(G) * kMaxG, true);
  if (!p) fatal("cannot reserve the G arena (%lu bytes)", (unsigned long)(sizeof(G) * kMaxG));
  g_base = static_cast<G*>(p);
}

G* g_alloc() {
  if (__builtin_expect(g_base == nullptr, 0)) arena_init();
  G* g = nullptr;
  {
    Guard<SpinLock> l(g_free_lock);
    if (g_free) {
      g = g_free;
      g_free = g->schedlink;
    }
  }
  if (g == nullptr) {
    uint64_t i = g_carved.load(std::memory_order_relaxed);
    for (;;) {
      if (i >= kMaxG) return nullptr;
      if (g_carved.compare_exchange_weak(i, i + 1, std::memory_order_acq_rel)) break;
    }
    g = new (&g_base[i]) G();
  } else {
    // Reset to a fresh G but keep the struct's identity fields coherent.
    g->~G();
    new (g) G();
  }
  g->magic = kGMagic;
  g->goid = g_next_goid.fetch_add(1, std::memory_order_relaxed);
  return g;
}

void g_release(G* g) {
  if (g->tcb) tls_release(g);  // the handle (TCB) dies with the G
  if (g->kt) kt_release(g);
  g->magic = 0;
  g->status.store(GStatus::kIdle, std::memory_order_release);
  Guard<SpinLock> l(g_free_lock);
  g->schedlink = g_free;
  g_free = g;
}

bool g_in_arena(uintptr_t h) {
  if (tls_in_arena(h)) return true;
  uintptr_t lo = reinterpret_cast<uintptr_t>(g_base);
  return g_base != nullptr && h >= lo && h < lo + sizeof(G) * kMaxG;
}

G* g_from_handle(uintptr_t h) {
  if (tls_enabled()) return tls_g_of_handle(h);  // handles are TCBs
  if (g_base == nullptr) return nullptr;
  uintptr_t lo = reinterpret_cast<uintptr_t>(g_base);
  uintptr_t hi = lo + sizeof(G) * g_count();
  if (h < lo || h >= hi || (h - lo) % sizeof(G) != 0) return nullptr;
  G* g = reinterpret_cast<G*>(h);
  if (g->magic != kGMagic || g->is_g0) return nullptr;
  return g;
}

const char* wait_reason_name(WaitReason r) {
  switch (r) {
    case WaitReason::kNone: return "";
    case WaitReason::kMutex: return "mutex";
    case WaitReason::kCond: return "cond";
    case WaitReason::kRwlock: return "rwlock";
    case WaitReason::kSem: return "semaphore";
    case WaitReason::kBarrier: return "barrier";
    case WaitReason::kOnce: return "once";
    case WaitReason::kJoin: return "join";
    case WaitReason::kSleep: return "sleep";
    case WaitReason::kFutex: return "futex";
    case WaitReason::kYield: return "yield";
    case WaitReason::kIO: return "IO wait";
    case WaitReason::kSigwait: return "signal wait";
  }
  return "?";
}

void g_fork_lock() { g_free_lock.lock(); }
void g_fork_unlock() { g_free_lock.unlock(); }

}  // namespace gmp
