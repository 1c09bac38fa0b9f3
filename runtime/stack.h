// stack.h — G stacks: mmap'd, reserved lazily, pooled.
//
// A stack is one anonymous MAP_NORESERVE mapping: only touched pages cost
// memory. While the VMA budget allows (vm.max_map_count), its lowest page is a
// PROT_NONE guard page, so an overflow faults instead of corrupting memory.
// Beyond the budget a canary word sits at the lowest usable address and is
// checked at every switch away from the G; a canary detects an overflow late
// (after the damage) and cannot catch one that skips over it.
//
// Freed stacks go to a pool (protected by pool_lock). The first kHotStacks
// are kept as they are, so a thread storm recycles warm stacks with no
// syscall; the rest are MADV_DONTNEED'ed first; beyond kMaxPooled they are
// unmapped.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gmp {

struct Stack {
  char* lo = nullptr;     // lowest usable byte
  size_t size = 0;        // usable bytes: [lo, lo+size)
  char* map = nullptr;    // mapping start (guard page included); null if user-owned
  size_t map_len = 0;
  bool guarded = false;   // lowest page of the mapping is PROT_NONE
  Stack* next_free = nullptr;
  char* top() const { return lo + size; }
};

constexpr uint64_t kStackCanary = 0x6d6e7067c0ffee11ull;

// stack_alloc returns a stack of at least size bytes, or false when the
// kernel refuses the mapping.
bool stack_alloc(size_t size, Stack* out);
// stack_free returns a runtime-owned stack to the pool (no-op for user stacks).
void stack_free(Stack* s);
// stack_canary_ok is false if an unguarded stack's canary was overwritten.
// Until some runtime-owned stack is made without a guard page (the VMA
// budget ran out, or mprotect failed) every runtime stack is guarded, and
// it answers from one global flag without reading s: the switch calls it,
// and s sits on a G line a switch does not otherwise touch (g.h).
bool stack_canary_ok(const Stack& s);

// stack_pool_foreach calls fn(lo, len, arg) for every stack in the pool, with
// the pool lock held (for GMP_STATS at exit: the memory of freed stacks kept
// for reuse). fn must not allocate, block or touch the pool.
void stack_pool_foreach(void (*fn)(char* lo, size_t len, void* arg), void* arg);

// stack_fork_lock/unlock: the pool is held across fork() (fork.cpp).
void stack_fork_lock();
void stack_fork_unlock();

}  // namespace gmp
