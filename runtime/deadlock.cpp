// deadlock.cpp — the deadlock detector (after Go's proc.go:checkdead).
//
// The program is deadlocked when no G can ever run again without help from
// outside the runtime's view. We say so when all of these hold at once:
//   1. every P is idle, no M spins, the global run queue and every local run
//      queue are empty, and no M is blocked in the poller (sched.lastpoll);
//   2. no timer is armed on any P (a sleep or a timed wait will end) and no
//      G waits on an fd (netpoll_waiters: I/O can arrive);
//   3. every M is idle: on sched.midle, or locked to a G that is parked or
//      dead (M0 while main waits). An M that is not idle runs user code or a
//      blocking call — "user code is a syscall" (sched.cpp) — and may wake
//      anyone, as Go's checkdead counts such Ms as running;
//   4. every G is parked with a synchronization WaitReason (mutex, cond,
//      rwlock, semaphore, barrier, once, join, futex) or is dead, and at least
//      one is parked — except that a G parked on a semaphore while the
//      program has a handler installed for an asynchronous signal (any
//      signal but the synchronous faults) is not blocked for good: sem_post
//      is async-signal-safe, and the handler may run on any signal from
//      outside (a parent's kill, a terminal's SIGINT) and post it, or call
//      _exit. The other objects cannot be released from a handler (their
//      calls are not async-signal-safe). Before this rule a forked child
//      waiting in sem_wait for its parent's SIGTERM was reported.
// Go checks all of this under sched.lock, which every transition takes. Ours
// do not (run queues and G status are lock-free), so the check is a
// snapshot validated twice: conditions 1-3 are read before and after the G
// scan, and so is the sum of M.ticks (one tick per G started or resumed on
// an M). A G readied during the scan is then either still queued (1 fails),
// held by a non-idle M (3 fails) or already resumed (the tick sum moved).
// The one window left is a G readied by a thread the runtime does not know
// (a signal handler on a foreign thread) between our status read and its
// queue insertion: the report may then be wrong, which is why by default it
// is only a report and the program keeps waiting, as native code would.
//
//   5. no interval timer (alarm, setitimer) is armed, and the process has no
//      kernel thread besides our Ms and sysmon: a thread the runtime does not
//      know (glibc's SIGEV_THREAD timer helper, a raw clone) may wake a G.
// A signal handler may still wake a G (a POSIX timer's SIGEV_SIGNAL, kill
// from outside), which is the other reason the report is only a report.
#include "runtime/deadlock.h"

#include "runtime/dump.h"
#include "runtime/log.h"
#include "runtime/netpoll.h"
#include "runtime/options.h"
#include "runtime/os.h"
#include "runtime/rawlog.h"
#include "runtime/sched_internal.h"
#include "runtime/signal.h"
#include "runtime/stats.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/time.h>

namespace gmp {

namespace {

std::atomic<bool> g_reported{false};  // set once, by the M that reports

bool sync_reason(WaitReason r) {
  switch (r) {
    case WaitReason::kMutex:
    case WaitReason::kCond:
    case WaitReason::kRwlock:
    case WaitReason::kSem:
    case WaitReason::kBarrier:
    case WaitReason::kOnce:
    case WaitReason::kJoin:
    case WaitReason::kFutex:
      return true;
    default:
      return false;
  }
}

// quiet: conditions 1 and 2, lock-free.
bool quiet() {
  if (sched.npidle.load(std::memory_order_seq_cst) != sched.gomaxprocs) return false;
  if (sched.nmspinning.load(std::memory_order_seq_cst) != 0) return false;
  if (sched.runqsize.load(std::memory_order_seq_cst) != 0) return false;
  if (sched.lastpoll.load(std::memory_order_seq_cst) == 0) return false;
  if (netpoll_waiters() != 0) return false;
  for (int i = 0; i < sched.gomaxprocs; i++) {
    P* p = sched.allp[i];
    if (p->timer0.load(std::memory_order_acquire) != 0 || !runq_empty(p)) return false;
  }
  return true;
}

// all_ms_idle: condition 3. sched.lock must be held (midle, nmidle, mcount).
bool all_ms_idle() {
  int32_t busy = sched.mcount - sched.nmidle;
  for (M* m = m_list(); m && busy > 0; m = m->alllink) {
    G* lg = m->lockedg;
    if (lg == nullptr) continue;
    GStatus s = lg->status.load(std::memory_order_acquire);
    if (s != GStatus::kWaiting && s != GStatus::kDead) continue;
    bool listed = false;
    for (M* i = sched.midle; i && !listed; i = i->schedlink) listed = i == m;
    if (!listed) busy--;  // parked with its locked G, off the idle list
  }
  return busy <= 0;
}

bool settled() {
  if (!quiet()) return false;
  Guard<Lock> l(sched.lock);
  return all_ms_idle();
}

uint64_t tick_sum() {
  uint64_t n = 0;
  for (M* m = m_list(); m; m = m->alllink) n += m->ticks.load(std::memory_order_acquire);
  return n;
}

// all_gs_blocked: condition 4.
bool all_gs_blocked() {
  bool ok = true;
  int blocked = 0;
  bool handler = sig_async_handler();
  g_foreach([&](G* g) {
    if (!ok || g->is_g0) return;
    GStatus s = g->status.load(std::memory_order_acquire);
    if (s == GStatus::kIdle || s == GStatus::kDead) return;
    if (handler && s == GStatus::kWaiting && g->wait_reason == WaitReason::kSem) {
      ok = false;  // a handler may post it (condition 4)
      return;
    }
    if (s == GStatus::kWaiting && sync_reason(g->wait_reason))
      blocked++;
    else
      ok = false;
  });
  return ok && blocked > 0;
}

// outside_wakers: condition 5 fails.
bool outside_wakers() {
  struct { long interval_s, interval_us, value_s, value_us; } it{};
  if (os::syscall6(SYS_getitimer, ITIMER_REAL, long(&it)) == 0 && (it.value_s || it.value_us)) return true;
  int ours = 1;  // sysmon
  for (M* m = m_list(); m; m = m->alllink)
    if (!m->dead.load(std::memory_order_acquire)) ours++;
  int fd = int(os::syscall6(SYS_openat, AT_FDCWD, long("/proc/self/task"), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd < 0) return false;
  int tasks = 0;
  char buf[2048];
  for (;;) {
    long n = os::syscall6(SYS_getdents64, fd, long(buf), sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<struct dirent64*>(buf + off);
      off += d->d_reclen;
      if (d->d_name[0] >= '0' && d->d_name[0] <= '9') tasks++;
    }
  }
  os::close(fd);
  return tasks > ours;
}

}  // namespace

void deadlock_check() {
  int mode = options().deadlock;
  if (mode == kDeadlockOff || g_reported.load(std::memory_order_relaxed)) return;
  if (!quiet()) return;  // the common case: a few loads
  uint64_t ticks = tick_sum();
  if (!settled() || !all_gs_blocked() || !settled() || tick_sum() != ticks) return;
  if (outside_wakers()) return;
  if (g_reported.exchange(true, std::memory_order_acq_rel)) return;

  GMP_LOGF(kLogInfo, "all green threads are asleep - deadlock! (dump on stderr)");
  rawlog("libgmp: all green threads are asleep - deadlock!\n\n");
  dump_all(DumpWhy::kDeadlock, nullptr);
  if (mode == kDeadlockExit) {
    stats_write();
    log_drain();  // the report reaches GMP_LOG_FILE before the process ends
    os::exit_group(2);
  }
  rawlog("libgmp: the program keeps waiting, as it would natively "
         "(GMP_DEBUG=deadlock=exit makes this fatal)\n");
}

}  // namespace gmp
