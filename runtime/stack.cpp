// stack.cpp — see stack.h.
#include "runtime/stack.h"

#include <sys/mman.h>

#include <atomic>

#include "runtime/lock.h"
#include "runtime/os.h"

namespace gmp {

namespace {
constexpr size_t kPage = 4096;
constexpr int kHotStacks = 64;
constexpr int kMaxPooled = 1024;
// Each guarded stack is two VMAs; keep well below vm.max_map_count (65530).
constexpr int kGuardBudget = 24000;

// The pool: a LIFO of free stacks. pool_lock protects every field.
struct Pool {
  SpinLock lock;
  Stack* head = nullptr;  // stored inside the free stack itself (at its top)
  int count = 0;
};
Pool g_pool;
std::atomic<int> g_guarded{0};
std::atomic<bool> g_unguarded_seen{false};  // set once, never cleared; see stack_canary_ok
}  // namespace

static Stack* header_of(const Stack& s) {
  // The free-list record lives in the top bytes of the free stack itself.
  return reinterpret_cast<Stack*>(s.lo + s.size - sizeof(Stack));
}

bool stack_alloc(size_t size, Stack* out) {
  size = (size + kPage - 1) & ~(kPage - 1);
  {
    Guard<SpinLock> g(g_pool.lock);
    Stack** pp = &g_pool.head;
    for (int i = 0; *pp && i < 8; i++, pp = &(*pp)->next_free) {
      if ((*pp)->size == size) {
        Stack* s = *pp;
        *pp = s->next_free;
        g_pool.count--;
        *out = *s;
        out->next_free = nullptr;
        return true;
      }
    }
  }
  bool guard = g_guarded.load(std::memory_order_relaxed) < kGuardBudget;
  size_t len = size + (guard ? kPage : 0);
  char* m = static_cast<char*>(os::mmap_anon(len, true));
  if (!m) return false;
  if (guard) {
    if (os::mprotect(m, kPage, PROT_NONE) == 0)
      g_guarded.fetch_add(1, std::memory_order_relaxed);
    else
      guard = false;
  }
  out->map = m;
  out->map_len = len;
  out->guarded = guard;
  out->lo = m + (guard ? kPage : 0);
  out->size = len - (guard ? kPage : 0);
  out->next_free = nullptr;
  if (!guard) {
    *reinterpret_cast<uint64_t*>(out->lo) = kStackCanary;
    g_unguarded_seen.store(true, std::memory_order_relaxed);
  }
  return true;
}

bool stack_canary_ok(const Stack& s) {
  if (!g_unguarded_seen.load(std::memory_order_relaxed)) return true;
  return s.guarded || s.map == nullptr || *reinterpret_cast<uint64_t*>(s.lo) == kStackCanary;
}

void stack_free(Stack* s) {
  if (s->map == nullptr) return;  // user-provided stack
  bool pool;
  bool cold;
  {
    Guard<SpinLock> g(g_pool.lock);
    pool = g_pool.count < kMaxPooled;
    cold = g_pool.count >= kHotStacks;
    if (pool) g_pool.count++;  // reserve the slot
  }
  if (!pool) {
    if (s->guarded) g_guarded.fetch_sub(1, std::memory_order_relaxed);
    os::munmap(s->map, s->map_len);
    *s = Stack{};
    return;
  }
  if (cold) os::madvise_dontneed(s->lo, s->size - kPage);  // keep the header page
  if (!s->guarded) *reinterpret_cast<uint64_t*>(s->lo) = kStackCanary;
  Stack* h = header_of(*s);
  *h = *s;
  {
    Guard<SpinLock> g(g_pool.lock);
    h->next_free = g_pool.head;
    g_pool.head = h;
  }
  *s = Stack{};
}

void stack_pool_foreach(void (*fn)(char* lo, size_t len, void* arg), void* arg) {
  Guard<SpinLock> g(g_pool.lock);
  // Each record sits at the top of its own stack: [lo, lo+size) holds it.
  for (Stack* s = g_pool.head; s != nullptr; s = s->next_free) fn(s->lo, s->size, arg);
}

void stack_fork_lock() { g_pool.lock.lock(); }
void stack_fork_unlock() { g_pool.lock.unlock(); }

}  // namespace gmp
