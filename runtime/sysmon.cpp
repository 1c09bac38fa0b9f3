// sysmon.cpp — the system monitor: takes Ps away from Ms that cannot use them.
//
// sysmon is its own kernel thread with no P (after Go's proc.go:sysmon). It
// never runs Gs and never calls a hooked function. It sleeps 20 µs; after
// 1 ms without retaking anything the sleep doubles each round up to 10 ms,
// as Go's (a P that made no progress with work behind it gets one second
// look 20 µs later whatever the tick);
// when every P is idle and no trace is asked for it sleeps on a note until a
// P is acquired again (sysmon_wake).
//
// retake. Because user code is a syscall (sched.cpp), every P whose G runs
// user code or a blocking call is in state Syscall, and sysmon may take it
// with one CAS (Syscall -> Idle) and hand it off (handoffp). It does so when
// the P made no scheduling progress (schedtick and syscalltick unchanged)
// since its last look, and
//   - the G is in a known blocking call (entersyscall), or
//   - the G runs user code but its M used no CPU since the last look: the
//     M is blocked in the kernel where no hook sees it (stdio to a slow
//     pipe, syslog, a futex inside glibc) — read from the M's CPU-time
//     clock, sampled at each look — and is not merely waiting for a CPU, or
//   - the G has held the P for 10 ms (a CPU hog; it cannot be preempted, but
//     the other Gs get a P on another M);
// unless, as Go, the P has no local work, some P is idle or an M spins, and
// fewer than 10 ms have passed (then nobody is waiting for it).
//
// The M that lost its P finds out at its next runtime entry (enter fails)
// and continues without one (exitsyscall's slow path). Ms may therefore
// outnumber GOMAXPROCS for a while, exactly as in Go.
//
// sysmon also polls the network (netpoll(0)) when no M has for 10 ms, as Go
// does, so Gs woken by I/O are not stranded while every M runs user code.
//
// It makes the Ms a thread with a G's attributes cannot (newm_requests) and
// publishes the exit of a G whose M retired once that kernel thread has
// ended (mretire_reap; "Retiring" in sched.cpp): while one is on its way
// out the tick stays at 1 ms or less and there is no deep sleep.
//
// schedtrace (GMP_DEBUG=schedtrace=MS) is printed from here as Go prints it,
// and the log (GMP_LOG) is written from here: sysmon is the one thread that
// hands queued records to spdlog (see "Logging" in log.cpp).
#include <cerrno>
#include <cstring>
#include <new>

#include "preload/real.h"
#include "runtime/kthread.h"
#include "runtime/log.h"
#include "runtime/netpoll.h"
#include "runtime/options.h"
#include "runtime/os.h"
#include "runtime/rawlog.h"
#include "runtime/sched.h"
#include "runtime/sched_internal.h"
#include "runtime/signal.h"
#include "runtime/tls.h"

namespace gmp {

namespace {

// What sysmon saw of each P last time; touched by sysmon only.
struct SysmonTick {
  uint32_t schedtick = 0;
  uint32_t syscalltick = 0;
  int64_t since = 0;    // when the counters last changed
  int64_t cpu = -1;     // the owning M's CPU time then
  M* m = nullptr;       // the M whose CPU time that was
  bool second_look = false;  // a quick second look was asked since `since`
};
SysmonTick g_ticks[kMaxProcs];

Note g_sysmon_note;                 // deep sleep; woken by sysmon_wake
std::atomic<bool> g_sysmon_waiting{false};
std::atomic<bool> g_sysmon_started{false};
std::atomic<bool> g_sig_kicked{false};  // a signal was queued since sysmon last looked
int64_t g_start_time = 0;

constexpr int64_t kForcePreemptNs = 10 * 1000 * 1000;  // 10 ms
constexpr int64_t kConfirmUs = 20;  // the second look at a P that seems stuck
// The longest tick while a retired M's kernel thread is on its way out: how
// late, at most, its G's joiner learns that it is gone.
constexpr int64_t kRetiringTickUs = 1000;

std::atomic<uint64_t> g_retakes{0};

// Retake lines in the debug log are rate-limited: a program that blocks in
// the kernel all the time would otherwise log thousands a second.
constexpr int64_t kRetakeLogEveryNs = 100 * 1000 * 1000;  // at most 10 lines a second
int64_t g_last_retake_log = 0;   // when the last retake line was queued; sysmon only
uint64_t g_retakes_unlogged = 0;  // retakes since then without a line; sysmon only

int64_t cpu_ns(M* m) { return m->cpuclock == -1 ? -1 : os::clock_ns(m->cpuclock); }

// task_runnable: the kernel's view of one of our threads is state R (running
// or waiting for a CPU). An M that used no CPU for a tick but is R was only
// descheduled (the machine is oversubscribed), not blocked: taking its P
// would just add an M. Read only when the CPU clock already looks stuck.
bool task_runnable(int32_t tid) {
  char path[64], buf[256];
  rawfmt(path, sizeof path, "/proc/self/task/%d/stat", tid);
  int fd = os::open_rdonly(path);
  if (fd < 0) return false;
  long n = os::read(fd, buf, sizeof buf - 1);
  os::close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  // "pid (comm) S ...": comm may contain spaces and parentheses; the state
  // follows the last ')'.
  char* close = nullptr;
  for (char* c = buf; *c; c++)
    if (*c == ')') close = c;
  return close && close[1] == ' ' && close[2] == 'R';
}

// retake returns how many Ps it took; *confirm is set when some P looks
// stuck for the first time (no progress since the last look, its M's CPU
// clock just sampled) with work waiting: the next look should come soon.
uint32_t retake(int64_t now, bool* confirm) {
  uint32_t n = 0;
  *confirm = false;
  for (int i = 0; i < sched.gomaxprocs; i++) {
    P* p = sched.allp[i];
    SysmonTick& t = g_ticks[i];
    uint32_t st = p->schedtick.load(std::memory_order_relaxed);
    uint32_t sc = p->syscalltick.load(std::memory_order_relaxed);
    M* m = p->m;
    if (p->status.load(std::memory_order_acquire) != PStatus::kSyscall || m == nullptr) {
      t.schedtick = st;
      t.syscalltick = sc;
      t.since = now;
      t.m = nullptr;
      t.cpu = -1;
      continue;
    }
    if (st != t.schedtick || sc != t.syscalltick || m != t.m) {
      // Progress since the last look: restart the clock, and sample the M's
      // CPU clock so that the next look can already tell a blocked M.
      t.schedtick = st;
      t.syscalltick = sc;
      t.since = now;
      t.m = m;
      t.cpu = cpu_ns(m);
      t.second_look = false;
      continue;
    }
    bool work = !runq_empty(p) || sched.runqsize.load(std::memory_order_relaxed) != 0;
    G* g = m->curg;
    bool in_syscall = g != nullptr && g->status.load(std::memory_order_relaxed) == GStatus::kSyscall;
    bool stuck = in_syscall;
    int64_t held = now - t.since;
    if (!stuck) {
      int64_t c = cpu_ns(m);
      if (t.cpu < 0 || c != t.cpu) {
        // The M used CPU since the last sample (or there was none): sample
        // again; the next look tells whether it kept using it.
        t.cpu = c;
        // One quick second look per stretch without progress: a G that
        // runs user code for long (a CPU hog) must not keep sysmon at 20 µs.
        if (work && !t.second_look) *confirm = true;
        t.second_look = true;
      } else {
        // No CPU progress and not waiting for a CPU: blocked in the kernel.
        stuck = !task_runnable(m->tid);
      }
    }
    if (!stuck && held < kForcePreemptNs) continue;
    if (!work && sched.nmspinning.load() + sched.npidle.load() > 0 && held < kForcePreemptNs)
      continue;
    // For the dump: the call began no later than the last progress seen.
    // Stored before the P is taken, so that the G, which clears it once it
    // sees its P gone, clears it after this store.
    int64_t unknown = 0;
    if (in_syscall) g->syscall_since.compare_exchange_strong(unknown, t.since, std::memory_order_relaxed);
    PStatus s = PStatus::kSyscall;
    if (!p->status.compare_exchange_strong(s, PStatus::kIdle, std::memory_order_acq_rel)) {
      int64_t mine = t.since;
      if (in_syscall) g->syscall_since.compare_exchange_strong(mine, 0, std::memory_order_relaxed);
      continue;
    }
    p->syscalltick.fetch_add(1, std::memory_order_relaxed);
    g_retakes.fetch_add(1, std::memory_order_relaxed);
    if (log_on(kLogDebug)) {
      if (now - g_last_retake_log >= kRetakeLogEveryNs) {
        g_last_retake_log = now;
        GMP_LOGF(kLogDebug, "retook P%d from M%d (%s, held %ld us); %lu more retakes since the last line",
                 p->id, m->id, in_syscall ? "blocking call" : stuck ? "blocked in the kernel" : "CPU hog",
                 long(held / 1000), (unsigned long)g_retakes_unlogged);
        g_retakes_unlogged = 0;
      } else {
        g_retakes_unlogged++;
      }
    }
    handoffp(p);
    n++;
  }
  return n;
}

const char* gstatus_name(GStatus s) {
  switch (s) {
    case GStatus::kIdle: return "idle";
    case GStatus::kRunnable: return "runnable";
    case GStatus::kRunning: return "running";
    case GStatus::kSyscall: return "syscall";
    case GStatus::kWaiting: return "waiting";
    case GStatus::kDead: return "dead";
  }
  return "?";
}

// schedtrace prints Go's SCHED line (and, with detail, P/M/G lines). Reads
// are racy snapshots, as Go's are; only sched.lock is taken, briefly.
void schedtrace(bool detail, int64_t now) {
  char buf[1024];
  int32_t mcount, nmidle;
  uint32_t runq;
  {
    Guard<Lock> l(sched.lock);
    mcount = sched.mcount;
    nmidle = sched.nmidle;
    runq = sched.runqsize.load();
  }
  size_t n = rawfmt(buf, sizeof buf,
                    "SCHED %ldms: gomaxprocs=%d idleprocs=%d threads=%d spinningthreads=%d "
                    "needspinning=0 idlethreads=%d runqueue=%u [",
                    long((now - g_start_time) / 1000000), sched.gomaxprocs, sched.npidle.load(),
                    mcount + 1 /* sysmon */, sched.nmspinning.load(), nmidle, runq);
  for (int i = 0; i < sched.gomaxprocs && n < sizeof buf - 16; i++)
    n += rawfmt(buf + n, sizeof buf - n, i ? " %u" : "%u", runq_size(sched.allp[i]));
  n += rawfmt(buf + n, sizeof buf - n, "] retakes=%lu\n", (unsigned long)g_retakes.load());
  os::write(2, buf, n);
  if (!detail) return;
  for (int i = 0; i < sched.gomaxprocs; i++) {
    P* p = sched.allp[i];
    M* m = p->m;
    rawlog("  P%d: status=%u schedtick=%u syscalltick=%u m=%d runqsize=%u timer0=%ld\n", i,
           unsigned(p->status.load()), p->schedtick.load(), p->syscalltick.load(), m ? m->id : -1,
           runq_size(p), long(p->timer0.load()));
  }
  for (M* m = m_list(); m; m = m->alllink) {
    P* p = m->p;
    G* cg = m->curg;
    rawlog("  M%d: p=%d curg=%ld spinning=%s lockedg=%ld tid=%d\n", m->id, p ? p->id : -1,
           cg ? long(cg->goid) : -1L, m->spinning ? "true" : "false",
           m->lockedg ? long(m->lockedg->goid) : -1L, m->tid);
  }
  g_foreach([&](G* g) {
    GStatus s = g->status.load(std::memory_order_relaxed);
    if (g->is_g0 || g->magic != kGMagic || s == GStatus::kIdle) return;
    M* m = g->m;
    rawlog("  G%lu: status=%u(%s%s%s) m=%d lockedm=%d\n", (unsigned long)g->goid, unsigned(s),
           gstatus_name(s), s == GStatus::kWaiting ? " " : "",
           s == GStatus::kWaiting ? wait_reason_name(g->wait_reason) : "",
           (s == GStatus::kRunning || s == GStatus::kSyscall) && m ? m->id : -1,
           g->lockedm ? g->lockedm->id : -1);
  });
}

void* sysmon_main(void*) {
  const Options& o = options();
  int64_t delay_us = 20;
  int idle = 0;
  bool confirm_next = false;  // the last retake asked for a quick second look
  bool retiring = false;      // a retired M's G waits for its kernel thread to end
  int64_t last_trace = g_start_time;
  sig_sysmon_start();
  log_sysmon_start();
  for (;;) {
    if (idle == 0)
      delay_us = 20;
    else if (idle > 50)
      delay_us *= 2;
    if (delay_us > 10000) delay_us = 10000;
    int64_t sleep_us = confirm_next && delay_us > kConfirmUs ? kConfirmUs : delay_us;
    if (retiring && sleep_us > kRetiringTickUs) sleep_us = kRetiringTickUs;
    // A note, not a plain sleep: a signal for the program wakes us early.
    g_sysmon_note.sleep_for(sleep_us * 1000);
    g_sysmon_note.clear();
    g_sig_kicked.store(false, std::memory_order_seq_cst);
    newm_requests();  // Ms another thread could not make (sched.cpp: newm_thread)
    // Exits that wait for a retired M's kernel thread to end ("Retiring" in
    // sched.cpp); a new wait starts again at the 20 us tick.
    bool was_retiring = retiring;
    retiring = mretire_reap();
    if (retiring && !was_retiring) idle = 0;
    // Route the signals the trampoline queued (signal.cpp).
    bool sigwork = sig_poll();
    // Hand queued log records to spdlog (log.cpp): here, holding nothing.
    log_sysmon_tick();
    if (sigwork) idle = 0;
    int64_t now = os::nanotime();
    sched.sysmon_now.store(now, std::memory_order_relaxed);
    if (o.schedtrace_ms <= 0 && !sigwork && !retiring &&
        sched.npidle.load(std::memory_order_seq_cst) == sched.gomaxprocs) {
      // Deep sleep: nothing can need a retake until some P is acquired.
      g_sysmon_note.clear();
      g_sysmon_waiting.store(true, std::memory_order_seq_cst);
      // (log_quiet: a record posted just before g_sysmon_waiting was set
      // found no one to wake; see "Logging" in log.cpp.)
      if (sched.npidle.load(std::memory_order_seq_cst) == sched.gomaxprocs &&
          !g_sig_kicked.load(std::memory_order_seq_cst) && log_quiet())
        g_sysmon_note.sleep_for(60000000000LL);
      g_sysmon_waiting.store(false, std::memory_order_seq_cst);
      // After a real rest, start again at the 20 us tick (Go's rule on its
      // sysmon wake-up). A deep sleep shorter than the tick it replaced
      // leaves the back-off alone: a server whose Ps all go idle for a
      // moment between requests woke sysmon from it thousands of times a
      // second, each time back to the 20 us tick (measured: 2650 wake-ups
      // and 6% of a CPU at 100 echo connections, P=2, no retakes).
      if (os::nanotime() - now > delay_us * 1000) idle = 0;
      confirm_next = false;
      continue;
    }
    // Poll the network if nobody has for 10 ms (every M busy in user code):
    // readied Gs must not wait for an M to go idle.
    int64_t last = sched.lastpoll.load(std::memory_order_seq_cst);
    if (netpoll_waiters() > 0 && last != 0 && last + 10000000 < now &&
        sched.lastpoll.compare_exchange_strong(last, now, std::memory_order_seq_cst)) {
      int n;
      if (G* list = netpoll(0, &n)) inject_list(list, n, nullptr);
    }
    // Back off while nothing is retaken (Go's rule). A P that looks stuck
    // with work behind it gets one quick second look, without resetting
    // the back-off: a busy server's Ps are often caught mid-call, and
    // keeping the 20 µs tick for that cost a tenth of a CPU in wakeups.
    bool confirm;
    if (retake(now, &confirm) != 0)
      idle = 0;
    else
      idle++;
    confirm_next = confirm;
    if (o.schedtrace_ms > 0 && now - last_trace >= int64_t(o.schedtrace_ms) * 1000000) {
      last_trace = now;
      schedtrace(o.scheddetail, now);
    }
  }
  return nullptr;
}

}  // namespace

// sysmon_kick wakes sysmon for a queued signal. Async-signal-safe: the
// signal trampoline calls it.
void sysmon_kick() {
  g_sig_kicked.store(true, std::memory_order_seq_cst);
  g_sysmon_note.wakeup();
}

void sysmon_wake() {
  if (g_sysmon_waiting.load(std::memory_order_seq_cst) &&
      g_sysmon_waiting.exchange(false, std::memory_order_acq_rel))
    g_sysmon_note.wakeup();
}

uint64_t sysmon_retakes() { return g_retakes.load(std::memory_order_relaxed); }

// sysmon_fork_child: the child of fork() has no sysmon thread; the next
// sysmon_start (its first new thread or blocking call) makes one.
void sysmon_fork_child() {
  new (&g_sysmon_note) Note();
  sched.sysmon_now.store(0, std::memory_order_relaxed);  // the parent's clock: parks read it (park)
  g_sysmon_waiting.store(false);
  g_sig_kicked.store(false);
  for (auto& t : g_ticks) t = SysmonTick{};
  g_sysmon_started.store(false);
}

bool sysmon_started() { return g_sysmon_started.load(std::memory_order_acquire); }

void sysmon_start() {
  if (g_sysmon_started.load(std::memory_order_acquire) || g_sysmon_started.exchange(true)) return;
  g_start_time = os::nanotime();
  pthread_attr_t attr;
  real::pthread_attr_init(&attr);
  real::pthread_attr_setstacksize(&attr, 256 << 10);
  real::pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  // sysmon makes the Ms a kernel thread with a G's attributes cannot
  // (sched.cpp: newm_thread): it starts with the defaults.
  bool clean_attr = kt_thread_attr(&attr);
  pthread_t t;
  // glibc's pthread_create reads THREAD_SELF: when a G starts sysmon (a
  // fork child's first need), run it on the kernel thread's own TCB.
  void* tp = tls_tp();
  G* g = getg();
  M* cm = tls_enabled() && g && !g->is_g0 ? g->m : nullptr;
  bool swap = cm && cm->tcb && tp != cm->tcb;
  if (swap) tls_set_tp(cm->tcb);
  int err = real::pthread_create(&t, &attr, sysmon_main, nullptr);
  if (err == EPERM && clean_attr) {  // the kernel refuses the defaults: as we are
    real::pthread_attr_destroy(&attr);
    real::pthread_attr_init(&attr);
    real::pthread_attr_setstacksize(&attr, 256 << 10);
    real::pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    err = real::pthread_create(&t, &attr, sysmon_main, nullptr);
  }
  if (swap) tls_set_tp(tp);
  if (err == 0) sig_wrap_glibc();
  real::pthread_attr_destroy(&attr);
  if (err != 0) fatal("cannot start sysmon (pthread_create: %s)", strerror(err));
}

}  // namespace gmp
