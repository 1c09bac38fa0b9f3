// lock.h — the runtime's own locks. They never touch a hooked function, so
// they are safe anywhere in the runtime, including on g0.
//
// Lock is a futex mutex (Drepper's three-state lock) for scheduler-wide
// structures (sched.lock). SpinLock is for very short critical sections that
// never block (run-queue buckets of the wait table, timer heaps). Note is a
// one-shot wakeup an M sleeps on (Go's note): sleep until wakeup, then clear.
//
// None of these may be held across a context switch except where a comment
// says the lock is handed to g0 (park's unlock callback releases it there).
#pragma once
#include <atomic>
#include <cstdint>

namespace gmp {

// tls_nosig counts the runtime locks held by the code running on the current
// thread pointer. The signal trampoline (signal.cpp) runs a program's
// handler on the interrupted G only when it is zero: a handler may call a
// hook that takes the same lock. It is thread-local on purpose: the thread
// pointer follows the G, so the count belongs to whoever holds the locks (a
// G or an M's g0). park() moves the count of the locks it hands to g0 from
// the G to the M. Touched only by the thread itself and its signal handlers.
extern __thread int tls_nosig;
inline void nosig_inc() {
  tls_nosig++;
  std::atomic_signal_fence(std::memory_order_seq_cst);
}
inline void nosig_dec() {
  std::atomic_signal_fence(std::memory_order_seq_cst);
  tls_nosig--;
}

class Lock {
 public:
  void lock() {
    nosig_inc();
    uint32_t c = 0;
    if (state_.compare_exchange_strong(c, 1, std::memory_order_acquire)) return;
    lock_slow();
  }
  void unlock() {
    if (state_.exchange(0, std::memory_order_release) == 2) unlock_slow();
    nosig_dec();
  }

 private:
  void lock_slow();
  void unlock_slow();
  std::atomic<uint32_t> state_{0};  // 0 free, 1 held, 2 held with sleepers
};

class SpinLock {
 public:
  void lock() {
    nosig_inc();
    while (flag_.exchange(1, std::memory_order_acquire) != 0) {
      int spins = 0;
      while (flag_.load(std::memory_order_relaxed) != 0) {
        if (++spins < 64)
          __builtin_ia32_pause();
        else
          yield();
      }
    }
  }
  bool try_lock() {
    nosig_inc();
    if (flag_.exchange(1, std::memory_order_acquire) == 0) return true;
    nosig_dec();
    return false;
  }
  void unlock() {
    flag_.store(0, std::memory_order_release);
    nosig_dec();
  }

 private:
  static void yield();
  std::atomic<uint32_t> flag_{0};
};

template <class L>
class Guard {
 public:
  explicit Guard(L& l) : l_(l) { l_.lock(); }
  ~Guard() { l_.unlock(); }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  L& l_;
};

// Note: one sleeper, one waker. sleep() returns once wakeup() was called
// (possibly before sleep started); clear() re-arms it. sleep_for returns false
// on timeout. spin_sleep first polls for up to `spins` pause loops: a hand-off
// that arrives within microseconds then costs no futex syscall on either side.
// key_: 0 armed, 1 woken, 2 armed and the sleeper is (about to be) in futex.
class Note {
 public:
  void clear() { key_.store(0, std::memory_order_relaxed); }
  void wakeup();
  void sleep() { spin_sleep(0); }
  void spin_sleep(int spins);
  // spin polls for up to `spins` pause loops; true if woken meanwhile.
  bool spin(int spins);
  bool sleep_for(int64_t ns);

 private:
  std::atomic<uint32_t> key_{0};
};

}  // namespace gmp
