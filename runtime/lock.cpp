// lock.cpp — see lock.h.
#include "runtime/lock.h"

#include <cerrno>

#include "runtime/os.h"

namespace gmp {

__thread int tls_nosig;

static const uint32_t* addr_of(const std::atomic<uint32_t>& a) {
  return reinterpret_cast<const uint32_t*>(&a);
}

void Lock::lock_slow() {
  // Spin briefly: runtime critical sections are short.
  for (int i = 0; i < 100; i++) {
    uint32_t c = 0;
    if (state_.load(std::memory_order_relaxed) == 0 &&
        state_.compare_exchange_weak(c, 1, std::memory_order_acquire))
      return;
    __builtin_ia32_pause();
  }
  while (state_.exchange(2, std::memory_order_acquire) != 0) os::futex_wait(addr_of(state_), 2, nullptr);
}

void Lock::unlock_slow() { os::futex_wake(addr_of(state_), 1); }

void SpinLock::yield() { os::sched_yield(); }

void Note::wakeup() {
  if (key_.exchange(1, std::memory_order_acq_rel) == 2) os::futex_wake(addr_of(key_), 1);
}

bool Note::spin(int spins) {
  for (int i = 0; i < spins; i++) {
    if (key_.load(std::memory_order_acquire) == 1) return true;
    __builtin_ia32_pause();
  }
  return key_.load(std::memory_order_acquire) == 1;
}

void Note::spin_sleep(int spins) {
  if (spin(spins)) return;
  for (;;) {
    uint32_t k = 0;
    if (!key_.compare_exchange_strong(k, 2, std::memory_order_acq_rel) && k == 1) return;
    os::futex_wait(addr_of(key_), 2, nullptr);
    if (key_.load(std::memory_order_acquire) == 1) return;
  }
}

bool Note::sleep_for(int64_t ns) {
  int64_t deadline = os::nanotime() + ns;
  for (;;) {
    uint32_t k = 0;
    if (!key_.compare_exchange_strong(k, 2, std::memory_order_acq_rel) && k == 1) return true;
    int64_t left = deadline - os::nanotime();
    if (left <= 0) {
      // Give up: disarm unless a wakeup raced in.
      k = 2;
      return !key_.compare_exchange_strong(k, 0, std::memory_order_acq_rel);
    }
    timespec ts{time_t(left / 1000000000), long(left % 1000000000)};
    os::futex_wait(addr_of(key_), 2, &ts);
  }
}

}  // namespace gmp
