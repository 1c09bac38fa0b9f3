// sync.cpp — see sync.h.
//
// Layouts (x86_64, glibc 2.36; measured with a probe that dumps the bytes
// glibc's *_init functions write):
//   pthread_mutex_t  +0 lock word (0 free, 1 held, 2 held+waiters)  +4 recursion
//                    count  +8 owner id  +12 users  +16 kind: type in bits 0-1,
//                    robust 0x10, PI 0x20, PP 0x40, pshared 0x80 (glibc's).
//   pthread_cond_t   +0 sequence (futex word)  +4 waiters  +36 glibc's __wrefs:
//                    bit 0 pshared, bit 1 CLOCK_MONOTONIC (glibc's).
//   pthread_rwlock_t +0 state: bit 31 writer, low bits readers  +4 waiting
//                    writers  +8 sequence (futex word)  +12 waiters  +24 writer
//                    id  +28 pshared (glibc's)  +48 kind (glibc's).
//   pthread_barrier_t +0 arrived  +4 generation (futex word)  +8 count and
//                    +12 pshared 0x80 (glibc's).
//   sem_t            +0 value (futex word)  +4 waiters  +8 0x80 if pshared:
//                    glibc's own layout, so pshared/named ones pass through.
//   pthread_once_t   0 fresh, 1 running, 2 done.
#include "runtime/sync.h"

#include <cerrno>
#include <climits>
#include <cstdint>

#include "preload/real.h"
#include "runtime/cancel.h"
#include "runtime/futex.h"
#include "runtime/os.h"
#include "runtime/sched.h"
#include "runtime/thread.h"
#include "runtime/tls.h"

namespace gmp {

namespace {

template <class T>
inline std::atomic<uint32_t>& word(T* obj, int offset) {
  return *reinterpret_cast<std::atomic<uint32_t>*>(reinterpret_cast<char*>(obj) + offset);
}
template <class T>
inline int32_t& field(T* obj, int offset) {
  return *reinterpret_cast<int32_t*>(reinterpret_cast<char*>(obj) + offset);
}
inline const uint32_t* addr(std::atomic<uint32_t>& w) { return reinterpret_cast<const uint32_t*>(&w); }

constexpr int kMutexPassThrough = 0x10 | 0x20 | 0x40 | 0x80;
// Pass-through kinds whose owner the kernel knows by tid: robust, PI, PP.
constexpr int kMutexKernelTid = 0x10 | 0x20 | 0x40;

bool valid_clock(clockid_t c) { return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC; }

}  // namespace

int32_t self_id() {
  G* g = getg();
  if (g && !g->is_g0) return g_thread_id(g);
  return os::gettid();
}

int deadline_from(clockid_t clk, const timespec* abs, int64_t* deadline) {
  if (abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000) return EINVAL;
  if (abs->tv_sec < 0) return ETIMEDOUT;
  int64_t now = os::clock_ns(clk);
  if (now < 0) return EINVAL;
  if (abs->tv_sec > (INT64_MAX / 1000000000) - 1) {
    *deadline = 0;  // effectively forever
    return 0;
  }
  int64_t rel = int64_t(abs->tv_sec) * 1000000000 + abs->tv_nsec - now;
  if (rel <= 0) return ETIMEDOUT;
  *deadline = os::nanotime() + rel;
  return 0;
}

////////////////////////////////////////////////////////////////////////////
// Mutex
////////////////////////////////////////////////////////////////////////////

// lock_word_slow acquires the three-state lock word, parking while it is
// held. deadline 0 = none. Returns 0 or ETIMEDOUT.
static int lock_word_slow(std::atomic<uint32_t>& w, int64_t deadline, bool spin) {
  if (spin) {
    for (int i = 0; i < 100; i++) {
      uint32_t z = 0;
      if (w.load(std::memory_order_relaxed) == 0 &&
          w.compare_exchange_weak(z, 1, std::memory_order_acquire))
        return 0;
      __builtin_ia32_pause();
    }
  }
  while (w.exchange(2, std::memory_order_acquire) != 0) {
    if (futex_wait(addr(w), 2, deadline, WaitReason::kMutex) == ETIMEDOUT) {
      // Last try: the lock may have been released right at the deadline.
      uint32_t z = 0;
      if (w.compare_exchange_strong(z, 2, std::memory_order_acquire)) return 0;
      return ETIMEDOUT;
    }
  }
  return 0;
}

static int mutex_acquire(pthread_mutex_t* m, int64_t deadline, bool timed, clockid_t clk,
                         const timespec* abs) {
  auto& w = word(m, 0);
  int kind = field(m, 16);
  int type = kind & 3;
  if (type == PTHREAD_MUTEX_RECURSIVE || type == PTHREAD_MUTEX_ERRORCHECK) {
    int32_t me = self_id();
    if (field(m, 8) == me) {
      if (type == PTHREAD_MUTEX_ERRORCHECK) return EDEADLK;
      if (field(m, 4) == INT32_MAX) return EAGAIN;
      field(m, 4)++;
      return 0;
    }
    uint32_t z = 0;
    if (!w.compare_exchange_strong(z, 1, std::memory_order_acquire)) {
      if (timed) {
        int e = deadline_from(clk, abs, &deadline);
        if (e) return e;
      }
      int e = lock_word_slow(w, deadline, false);
      if (e) return e;
    }
    field(m, 8) = me;
    field(m, 4) = 1;
    field(m, 12)++;
    return 0;
  }
  uint32_t z = 0;
  if (!w.compare_exchange_strong(z, 1, std::memory_order_acquire)) {
    if (timed) {
      int e = deadline_from(clk, abs, &deadline);
      if (e) return e;
    }
    int e = lock_word_slow(w, deadline, type == PTHREAD_MUTEX_ADAPTIVE_NP);
    if (e) return e;
  }
  field(m, 12)++;
  return 0;
}

////////////////////////////////////////////////////////////////////////////
// Mutexes the kernel sees
////////////////////////////////////////////////////////////////////////////
//
// Priority-inheritance, robust and priority-protect mutexes pass through to
// glibc, and the kernel knows their owner by tid: FUTEX_LOCK_PI blocks on
// (and boosts) the task named in the lock word and FUTEX_UNLOCK_PI must come
// from it; the kernel releases a robust mutex when the task on whose robust
// list it sits dies; a priority-protect lock sets the caller's priority with
// sched_setparam(tid). A G's tid is no task, and a G may resume on another
// kernel thread after any park. So (Go's LockOSThread, used for the span of
// a lock):
//   1. Before glibc's lock runs, the G is locked to its current M (pin): from
//      then on it runs only there, and the M runs only it.
//   2. glibc runs on the M's own TCB (tls_enter_m): it records the M's real
//      tid as the owner and links a robust mutex into the M's robust list,
//      which the M registered with the kernel when it started. A blocking
//      lock is a system call (entersyscall): the P may go to another M.
//   3. A lock that fails (EBUSY, ETIMEDOUT, EDEADLK, ENOTRECOVERABLE...)
//      undoes the pin if it was the G's only one; EOWNERDEAD acquires.
//   4. Unlock, pthread_mutex_consistent and a process-shared condition wait
//      with such a mutex run on the M's TCB too; the last successful unlock
//      unpins (G.pins counts the locks held).
//   5. A G that exits still holding robust mutexes: its M lives on, so
//      mutex_owner_exit does the kernel's part (tls_robust_owner_died): each
//      gets FUTEX_OWNER_DIED, a waiter wakes, the next owner sees EOWNERDEAD.
// A process that dies or execs with such a mutex held needs nothing more:
// the kernel walks each M's robust list. A caller that is not a G calls
// glibc directly.

static bool kernel_tid_kind(pthread_mutex_t* m) { return field(m, 16) & kMutexKernelTid; }

static G* green_caller() {
  G* g = getg();
  return (g && !g->is_g0 && runtime_started()) ? g : nullptr;
}

// pin_to_m locks g to its M for one more held mutex (or kthread.cpp's
// attributes).
void pin_to_m(G* g) {
  if (g->pins++ > 0) return;
  if (g->lockedm == nullptr) {  // G1 may be locked to M0 already
    M* m = g->m;
    g->lockedm = m;
    m->lockedg = g;
    g->pinned = true;
  }
}

// unpin_from_m drops one; the last one unlocks g from its M.
void unpin_from_m(G* g) {
  if (--g->pins > 0) return;
  if (g->pinned) {
    g->m->lockedg = nullptr;
    g->lockedm = nullptr;
    g->pinned = false;
  }
}

// on_m runs call (a glibc function) on g's M's TCB; a blocking one as a
// system call. g is pinned.
template <class F>
static int on_m(G* g, bool blocking, F call) {
  G* sys = blocking ? entersyscall() : nullptr;
  void* token = tls_enter_m(g);
  int r = call();
  tls_leave_m(g, token);
  if (sys) exitsyscall(sys);
  return r;
}

// kernel_lock is steps 1-3 for one of glibc's lock functions.
template <class F>
static int kernel_lock(F call, bool blocking) {
  G* g = green_caller();
  if (g == nullptr) return call();
  pin_to_m(g);
  int r = on_m(g, blocking, call);
  if (r != 0 && r != EOWNERDEAD) unpin_from_m(g);
  return r;
}

// kernel_unlock is step 4. A G that holds none cannot own this mutex:
// glibc answers for its own TCB (EPERM).
template <class F>
static int kernel_unlock(F call) {
  G* g = green_caller();
  if (g == nullptr || g->pins == 0) return call();
  int r = on_m(g, false, call);
  if (r == 0) unpin_from_m(g);
  return r;
}

void mutex_owner_exit(G* g) {
  if (g->pins == 0) return;
  tls_robust_owner_died(g->m);
  g->pins = 1;
  unpin_from_m(g);
}

int mutex_consistent(pthread_mutex_t* m) {
  G* g = green_caller();
  if (g == nullptr || g->pins == 0) return real::pthread_mutex_consistent(m);
  return on_m(g, false, [&] { return real::pthread_mutex_consistent(m); });
}

int mutex_lock(pthread_mutex_t* m) {
  if (kernel_tid_kind(m)) return kernel_lock([&] { return real::pthread_mutex_lock(m); }, true);
  if (field(m, 16) & kMutexPassThrough) return real::pthread_mutex_lock(m);
  return mutex_acquire(m, 0, false, CLOCK_REALTIME, nullptr);
}

int mutex_timedlock(pthread_mutex_t* m, clockid_t clk, const timespec* abs, bool check_clock) {
  if (check_clock && !valid_clock(clk)) return EINVAL;
  if (field(m, 16) & kMutexPassThrough) {
    auto call = [&] {
      return check_clock ? real::pthread_mutex_clocklock(m, clk, abs) : real::pthread_mutex_timedlock(m, abs);
    };
    return kernel_tid_kind(m) ? kernel_lock(call, true) : call();
  }
  return mutex_acquire(m, 0, true, clk, abs);
}

int mutex_trylock(pthread_mutex_t* m) {
  int kind = field(m, 16);
  if (kind & kMutexKernelTid) return kernel_lock([&] { return real::pthread_mutex_trylock(m); }, false);
  if (kind & kMutexPassThrough) return real::pthread_mutex_trylock(m);
  auto& w = word(m, 0);
  int type = kind & 3;
  if (type == PTHREAD_MUTEX_RECURSIVE) {
    int32_t me = self_id();
    if (field(m, 8) == me) {
      if (field(m, 4) == INT32_MAX) return EAGAIN;
      field(m, 4)++;
      return 0;
    }
  }
  uint32_t z = 0;
  if (!w.compare_exchange_strong(z, 1, std::memory_order_acquire)) return EBUSY;
  if (type == PTHREAD_MUTEX_RECURSIVE || type == PTHREAD_MUTEX_ERRORCHECK) {
    field(m, 8) = self_id();
    field(m, 4) = 1;
  }
  field(m, 12)++;
  return 0;
}

static void release_word(std::atomic<uint32_t>& w) {
  if (w.exchange(0, std::memory_order_release) == 2) futex_wake(addr(w), 1);
}

int mutex_unlock(pthread_mutex_t* m) {
  int kind = field(m, 16);
  if (kind & kMutexKernelTid) return kernel_unlock([&] { return real::pthread_mutex_unlock(m); });
  if (kind & kMutexPassThrough) return real::pthread_mutex_unlock(m);
  int type = kind & 3;
  if (type == PTHREAD_MUTEX_RECURSIVE || type == PTHREAD_MUTEX_ERRORCHECK) {
    if (field(m, 8) != self_id() || word(m, 0).load(std::memory_order_relaxed) == 0) return EPERM;
    if (type == PTHREAD_MUTEX_RECURSIVE && --field(m, 4) != 0) return 0;
    field(m, 8) = 0;
  }
  field(m, 12)--;
  release_word(word(m, 0));
  return 0;
}

int mutex_destroy(pthread_mutex_t* m) {
  int kind = field(m, 16);
  if (kind & kMutexPassThrough) return real::pthread_mutex_destroy(m);
  if (field(m, 12) != 0) return EBUSY;
  field(m, 16) = -1;  // as glibc: a destroyed mutex is unusable
  return 0;
}

////////////////////////////////////////////////////////////////////////////
// Condition variable
////////////////////////////////////////////////////////////////////////////

static bool cond_pshared(pthread_cond_t* c) { return field(c, 36) & 1; }
static clockid_t cond_clock(pthread_cond_t* c) {
  return (field(c, 36) & 2) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

static int cond_do_wait(pthread_cond_t* c, pthread_mutex_t* m, int64_t deadline) {
  auto& seq = word(c, 0);
  auto& nwait = word(c, 4);
  nwait.fetch_add(1, std::memory_order_seq_cst);
  uint32_t s0 = seq.load(std::memory_order_seq_cst);
  int e = mutex_unlock(m);
  if (e) {
    nwait.fetch_sub(1, std::memory_order_relaxed);
    return e;
  }
  int r;
  // A signal handler interrupts the wait but never the condvar wait itself.
  do r = futex_wait(addr(seq), s0, deadline, WaitReason::kCond, true);
  while (r == EINTR);
  nwait.fetch_sub(1, std::memory_order_relaxed);
  // Re-acquire whatever happens (POSIX), without a deadline; a cancelled
  // waiter holds the mutex again when its cleanup handlers run.
  if (kernel_tid_kind(m))
    kernel_lock([&] { return real::pthread_mutex_lock(m); }, true);
  else if (field(m, 16) & kMutexPassThrough)
    real::pthread_mutex_lock(m);
  else
    mutex_acquire(m, 0, false, CLOCK_REALTIME, nullptr);
  if (r == ECANCELED) test_cancel();
  return r == ETIMEDOUT ? ETIMEDOUT : 0;
}

// shared_cond_wait: glibc's wait on a process-shared condition variable
// unlocks and relocks m itself, so a mutex the kernel sees (held: the G is
// pinned) needs the M's TCB for the whole wait.
template <class F>
static int shared_cond_wait(pthread_mutex_t* m, F call) {
  G* g = kernel_tid_kind(m) ? green_caller() : nullptr;
  if (g == nullptr || g->pins == 0) return call();
  return on_m(g, true, call);
}

int cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  test_cancel();
  if (cond_pshared(c)) return shared_cond_wait(m, [&] { return real::pthread_cond_wait(c, m); });
  return cond_do_wait(c, m, 0);
}

int cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clk, const timespec* abs) {
  test_cancel();
  if (clk >= 0 && !valid_clock(clk)) return EINVAL;
  if (cond_pshared(c))
    return shared_cond_wait(m, [&] {
      return clk >= 0 ? real::pthread_cond_clockwait(c, m, clk, abs) : real::pthread_cond_timedwait(c, m, abs);
    });
  if (clk < 0) clk = cond_clock(c);
  int64_t deadline = 0;
  int e = deadline_from(clk, abs, &deadline);
  if (e == EINVAL) return EINVAL;
  if (e == ETIMEDOUT) {
    // Like glibc: the mutex is released and re-acquired even so.
    if ((e = mutex_unlock(m)) != 0) return e;
    mutex_lock(m);
    return ETIMEDOUT;
  }
  return cond_do_wait(c, m, deadline);
}

int cond_signal(pthread_cond_t* c) {
  if (cond_pshared(c)) return real::pthread_cond_signal(c);
  word(c, 0).fetch_add(1, std::memory_order_seq_cst);
  if (word(c, 4).load(std::memory_order_seq_cst) != 0) futex_wake(addr(word(c, 0)), 1);
  return 0;
}

int cond_broadcast(pthread_cond_t* c) {
  if (cond_pshared(c)) return real::pthread_cond_broadcast(c);
  word(c, 0).fetch_add(1, std::memory_order_seq_cst);
  if (word(c, 4).load(std::memory_order_seq_cst) != 0) futex_wake(addr(word(c, 0)), INT_MAX);
  return 0;
}

int cond_destroy(pthread_cond_t* c) {
  if (cond_pshared(c)) return real::pthread_cond_destroy(c);
  return 0;
}

////////////////////////////////////////////////////////////////////////////
// Read-write lock
////////////////////////////////////////////////////////////////////////////

constexpr uint32_t kWriter = 1u << 31;

static bool rw_pshared(pthread_rwlock_t* l) { return field(l, 28) != 0; }
static bool rw_prefer_writer(pthread_rwlock_t* l) { return field(l, 48) != PTHREAD_RWLOCK_PREFER_READER_NP; }

// rw_wait sleeps until the lock's state may have changed. Returns 0 or ETIMEDOUT.
template <class Ready>
static int rw_wait(pthread_rwlock_t* l, int64_t deadline, Ready ready_now) {
  auto& seq = word(l, 8);
  auto& nwait = word(l, 12);
  nwait.fetch_add(1, std::memory_order_seq_cst);
  uint32_t s0 = seq.load(std::memory_order_seq_cst);
  int r = 0;
  if (!ready_now()) r = futex_wait(addr(seq), s0, deadline, WaitReason::kRwlock);
  nwait.fetch_sub(1, std::memory_order_relaxed);
  return r == ETIMEDOUT ? ETIMEDOUT : 0;
}

static bool try_rd(pthread_rwlock_t* l) {
  auto& st = word(l, 0);
  uint32_t s = st.load(std::memory_order_relaxed);
  for (;;) {
    if (s & kWriter) return false;
    if (rw_prefer_writer(l) && word(l, 4).load(std::memory_order_relaxed) != 0 && field(l, 48) == 2) return false;
    if (st.compare_exchange_weak(s, s + 1, std::memory_order_acquire)) return true;
  }
}

static bool try_wr(pthread_rwlock_t* l) {
  uint32_t z = 0;
  if (!word(l, 0).compare_exchange_strong(z, kWriter, std::memory_order_acquire)) return false;
  field(l, 24) = self_id();
  return true;
}

// rw_slow_start is what a blocking rdlock/wrlock does once its fast try
// failed: EDEADLK if the caller holds the write lock, else the deadline
// (0 = none). Returns 0 or the error to return.
static int rw_slow_start(pthread_rwlock_t* l, clockid_t clk, const timespec* abs, int64_t* deadline) {
  if ((word(l, 0).load() & kWriter) && field(l, 24) == self_id()) return EDEADLK;
  *deadline = 0;
  return abs ? deadline_from(clk, abs, deadline) : 0;
}

// rw_shared_lock passes a process-shared rwlock to glibc's matching call.
static int rw_shared_lock(pthread_rwlock_t* l, bool write, clockid_t clk, const timespec* abs, bool check_clock) {
  if (!abs) return write ? real::pthread_rwlock_wrlock(l) : real::pthread_rwlock_rdlock(l);
  if (check_clock)
    return write ? real::pthread_rwlock_clockwrlock(l, clk, abs) : real::pthread_rwlock_clockrdlock(l, clk, abs);
  return write ? real::pthread_rwlock_timedwrlock(l, abs) : real::pthread_rwlock_timedrdlock(l, abs);
}

int rwlock_rdlock(pthread_rwlock_t* l, clockid_t clk, const timespec* abs, bool check_clock) {
  if (check_clock && !valid_clock(clk)) return EINVAL;
  if (rw_pshared(l)) return rw_shared_lock(l, false, clk, abs, check_clock);
  if (try_rd(l)) return 0;
  int64_t deadline;
  if (int e = rw_slow_start(l, clk, abs, &deadline)) return e;
  for (;;) {
    if (try_rd(l)) return 0;
    if (rw_wait(l, deadline, [&] { return !(word(l, 0).load() & kWriter); }) == ETIMEDOUT)
      return try_rd(l) ? 0 : ETIMEDOUT;
  }
}

int rwlock_wrlock(pthread_rwlock_t* l, clockid_t clk, const timespec* abs, bool check_clock) {
  if (check_clock && !valid_clock(clk)) return EINVAL;
  if (rw_pshared(l)) return rw_shared_lock(l, true, clk, abs, check_clock);
  if (try_wr(l)) return 0;
  int64_t deadline;
  if (int e = rw_slow_start(l, clk, abs, &deadline)) return e;
  word(l, 4).fetch_add(1, std::memory_order_seq_cst);
  int r = 0;
  for (;;) {
    if (try_wr(l)) break;
    if (rw_wait(l, deadline, [&] { return word(l, 0).load() == 0; }) == ETIMEDOUT) {
      r = try_wr(l) ? 0 : ETIMEDOUT;
      break;
    }
  }
  word(l, 4).fetch_sub(1, std::memory_order_seq_cst);
  if (r == ETIMEDOUT && word(l, 12).load() != 0) {
    // Readers held back by our waiting may proceed now.
    word(l, 8).fetch_add(1, std::memory_order_seq_cst);
    futex_wake(addr(word(l, 8)), INT_MAX);
  }
  return r;
}

int rwlock_tryrdlock(pthread_rwlock_t* l) {
  if (rw_pshared(l)) return real::pthread_rwlock_tryrdlock(l);
  return try_rd(l) ? 0 : EBUSY;
}

int rwlock_trywrlock(pthread_rwlock_t* l) {
  if (rw_pshared(l)) return real::pthread_rwlock_trywrlock(l);
  return try_wr(l) ? 0 : EBUSY;
}

int rwlock_unlock(pthread_rwlock_t* l) {
  if (rw_pshared(l)) return real::pthread_rwlock_unlock(l);
  auto& st = word(l, 0);
  uint32_t s = st.load(std::memory_order_relaxed);
  if (s & kWriter) {
    field(l, 24) = 0;
    st.store(0, std::memory_order_release);
  } else if (s == 0) {
    return 0;  // not held: undefined natively; do nothing
  } else if (st.fetch_sub(1, std::memory_order_release) != 1) {
    return 0;  // other readers still hold it: nobody can proceed yet
  }
  word(l, 8).fetch_add(1, std::memory_order_seq_cst);
  if (word(l, 12).load(std::memory_order_seq_cst) != 0) futex_wake(addr(word(l, 8)), INT_MAX);
  return 0;
}

int rwlock_destroy(pthread_rwlock_t* l) {
  if (rw_pshared(l)) return real::pthread_rwlock_destroy(l);
  return 0;
}

////////////////////////////////////////////////////////////////////////////
// Barrier
////////////////////////////////////////////////////////////////////////////

int barrier_wait(pthread_barrier_t* b) {
  if (field(b, 12) != 0) return real::pthread_barrier_wait(b);
  auto& arrived = word(b, 0);
  auto& gen = word(b, 4);
  uint32_t count = uint32_t(field(b, 8));
  uint32_t g0 = gen.load(std::memory_order_acquire);
  if (arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == count) {
    arrived.store(0, std::memory_order_relaxed);
    gen.fetch_add(1, std::memory_order_seq_cst);
    futex_wake(addr(gen), INT_MAX);
    return PTHREAD_BARRIER_SERIAL_THREAD;
  }
  while (gen.load(std::memory_order_acquire) == g0) futex_wait(addr(gen), g0, 0, WaitReason::kBarrier);
  return 0;
}

int barrier_destroy(pthread_barrier_t* b) {
  if (field(b, 12) != 0) return real::pthread_barrier_destroy(b);
  return 0;
}

////////////////////////////////////////////////////////////////////////////
// Semaphore (errno convention)
////////////////////////////////////////////////////////////////////////////

static bool sem_pshared(sem_t* s) { return field(s, 8) != 0; }

static bool sem_try(std::atomic<uint32_t>& v) {
  uint32_t x = v.load(std::memory_order_relaxed);
  while (x > 0)
    if (v.compare_exchange_weak(x, x - 1, std::memory_order_acquire)) return true;
  return false;
}

int sem_wait(sem_t* s, clockid_t clk, const timespec* abs, bool check_clock) {
  test_cancel();
  if (sem_pshared(s)) {
    if (!abs) return real::sem_wait(s);
    return check_clock ? real::sem_clockwait(s, clk, abs) : real::sem_timedwait(s, abs);
  }
  if (check_clock && !valid_clock(clk)) {
    errno = EINVAL;
    return -1;
  }
  if (abs && (abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000)) {
    errno = EINVAL;
    return -1;
  }
  auto& v = word(s, 0);
  if (sem_try(v)) return 0;
  int64_t deadline = 0;
  if (abs) {
    int e = deadline_from(clk, abs, &deadline);
    if (e) {
      errno = e;
      return -1;
    }
  }
  auto& nwait = word(s, 4);
  for (;;) {
    nwait.fetch_add(1, std::memory_order_seq_cst);
    // As the kernel's futex wait under glibc: sem_wait restarts after an
    // SA_RESTART handler (-ERESTARTSYS), sem_timedwait/sem_clockwait fail
    // with EINTR after any handler (-ERESTART_RESTARTBLOCK). signal(7)
    // says neither restarts; measured here, sem_wait does.
    int r = futex_wait(addr(v), 0, deadline, WaitReason::kSem, true, abs == nullptr);
    nwait.fetch_sub(1, std::memory_order_seq_cst);
    if (r == ECANCELED) test_cancel();
    if (sem_try(v)) return 0;
    if (r == EINTR) {
      errno = EINTR;
      return -1;
    }
    if (r == ETIMEDOUT) {
      errno = ETIMEDOUT;
      return -1;
    }
  }
}

int sem_trywait(sem_t* s) {
  if (sem_pshared(s)) return real::sem_trywait(s);
  if (sem_try(word(s, 0))) return 0;
  errno = EAGAIN;
  return -1;
}

int sem_post(sem_t* s) {
  if (sem_pshared(s)) return real::sem_post(s);
  auto& v = word(s, 0);
  uint32_t x = v.load(std::memory_order_relaxed);
  do {
    if (x >= uint32_t(SEM_VALUE_MAX)) {
      errno = EOVERFLOW;
      return -1;
    }
  } while (!v.compare_exchange_weak(x, x + 1, std::memory_order_seq_cst));
  if (word(s, 4).load(std::memory_order_seq_cst) != 0) futex_wake(addr(v), 1);
  return 0;
}

int sem_getvalue(sem_t* s, int* out) {
  if (sem_pshared(s)) return real::sem_getvalue(s, out);
  *out = int(word(s, 0).load(std::memory_order_relaxed));
  return 0;
}

int sem_destroy(sem_t* s) {
  if (sem_pshared(s)) return real::sem_destroy(s);
  return 0;
}

////////////////////////////////////////////////////////////////////////////
// Once
////////////////////////////////////////////////////////////////////////////

namespace {
// OnceGuard resets a once control if init does not finish (it threw, or the
// thread exited through it), waking waiters so one of them retries — as
// glibc's cancellation handler in pthread_once does.
struct OnceGuard {
  std::atomic<uint32_t>& w;
  bool done = false;
  ~OnceGuard() {
    if (!done) {
      w.store(0, std::memory_order_release);
      futex_wake(addr(w), INT_MAX);
    }
  }
};
}  // namespace

int once(pthread_once_t* o, void (*init)()) {
  auto& w = *reinterpret_cast<std::atomic<uint32_t>*>(o);
  for (;;) {
    uint32_t v = w.load(std::memory_order_acquire);
    if (v == 2) return 0;
    if (v == 0) {
      if (!w.compare_exchange_strong(v, 1, std::memory_order_acquire)) continue;
      OnceGuard guard{w};
      init();
      guard.done = true;
      w.store(2, std::memory_order_release);
      futex_wake(addr(w), INT_MAX);
      return 0;
    }
    futex_wait(addr(w), v, 0, WaitReason::kOnce);
  }
}

}  // namespace gmp
