// p.cpp — the local run queue of a P (after Go's runq, a bounded lock-free
// single-producer / multi-consumer ring; Vyukov's design in golang.org/cl/46170044).
//
// Memory ordering: the owner publishes a G by storing runq[tail % size] and
// then tail with release; consumers load tail with acquire before reading the
// slot, and claim it by CAS on head (release), so a slot is never reused
// before its consumer has read it.
#include "runtime/p.h"
#include "runtime/tls.h"

#include "runtime/g.h"
#include "runtime/os.h"
#include "runtime/sched_internal.h"

namespace gmp {

bool runq_empty(P* p) {
  // Go's runqempty: head, tail and runnext must be read consistently.
  for (;;) {
    uint32_t head = p->runqhead.load(std::memory_order_acquire);
    uint32_t tail = p->runqtail.load(std::memory_order_acquire);
    G* next = p->runnext.load(std::memory_order_acquire);
    if (p->runqtail.load(std::memory_order_acquire) == tail) return head == tail && next == nullptr;
  }
}

uint32_t runq_size(P* p) {
  uint32_t head = p->runqhead.load(std::memory_order_acquire);
  uint32_t tail = p->runqtail.load(std::memory_order_acquire);
  return tail - head;
}

// runq_prefetch: a server with thousands of Gs switches to a G whose
// memory went cold while it waited: its G struct, the top of its stack
// (the saved context and the frames it returns through), its TLS block and
// the descriptor it waited on, one cache miss after another (measured: the
// context switch, the TLS carry and the signal-mask check were most of the
// runtime's own CPU time per request). So while one G runs, the next one's
// lines are asked for: the first queued G's stack, TLS and descriptor (its
// G lines were asked for when it was second, so reading ctx, tcb and
// ionode.pd from them is usually a hit) and the second one's three G lines.
// (Two deep — the third G's struct, the second's stack — measured no
// better.) Only prefetches and plain loads of G fields: the G arena is
// never unmapped, and a G stolen meanwhile costs a wasted prefetch.
constexpr int kResumeLines = 12;

void runq_prefetch(P* p) {
  uint32_t head = p->runqhead.load(std::memory_order_relaxed);
  uint32_t tail = p->runqtail.load(std::memory_order_relaxed);
  uint32_t n = tail - head;
  G* first = p->runnext.load(std::memory_order_relaxed);
  G* second = nullptr;
  if (n - 1 < kRunqSize) {  // 1 <= n <= kRunqSize
    G* q0 = p->runq[head % kRunqSize].load(std::memory_order_relaxed);
    if (first == nullptr) {
      first = q0;
      if (n > 1) second = p->runq[(head + 1) % kRunqSize].load(std::memory_order_relaxed);
    } else {
      second = q0;
    }
  }
  if (second) {  // its three hot lines (g.h)
    __builtin_prefetch(second, 1);
    __builtin_prefetch(reinterpret_cast<char*>(second) + 64, 1);
    __builtin_prefetch(reinterpret_cast<char*>(second) + 128, 1);
  }
  if (first == nullptr) return;
  __builtin_prefetch(first, 1);
  auto* sp = static_cast<char*>(__atomic_load_n(reinterpret_cast<void**>(&first->ctx), __ATOMIC_RELAXED));
  void* tcb = __atomic_load_n(&first->tcb, __ATOMIC_RELAXED);
  // A G resumed in read() returns through the context switch, park, pd_wait
  // and fd_read frames: about 700 bytes above the saved stack pointer.
  if (sp)
    for (int i = 0; i < kResumeLines; i++) __builtin_prefetch(sp + 64 * i, 1);
  if (tcb) tls_prefetch(tcb);
  // The descriptor its last fd wait was on (stale if it waited on something
  // else since: the prefetch is then wasted, never followed); fd_read reads
  // it again as soon as the G runs.
  auto* pd = reinterpret_cast<char*>(__atomic_load_n(&first->ionode.pd, __ATOMIC_RELAXED));
  if (pd) {
    __builtin_prefetch(pd, 1);
    __builtin_prefetch(pd + 64, 1);
  }
}

// runq_put_slow moves half of the local queue plus g to the global queue.
static bool runq_put_slow(P* p, G* g, uint32_t head, uint32_t tail) {
  constexpr uint32_t n = kRunqSize / 2;
  G* batch[n + 1];
  if (tail - head != kRunqSize) fatal("runq_put_slow: queue is not full");
  for (uint32_t i = 0; i < n; i++) batch[i] = p->runq[(head + i) % kRunqSize].load(std::memory_order_relaxed);
  if (!p->runqhead.compare_exchange_strong(head, head + n, std::memory_order_release)) return false;
  batch[n] = g;
  for (uint32_t i = 0; i < n; i++) batch[i]->schedlink = batch[i + 1];
  batch[n]->schedlink = nullptr;
  globrunq_put_batch(batch[0], batch[n], n + 1);
  return true;
}

void runq_put(P* p, G* g, bool next) {
  if (next) {
    G* old = p->runnext.load(std::memory_order_relaxed);
    while (!p->runnext.compare_exchange_weak(old, g, std::memory_order_release)) {
    }
    if (old == nullptr) return;
    g = old;  // kick the old runnext out to the regular queue
  }
  for (;;) {
    uint32_t head = p->runqhead.load(std::memory_order_acquire);
    uint32_t tail = p->runqtail.load(std::memory_order_relaxed);
    if (tail - head < kRunqSize) {
      p->runq[tail % kRunqSize].store(g, std::memory_order_relaxed);
      p->runqtail.store(tail + 1, std::memory_order_release);
      return;
    }
    if (runq_put_slow(p, g, head, tail)) return;
    // the queue is no longer full; try again
  }
}

G* runq_get(P* p, bool* inherit) {
  G* next = p->runnext.load(std::memory_order_relaxed);
  // Only the owner sets runnext to non-null, so a CAS failure means a thief
  // took it: fall through to the queue.
  if (next != nullptr && p->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acquire)) {
    *inherit = true;
    return next;
  }
  *inherit = false;
  for (;;) {
    uint32_t head = p->runqhead.load(std::memory_order_acquire);
    uint32_t tail = p->runqtail.load(std::memory_order_relaxed);
    if (tail == head) return nullptr;
    G* g = p->runq[head % kRunqSize].load(std::memory_order_relaxed);
    if (p->runqhead.compare_exchange_weak(head, head + 1, std::memory_order_release)) return g;
  }
}

uint32_t runq_grab(P* p, G** batch, uint32_t batch_head, bool steal_runnext) {
  for (;;) {
    uint32_t head = p->runqhead.load(std::memory_order_acquire);
    uint32_t tail = p->runqtail.load(std::memory_order_acquire);
    uint32_t n = tail - head;
    n = n - n / 2;
    if (n == 0) {
      if (steal_runnext) {
        G* next = p->runnext.load(std::memory_order_acquire);
        if (next != nullptr) {
          // The owner may be about to run it (it just readied it and is
          // about to park); back off briefly as Go does, then try.
          if (p->status.load(std::memory_order_relaxed) == PStatus::kRunning) os::usleep(3);
          if (!p->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acq_rel)) continue;
          batch[batch_head % kRunqSize] = next;
          return 1;
        }
      }
      return 0;
    }
    if (n > kRunqSize / 2) continue;  // inconsistent read of head and tail
    for (uint32_t i = 0; i < n; i++)
      batch[(batch_head + i) % kRunqSize] = p->runq[(head + i) % kRunqSize].load(std::memory_order_relaxed);
    if (p->runqhead.compare_exchange_strong(head, head + n, std::memory_order_release)) return n;
  }
}

G* runq_steal(P* p, P* victim, bool steal_runnext) {
  uint32_t tail = p->runqtail.load(std::memory_order_relaxed);
  // Steal into our own ring's free space (we are its owner, so it is ours).
  G* tmp[kRunqSize];
  uint32_t n = runq_grab(victim, tmp, 0, steal_runnext);
  if (n == 0) return nullptr;
  n--;
  G* g = tmp[n % kRunqSize];
  if (n == 0) return g;
  uint32_t head = p->runqhead.load(std::memory_order_acquire);
  if (tail - head + n >= kRunqSize) fatal("runq_steal: local queue overflow");
  for (uint32_t i = 0; i < n; i++) p->runq[(tail + i) % kRunqSize].store(tmp[i], std::memory_order_relaxed);
  p->runqtail.store(tail + n, std::memory_order_release);
  return g;
}

}  // namespace gmp
