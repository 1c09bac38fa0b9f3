// lock.cpp — see lock.h.
#include "runtime/lock.h"

#include <cerrno>

#include "runtime/os.h"

namespace gmp {

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
  if (key_.exchange(1, std::memory_order_release) == 0) os::futex_wake(addr_of(key_), 1);
}

void Note::sleep() {
  while (key_.load(std::memory_order_acquire) == 0) os::futex_wait(addr_of(key_), 0, nullptr);
}

bool Note::sleep_for(int64_t ns) {
  int64_t deadline = os::nanotime() + ns;
  while (key_.load(std::memory_order_acquire) == 0) {
    int64_t left = deadline - os::nanotime();
    if (left <= 0) return false;
    timespec ts{time_t(left / 1000000000), long(left % 1000000000)};
    os::futex_wait(addr_of(key_), 0, &ts);
  }
  return true;
}

}  // namespace gmp
