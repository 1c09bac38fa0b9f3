// hooks/syscall.cpp — syscall(2) itself, for the calls programs make raw.
//
// libstdc++ builds std::atomic::wait, std::counting_semaphore, std::latch,
// std::barrier and std::future on syscall(SYS_futex, ...), with the shared
// (not FUTEX_PRIVATE_FLAG) forms even for process-private memory. FUTEX_WAIT
// and FUTEX_WAKE (and their _BITSET forms with the match-any mask) go to the
// green futex: a G parks; a caller that is not a G sleeps in the kernel, and a
// wake from anyone reaches both. A shared-form wake is also passed to the
// kernel, so a waiter in another process still wakes. Known limit: a G
// waiting on a futex in MAP_SHARED memory is not woken by another process.
// Every other syscall passes through.
#include <linux/futex.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstdarg>
#include <climits>
#include <cstdint>

#include "hooks/hook.h"
#include "runtime/futex.h"
#include "runtime/kthread.h"
#include "runtime/os.h"
#include "runtime/signal.h"
#include "runtime/sync.h"
#include "runtime/thread.h"

using namespace gmp;

namespace {

// kPassThrough: futex_call does not handle this call; syscall() forwards it.
constexpr long kPassThrough = LONG_MIN;

long futex_call(uint32_t* uaddr, int op, uint32_t val, const timespec* ts, uint32_t val3) {
  int cmd = op & FUTEX_CMD_MASK;
  bool bitset = cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAKE_BITSET;
  if (bitset && val3 != FUTEX_BITSET_MATCH_ANY) return kPassThrough;
  if (cmd == FUTEX_WAKE || cmd == FUTEX_WAKE_BITSET) {
    int want = int(val) <= 0 ? (bitset ? INT32_MAX : 0) : int(val);
    if (want == 0) return 0;
    long woken = futex_wake(uaddr, want);
    if (!(op & FUTEX_PRIVATE_FLAG) && woken < want) {
      long k = real::syscall(SYS_futex, uaddr, FUTEX_WAKE, want - woken, 0, 0, 0);
      if (k > 0) woken += k;
    }
    return woken;
  }
  // WAIT: relative CLOCK_MONOTONIC timeout; WAIT_BITSET: absolute, on
  // CLOCK_REALTIME if FUTEX_CLOCK_REALTIME is set, else CLOCK_MONOTONIC.
  int64_t deadline = 0;
  if (ts) {
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000) return -EINVAL;
    if (bitset) {
      clockid_t clk = (op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
      int e = deadline_from(clk, ts, &deadline);
      if (e == ETIMEDOUT) return -ETIMEDOUT;
      if (e) return -e;
    } else {
      deadline = os::nanotime() + int64_t(ts->tv_sec) * 1000000000 + ts->tv_nsec;
      if (deadline == 0) deadline = 1;
    }
  }
  int r = futex_wait(uaddr, val, deadline, WaitReason::kFutex);
  return r ? -r : 0;
}

// sched_call: a scheduling call on a green thread (kt_target), as the
// kernel answers it (-errno); kPassThrough for the kernel's own.
long sched_call(long n, long a1, long a2, long a3) {
  if (n != SYS_sched_setaffinity && n != SYS_sched_getaffinity && n != SYS_sched_setscheduler &&
      n != SYS_sched_getscheduler && n != SYS_sched_setparam && n != SYS_sched_getparam)
    return kPassThrough;
  G* g = kt_target(pid_t(a1));
  if (g == nullptr) {
    if (n == SYS_sched_setaffinity || n == SYS_sched_setscheduler || n == SYS_sched_setparam) kt_note_kernel_change();
    return kPassThrough;
  }
  int policy, prio;
  switch (n) {
    case SYS_sched_setaffinity:
      return -kt_set_affinity(g, size_t(a2), reinterpret_cast<const cpu_set_t*>(a3));
    case SYS_sched_getaffinity:
      return kt_get_affinity_raw(g, size_t(a2), reinterpret_cast<cpu_set_t*>(a3));
    case SYS_sched_setscheduler: {
      auto* p = reinterpret_cast<const sched_param*>(a3);
      if (p == nullptr || int(a2) < 0) return -EINVAL;
      return -kt_set_sched(g, int(a2), p->sched_priority);
    }
    case SYS_sched_setparam: {
      auto* p = reinterpret_cast<const sched_param*>(a2);
      if (p == nullptr) return -EINVAL;
      return -kt_set_sched(g, -1, p->sched_priority);
    }
    case SYS_sched_getscheduler:
      kt_get_sched(g, &policy, &prio);
      return policy;
    default: {  // SYS_sched_getparam
      auto* p = reinterpret_cast<sched_param*>(a2);
      if (p == nullptr) return -EINVAL;
      kt_get_sched(g, &policy, &prio);
      *p = sched_param{};
      p->sched_priority = prio;
      return 0;
    }
  }
}

}  // namespace

GMP_HOOK long syscall(long n, ...) noexcept {
  va_list ap;
  va_start(ap, n);
  long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
  long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
  va_end(ap);
  // gettid and thread-directed kills speak in green-thread identities, as
  // the gettid() hook does: a G's tid is not a kernel task.
  if (n == SYS_gettid && runtime_started()) {
    G* g = getg();
    if (g != nullptr && !g->is_g0) return thread_tid(g);
  }
  if ((n == SYS_tgkill || n == SYS_tkill) && runtime_started()) {
    pid_t tid = pid_t(n == SYS_tgkill ? a2 : a1);
    int sig = int(n == SYS_tgkill ? a3 : a2);
    if ((n == SYS_tkill || pid_t(a1) == os::getpid()) && tid > 0) {
      if (G* g = g_of_tid(tid)) {
        int e = sig_kill_g(g, sig, nullptr);
        if (e) {
          errno = e;
          return -1;
        }
        return 0;
      }
    }
  }
  // The scheduling calls on a green thread's identity (0: the caller), as
  // their libc wrappers (hooks/thread.cpp): libnuma and others call them raw.
  if (runtime_started()) {
    if (long r = sched_call(n, a1, a2, a3); r != kPassThrough) {
      if (r < 0) {
        errno = int(-r);
        return -1;
      }
      return r;
    }
  }
  if (n == SYS_futex && runtime_started()) {
    int cmd = int(a2) & FUTEX_CMD_MASK;
    if (cmd == FUTEX_WAIT || cmd == FUTEX_WAKE || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAKE_BITSET) {
      long r = futex_call(reinterpret_cast<uint32_t*>(a1), int(a2), uint32_t(a3),
                          reinterpret_cast<const timespec*>(a4), uint32_t(a6));
      if (r != kPassThrough) {
        if (r < 0) {
          errno = int(-r);
          return -1;
        }
        return r;
      }
    }
  }
  return real::syscall(n, a1, a2, a3, a4, a5, a6);
}
