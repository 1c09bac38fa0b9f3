// sched.cpp — the G/M/P scheduler (after Go's runtime/proc.go).
//
// Glossary
//   G - a green thread: one pthread of the program, with its own stack.
//   M - a kernel thread. Its native stack is g0, where this file's scheduler
//       code runs. An M needs a P to run Gs.
//   P - a processor: the right to run Gs, plus a local run queue and timers.
//       There are exactly GOMAXPROCS Ps, so at most GOMAXPROCS Ms run Gs.
//
// Switching. A G never switches to another G directly. It switches to its M's
// g0 (mcall), leaving an "after-switch" action in the M (park: release the
// lock that guards its wait record; yield: requeue it; exit: free it). g0 runs
// the action only once the G's context is saved, so nobody can resume a G that
// is still on its own stack. Then g0 picks the next G (find_runnable) and
// jumps to it (execute).
//
// User code is a syscall. We cannot preempt arbitrary C code, so while a G runs
// user code its P is in state Syscall: the M owns it, but a monitor may take
// it away, exactly as from a G blocked in a system call. Every runtime entry
// from a hook takes the P back with one CAS (enter); if the CAS fails the P
// is gone and the M carries on without one (a readied G goes to the global
// queue; a parking G leaves its M to find a P or go idle). Every return to user
// code stores Syscall (leave).
//
// Worker thread parking/unparking. We must keep enough Ms running to use the
// Ps, without waking a kernel thread for every readied G. As in Go, rejected:
// (1) central state under one lock (does not scale); (2) direct handoff of a
// readied G to an idle M (kills locality, costs a wakeup per G); (3) wake an M
// on every ready (most wake to find nothing). Chosen: we wake an additional M
// when we submit work if (1) there is an idle P and (2) no M is "spinning"
// (looking for work with a P in hand). A spinning M that finds work stops
// spinning and wakes another spinner (reset_spinning), so a burst of work
// fans out one M at a time. At most half the busy Ps spin.
//
// Delicate dance (the race between submitting work and an M going idle):
//   submitter: 1. put G on a run queue  2. (seq_cst) 3. read nmspinning; if 0,
//              wakep.
//   spinner:   1. drop spinning: nmspinning-- (seq_cst)  2. re-check every run
//              queue; if one has work, take an idle P and spin again.
// Either the submitter sees nmspinning > 0 (and the spinner's re-check sees
// its G), or the spinner has stopped and the submitter's wakep starts an M.
// needspinning closes the last gap: wakep that finds no idle P asks the next
// M that is about to release its P to spin instead.
//
// Timers live in per-P heaps (timer.cpp). An M with nothing to run blocks in
// netpoll until the earliest timer of any P; only one M at a time does so
// (sched.lastpoll == 0 while it does); the others park on their note.
//
// The main G (G1) runs main() on the program's original thread and stack and,
// by default, stays on that thread (M0): it is "locked" to M0 as Go locks the
// main goroutine during init. When G1 blocks, M0 hands its P off and sleeps;
// whoever dequeues G1 hands its own P to M0 (start_locked_m).
#include "runtime/sched.h"

#include <cerrno>
#include <cstring>
#include <sys/syscall.h>

#include "preload/real.h"
#include "runtime/deadlock.h"
#include "runtime/dump.h"
#include "runtime/log.h"
#include "runtime/kthread.h"
#include "runtime/netpoll.h"
#include "runtime/options.h"
#include "runtime/os.h"
#include "runtime/rawlog.h"
#include "runtime/sched_internal.h"
#include "runtime/signal.h"
#include "runtime/stats.h"
#include "runtime/thread.h"
#include "runtime/tls.h"

namespace gmp {

Sched sched;

////////////////////////////////////////////////////////////////////////////
// The current-G slot
////////////////////////////////////////////////////////////////////////////

// tls_g is the one piece of runtime state reached through TLS: the G running
// on this kernel thread (a pthread's G, or the M's g0), or null for a thread
// the runtime does not know. Everything else derives from it: M = g->m,
// P = g->m->p. Written only by the M that switches (execute, mstart, start).
static __thread G* tls_g;

__attribute__((noinline)) G* getg() {
  G* g;
  // Read through an asm barrier so the load is never hoisted above a switch.
  asm volatile("" ::: "memory");
  g = tls_g;
  return g;
}

G** current_g_slot() { return &tls_g; }

__attribute__((noinline)) static void set_g(G* g) {
  asm volatile("" ::: "memory");
  tls_g = g;
}

static std::atomic<bool> g_started{false};
bool runtime_started() { return g_started.load(std::memory_order_acquire); }

size_t default_stack_size() { return options().stack_size; }

////////////////////////////////////////////////////////////////////////////
// Idle lists (sched.lock held)
////////////////////////////////////////////////////////////////////////////

static std::atomic<uint32_t> g_needspinning{0};

// kSliceNs: how long a chain of Gs readying each other (runnext) may keep a
// P before the others get their turn (Go's forcePreemptNS).
constexpr int64_t kSliceNs = 10 * 1000 * 1000;

static void pidle_put(P* p) {
  p->status.store(PStatus::kIdle, std::memory_order_release);
  p->m = nullptr;
  p->link = sched.pidle;
  sched.pidle = p;
  sched.npidle.fetch_add(1, std::memory_order_seq_cst);
}

static P* pidle_get() {
  P* p = sched.pidle;
  if (p) {
    sched.pidle = p->link;
    sched.npidle.fetch_sub(1, std::memory_order_seq_cst);
  }
  return p;
}

static void mput(M* m) {
  m->schedlink = sched.midle;
  sched.midle = m;
  sched.nmidle++;
}

static M* mget() {
  M* m = sched.midle;
  if (m) {
    sched.midle = m->schedlink;
    sched.nmidle--;
  }
  return m;
}

////////////////////////////////////////////////////////////////////////////
// Global run queue
////////////////////////////////////////////////////////////////////////////

// globrunq_append_locked puts g at the tail: in the ring while it has room
// and the overflow list is empty, else at the end of the list.
static void globrunq_append_locked(G* g) {
  if (sched.runqhead == nullptr && sched.ringtail - sched.ringhead < Sched::kRingSize) {
    sched.ring[sched.ringtail++ % Sched::kRingSize] = g;
    return;
  }
  g->schedlink = nullptr;
  if (sched.runqtail)
    sched.runqtail->schedlink = g;
  else
    sched.runqhead = g;
  sched.runqtail = g;
}

void globrunq_put_locked(G* g) {
  globrunq_append_locked(g);
  sched.runqsize.fetch_add(1, std::memory_order_seq_cst);
}

// globrunq_put_batch: a schedlink list of n Gs, warm (just linked by the
// caller), so walking it here is cheap.
void globrunq_put_batch(G* head, G* tail, uint32_t n) {
  Guard<Lock> l(sched.lock);
  tail->schedlink = nullptr;
  while (head) {
    G* next = head->schedlink;
    globrunq_append_locked(head);
    head = next;
  }
  sched.runqsize.fetch_add(n, std::memory_order_seq_cst);
}

// globrunq_pop_locked takes the head; a G from the ring keeps a stale
// schedlink (nobody reads it: every list that uses it is built afresh).
G* globrunq_pop_locked() {
  G* g;
  if (sched.ringtail != sched.ringhead) {
    g = sched.ring[sched.ringhead++ % Sched::kRingSize];
  } else {
    g = sched.runqhead;
    if (g == nullptr) return nullptr;
    sched.runqhead = g->schedlink;
    if (!sched.runqhead) sched.runqtail = nullptr;
  }
  sched.runqsize.fetch_sub(1, std::memory_order_relaxed);
  return g;
}

G* globrunq_get_locked(P* p, uint32_t max) {
  uint32_t size = sched.runqsize.load(std::memory_order_relaxed);
  if (size == 0) return nullptr;
  uint32_t n = size / sched.gomaxprocs + 1;
  if (n > size) n = size;
  if (max > 0 && n > max) n = max;
  if (n > kRunqSize / 2) n = kRunqSize / 2;
  G* g = globrunq_pop_locked();
  for (uint32_t i = 1; i < n; i++) runq_put(p, globrunq_pop_locked(), false);
  return g;
}

////////////////////////////////////////////////////////////////////////////
// P ownership
////////////////////////////////////////////////////////////////////////////

static void acquirep(M* m, P* p) {
  m->p = p;
  p->m = m;
  // A P may have been idle for long, with sysmon asleep: a G run without
  // a find_runnable (exitsyscall, a locked G handed this P) must not stamp
  // a park from a stale clock (park, P.clock).
  p->clock = os::nanotime();
  p->status.store(PStatus::kRunning, std::memory_order_release);
  sysmon_wake();  // cheap unless sysmon is in its deep sleep
}

static P* releasep(M* m) {
  P* p = m->p;
  m->p = nullptr;
  p->m = nullptr;
  return p;
}

// enter takes the M's P back from Syscall to Running ("user code is a
// syscall"). Returns the P, or null if it was taken away meanwhile. *took is
// set when this call did the Syscall -> Running transition, i.e. the caller
// must leave() before returning to user code.
static P* enter(M* m, bool* took) {
  *took = false;
  P* p = m->p;
  if (p == nullptr) return nullptr;
  PStatus s = PStatus::kSyscall;
  if (p->status.compare_exchange_strong(s, PStatus::kRunning, std::memory_order_acq_rel)) {
    p->m = m;
    *took = true;
    return p;
  }
  if (s == PStatus::kRunning && p->m == m) return p;  // already in the runtime
  m->p = nullptr;  // lost it
  return nullptr;
}

// leave hands the P back to Syscall state before returning to user code.
static void leave(M* m) {
  if (P* p = m->p) p->status.store(PStatus::kSyscall, std::memory_order_release);
}

////////////////////////////////////////////////////////////////////////////
// Ms
////////////////////////////////////////////////////////////////////////////

static void schedule(M* m) __attribute__((noreturn));

static void* mstart(void* arg) {
  M* m = static_cast<M*>(arg);
  sig_m_start(m);
  set_g(m->g0);
  m->tcb = tls_tp();
  m->tid = os::gettid();
  real::pthread_getcpuclockid(real::pthread_self(), &m->cpuclock);
  acquirep(m, m->nextp);
  m->nextp = nullptr;
  schedule(m);
}

static G* new_g0(M* m) {
  G* g0 = g_alloc();
  if (!g0) fatal("cannot allocate g0");
  g0->is_g0 = true;
  g0->goid = 0;
  g0->m = m;
  g0->status.store(GStatus::kRunning, std::memory_order_relaxed);
  return g0;
}

// Every M ever made, newest first (Ms never exit); for sysmon and traces.
static std::atomic<M*> g_allm{nullptr};
M* m_list() { return g_allm.load(std::memory_order_acquire); }

static M* alloc_m() {
  void* mem = os::mmap_anon(sizeof(M), false);
  if (!mem) fatal("out of memory allocating an M");
  M* m = new (mem) M();
  m->g0 = new_g0(m);
  M* head = g_allm.load(std::memory_order_relaxed);
  do {
    m->alllink = head;
  } while (!g_allm.compare_exchange_weak(head, m, std::memory_order_release));
  return m;
}

// newm starts a kernel thread that will run with P p.
static void newm(P* p, bool spinning) {
  M* m = alloc_m();
  {
    Guard<Lock> l(sched.lock);
    if (sched.mcount >= options().max_threads)
      fatal("program exceeds %ld-thread limit (GMP_MAX_THREADS)", (long)options().max_threads);
    sched.mcount++;
    m->id = sched.mnext++;
  }
  m->rand = 0x9e3779b97f4a7c15ull * (m->id + 1);
  GMP_LOGF(kLogDebug, "M%d created (P%d)", m->id, p ? p->id : -1);
  m->spinning = spinning;
  m->nextp = p;
  newm_thread(m, true);
}

// g_newm_req: Ms whose kernel thread sysmon is asked to make (newm_thread);
// linked through schedlink. Pushed by anyone, taken whole by sysmon.
static std::atomic<M*> g_newm_req{nullptr};

// mlist_push pushes m on a lock-free list of Ms linked through schedlink
// (g_newm_req, g_retired: Ms on no other list); the taker exchanges the
// whole list out (acquire).
static void mlist_push(std::atomic<M*>& list, M* m) {
  M* head = list.load(std::memory_order_relaxed);
  do {
    m->schedlink = head;
  } while (!list.compare_exchange_weak(head, m, std::memory_order_release, std::memory_order_relaxed));
}

// newm_thread makes m's kernel thread, which starts with P m->nextp. A new
// thread inherits the calling one's affinity and policy, and glibc applies
// an explicit pthread_attr only after the clone: a thread made by one that
// does not carry the defaults (a locked G's M, main's) would be listed in
// /proc with the caller's mask and policy for a moment (with an
// unprivileged SCHED_IDLE caller, until the kernel refuses the defaults,
// starved all the while; natively no such thread exists). So when the
// caller does not carry them (kt_thread_attr, kthread.cpp) sysmon, which
// does, makes the thread (may_delegate). Only without a sysmon, or on
// sysmon itself, is the thread made here asking for the defaults in its
// attr, and when the kernel refuses them (sysmon is as main left it:
// SCHED_IDLE) it inherits ours (docs/compatibility.md).
void newm_thread(M* m, bool may_delegate) {
  P* p = m->nextp;
  bool spinning = m->spinning;
  pthread_attr_t attr;
  auto init_attr = [&] {
    real::pthread_attr_init(&attr);
    real::pthread_attr_setstacksize(&attr, 1 << 20);
    real::pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  };
  init_attr();
  bool asked = kt_thread_attr(&attr);
  if (asked && may_delegate && sysmon_started()) {
    real::pthread_attr_destroy(&attr);
    GMP_LOGF(kLogDebug, "M%d: this thread does not carry the defaults; sysmon makes its kernel thread", m->id);
    mlist_push(g_newm_req, m);
    sysmon_kick();
    return;
  }
  // glibc's pthread_create reads THREAD_SELF: run it on this kernel
  // thread's own TCB, not on the calling G's.
  void* tp = tls_tp();
  G* cg = getg();
  M* cm = tls_enabled() && cg && !cg->is_g0 ? cg->m : nullptr;
  bool swap = cm && cm->tcb && tp != cm->tcb;
  auto create = [&] {
    if (swap) tls_set_tp(cm->tcb);
    int err = real::pthread_create(&m->thread, &attr, mstart, m);
    // EAGAIN is transient: the kernel refuses new threads while the process
    // is exec'ing (a fork child on its way to exec) or at a task limit. Try
    // a few times; then give the P back and let the running Ms do the work.
    for (int i = 0; err == EAGAIN && i < 3; i++) {
      os::usleep(1000);
      err = real::pthread_create(&m->thread, &attr, mstart, m);
    }
    if (swap) tls_set_tp(tp);
    return err;
  };
  int err = create();
  if (err == EPERM && asked) {  // the defaults were refused: it inherits ours (docs/compatibility.md)
    real::pthread_attr_destroy(&attr);
    init_attr();
    err = create();
  }
  real::pthread_attr_destroy(&attr);
  if (err == 0) sig_wrap_glibc();
  if (err == EAGAIN) {
    GMP_LOGF(kLogDebug, "cannot create a kernel thread (EAGAIN); continuing with %d", sched.mcount - 1);
    if (spinning) sched.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
    Guard<Lock> l(sched.lock);
    sched.mcount--;
    if (p) pidle_put(p);
    return;
  }
  if (err != 0) fatal("cannot create a kernel thread (pthread_create: %s)", strerror(err));
}

void newm_requests() {
  if (g_newm_req.load(std::memory_order_relaxed) == nullptr) return;
  M* m = g_newm_req.exchange(nullptr, std::memory_order_acquire);
  while (m) {
    M* next = m->schedlink;
    m->schedlink = nullptr;
    newm_thread(m, false);
    m = next;
  }
}

// kHandoffSpins bounds how long (pause loops, ~10-40 us) an M that just gave
// its P to the locked main thread polls for the P to come back before it
// sleeps in the kernel: main <-> worker hand-offs are usually that quick.
constexpr int kHandoffSpins = 2000;

// kIdleReapNs: an M idle this long exits if another M is idle too. Go never
// frees Ms; we do, so a burst of blocking calls (each retake may start an M)
// does not leave kernel threads behind for the life of the program.
constexpr int64_t kIdleReapNs = 100 * 1000 * 1000;

// mexit ends an idle M's kernel thread (the M struct stays on the all-M
// list, marked dead). Runs on its g0, holding no P.
[[noreturn]] static void mexit(M* m) {
  m->dead.store(true, std::memory_order_release);
  real::pthread_exit(nullptr);
  __builtin_unreachable();
}

// stopm parks the M on the idle list until startm hands it a P.
static void stopm(M* m, int spins = 0) {
  {
    Guard<Lock> l(sched.lock);
    mput(m);
  }
  deadlock_check();
  if (m != sched.m0 && !m->park.spin(spins)) {
    while (!m->park.sleep_for(kIdleReapNs)) {
      // Idle for a while: leave if we are still on the idle list and not
      // alone. (No Guard: mexit's thread exit unwinds this frame.)
      sched.lock.lock();
      if (sched.nmidle <= 1) {
        sched.lock.unlock();
        continue;
      }
      M** pp = &sched.midle;
      while (*pp && *pp != m) pp = &(*pp)->schedlink;
      if (*pp != m) {  // startm took us: its wakeup is on the way
        sched.lock.unlock();
        break;
      }
      *pp = m->schedlink;
      sched.nmidle--;
      GMP_LOGF(kLogDebug, "M%d idle for 100 ms: its kernel thread exits", m->id);
      sched.mcount--;
      sched.lock.unlock();
      mexit(m);
    }
    m->park.sleep();  // returns at once unless startm's wakeup is still coming
  } else {
    m->park.spin_sleep(spins);
  }
  m->park.clear();
  acquirep(m, m->nextp);
  m->nextp = nullptr;
}

// startm runs some M with P p (or an idle P if p is null). spinning says the
// caller already counted the new M in nmspinning.
static void startm(P* p, bool spinning) {
  M* nm;
  {
    Guard<Lock> l(sched.lock);
    if (p == nullptr) {
      p = pidle_get();
      if (p == nullptr) {
        if (spinning) sched.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
        return;
      }
    }
    nm = mget();
  }
  if (nm == nullptr) {
    newm(p, spinning);
    return;
  }
  nm->spinning = spinning;
  nm->nextp = p;
  nm->park.wakeup();
}

// wakep tries to add one more spinning M (see "Worker thread parking").
void wakep() {
  int32_t z = 0;
  if (sched.nmspinning.load(std::memory_order_seq_cst) != 0 ||
      !sched.nmspinning.compare_exchange_strong(z, 1, std::memory_order_seq_cst))
    return;
  P* p;
  {
    Guard<Lock> l(sched.lock);
    p = pidle_get();
    if (p == nullptr) g_needspinning.store(1, std::memory_order_seq_cst);
  }
  if (p == nullptr) {
    sched.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
    return;
  }
  startm(p, true);
}

static void become_spinning(M* m) {
  m->spinning = true;
  sched.nmspinning.fetch_add(1, std::memory_order_seq_cst);
  g_needspinning.store(0, std::memory_order_relaxed);
}

static void reset_spinning(M* m) {
  m->spinning = false;
  sched.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
  wakep();
}

// wake_netpoller makes sure someone will notice a timer at `when`.
static void wake_netpoller(int64_t when) {
  std::atomic_thread_fence(std::memory_order_seq_cst);  // timer0 store before the loads below
  if (sched.lastpoll.load(std::memory_order_seq_cst) == 0) {
    int64_t until = sched.poll_until.load(std::memory_order_seq_cst);
    if (until == 0 || until > when) netpoll_break();
  } else {
    wakep();
  }
}

// handoffp gives away p (released by an M that is about to block or sleep).
void handoffp(P* p) {
  stats_add(kStatHandoffs);
  if (!runq_empty(p) || sched.runqsize.load(std::memory_order_seq_cst) != 0) {
    startm(p, false);
    return;
  }
  int32_t z = 0;
  if (sched.nmspinning.load() + sched.npidle.load() == 0 &&
      sched.nmspinning.compare_exchange_strong(z, 1, std::memory_order_seq_cst)) {
    startm(p, true);
    return;
  }
  sched.lock.lock();
  if (sched.runqsize.load(std::memory_order_relaxed) != 0) {
    sched.lock.unlock();
    startm(p, false);
    return;
  }
  // The last running P, and nobody is in the poller: someone must wait for
  // timers (and, later, fds).
  if (sched.npidle.load() == sched.gomaxprocs - 1 && sched.lastpoll.load() != 0) {
    sched.lock.unlock();
    startm(p, false);
    return;
  }
  int64_t when = p->timer0.load(std::memory_order_acquire);
  pidle_put(p);
  sched.lock.unlock();
  if (when != 0) wake_netpoller(when);
}

////////////////////////////////////////////////////////////////////////////
// Finding work
////////////////////////////////////////////////////////////////////////////

static uint32_t fastrand(M* m) {
  m->rand ^= m->rand << 13;
  m->rand ^= m->rand >> 7;
  m->rand ^= m->rand << 17;
  return uint32_t(m->rand >> 11);
}

static G* steal_work(M* m, int64_t now, int64_t* poll_until, bool* ran_timers) {
  P* p = m->p;
  int n = sched.gomaxprocs;
  for (int round = 0; round < 4; round++) {
    bool last = round == 3;
    uint32_t start = fastrand(m) % n;
    for (int i = 0; i < n; i++) {
      P* v = sched.allp[(start + i) % n];
      if (v == p) continue;
      if (last && v->timer0.load(std::memory_order_acquire) != 0) {
        int64_t before = v->timer0.load(std::memory_order_acquire);
        int64_t next = check_timers(v, now);  // readied Gs land on our P
        if (before != 0 && before <= now) *ran_timers = true;
        if (next != 0 && (*poll_until == 0 || next < *poll_until)) *poll_until = next;
        bool inherit;
        if (G* g = runq_get(p, &inherit)) return g;
      }
      if (v->status.load(std::memory_order_acquire) != PStatus::kIdle)
        if (G* g = runq_steal(p, v, last)) return g;
    }
  }
  return nullptr;
}

// inject_list makes a schedlink list of n Gs runnable. Without a P (p null:
// sysmon, an M that found no idle P) they all go on the global queue and
// idle Ps get Ms. With one, as Go's injectglist: one G per idle P goes on the
// global queue (and that many Ms start), the rest on p's own queue, where
// they stay near the M that polled them instead of all contending for the
// scheduler lock and migrating — as far as it has room; what does not fit
// goes to the global tail, never through runq_put's overflow, which would
// move p's older half behind them.
void inject_list(G* list, int n, P* p) {
  if (!list) return;
  for (G* g = list; g; g = g->schedlink) g->status.store(GStatus::kRunnable, std::memory_order_release);
  int nglob = n;
  if (p != nullptr) {
    nglob = int(sched.npidle.load(std::memory_order_seq_cst));
    if (nglob > n) nglob = n;
  }
  G* rest = list;
  if (nglob > 0) {
    G* tail = list;
    for (int i = 1; i < nglob; i++) tail = tail->schedlink;
    rest = tail->schedlink;
    tail->schedlink = nullptr;
    globrunq_put_batch(list, tail, uint32_t(nglob));
    for (int i = 0; i < nglob && sched.npidle.load() > 0; i++) startm(nullptr, false);
  }
  for (uint32_t room = p ? kRunqSize - runq_size(p) : 0; rest && room > 0; room--) {
    G* g = rest;
    rest = g->schedlink;
    g->schedlink = nullptr;
    runq_put(p, g, false);
  }
  if (rest) {  // the list is warm: walking it for its tail costs no misses
    G* tail = rest;
    uint32_t k = 1;
    for (; tail->schedlink; tail = tail->schedlink) k++;
    globrunq_put_batch(rest, tail, k);
  }
}

// find_runnable returns a G to run, blocking (and releasing the P) while
// there is none. m holds a P on entry and on return. *nowp: the clock as of
// the last look (execute starts the G's time slice from it).
static G* find_runnable(M* m, bool* inherit, int64_t* nowp) {
top:
  P* p = m->p;
  *inherit = false;
  int64_t now = os::nanotime();
  *nowp = now;
  p->clock = now;
  int64_t poll_until = check_timers(p, now);

  // A runnext chain (Gs readying each other) inherits one time slice; once
  // it is older than kSliceNs the chain ends, as Go's preemption ends it:
  // the runnext G goes behind the queued ones and the global queue gets a
  // look, so a ping-pong pair cannot starve the others.
  bool expired = now - p->slice_start > kSliceNs;
  if (expired) {
    G* next = p->runnext.load(std::memory_order_relaxed);
    if (next != nullptr && p->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acquire))
      runq_put(p, next, false);
  }
  // Fairness: every 61st schedule look at the global queue first.
  if ((expired || p->schedtick.load(std::memory_order_relaxed) % 61 == 0) &&
      sched.runqsize.load(std::memory_order_relaxed) > 0) {
    Guard<Lock> l(sched.lock);
    if (G* g = globrunq_get_locked(p, 1)) return g;
  }
  // A read parked on the drained hint a while ago, and nobody has polled
  // since: its data may be waiting behind an unharvested event.
  if (int64_t s = sched.skip_since.load(std::memory_order_relaxed);
      s != 0 && now - s > kDrainedPollNs && sched.lastpoll.load() != 0 &&
      sched.skip_since.compare_exchange_strong(s, 0, std::memory_order_relaxed)) {
    // Behind the work already queued, which the global queue is part of:
    // on this P's queue (inject_list: as far as it has room) only while
    // nothing waits globally, else all at the global tail. Gs put ahead of
    // the global queue every millisecond starved it (echo p99 at 8000
    // connections, P=1: 131 -> 522 ms); sending them all there made every
    // batch a cold walk back (design.md §15).
    int n;
    if (G* list = netpoll(0, &n)) {
      stats_add(kStatNetpollWakeups, n);
      inject_list(list, n, sched.runqsize.load(std::memory_order_relaxed) == 0 ? p : nullptr);
    }
  }
  if (G* g = runq_get(p, inherit)) return g;
  if (sched.runqsize.load(std::memory_order_relaxed) > 0) {
    Guard<Lock> l(sched.lock);
    if (G* g = globrunq_get_locked(p, 0)) return g;
  }
  if (netpoll_waiters() > 0 && sched.lastpoll.load() != 0) {
    int n;
    if (G* list = netpoll(0, &n)) {
      stats_add(kStatNetpollWakeups, n);
      G* g = list;
      inject_list(g->schedlink, n - 1, p);
      return g;
    }
  }

  // Spin: steal from other Ps, if not too many Ms are already spinning.
  if (m->spinning || 2 * sched.nmspinning.load() < sched.gomaxprocs - sched.npidle.load()) {
    if (!m->spinning) become_spinning(m);
    bool ran_timers = false;
    if (G* g = steal_work(m, now, &poll_until, &ran_timers)) return g;
    if (ran_timers) goto top;
  }

  // Nothing to do: release the P.
  sched.lock.lock();
  if (G* g = globrunq_get_locked(p, 0)) {
    sched.lock.unlock();
    return g;
  }
  if (!m->spinning && g_needspinning.load(std::memory_order_seq_cst) == 1) {
    become_spinning(m);
    sched.lock.unlock();
    goto top;
  }
  releasep(m);
  pidle_put(p);
  sched.lock.unlock();

  bool was_spinning = m->spinning;
  if (m->spinning) {
    // Delicate dance: stop spinning, then look at every queue once more.
    m->spinning = false;
    sched.nmspinning.fetch_sub(1, std::memory_order_seq_cst);
    // The global queue first: a G queued there while we were still counted
    // as spinning had its wakep skipped on our account.
    {
      sched.lock.lock();
      if (sched.runqsize.load(std::memory_order_relaxed) != 0) {
        if (P* np = pidle_get()) {
          acquirep(m, np);
          G* g = globrunq_get_locked(np, 0);
          sched.lock.unlock();
          become_spinning(m);
          return g;
        }
      }
      sched.lock.unlock();
    }
    for (int i = 0; i < sched.gomaxprocs; i++) {
      P* v = sched.allp[i];
      if (!runq_empty(v)) {
        P* np;
        {
          Guard<Lock> l(sched.lock);
          np = pidle_get();
        }
        if (np) {
          acquirep(m, np);
          become_spinning(m);
          goto top;
        }
        break;
      }
    }
  }

  // The next timer of any P bounds the poller's sleep.
  poll_until = 0;
  for (int i = 0; i < sched.gomaxprocs; i++) {
    int64_t w = sched.allp[i]->timer0.load(std::memory_order_acquire);
    if (w != 0 && (poll_until == 0 || w < poll_until)) poll_until = w;
  }

  if ((poll_until != 0 || netpoll_waiters() > 0) && sched.lastpoll.exchange(0) != 0) {
    sched.poll_until.store(poll_until, std::memory_order_seq_cst);
    int64_t delay = -1;
    if (poll_until != 0) {
      now = os::nanotime();
      delay = poll_until > now ? poll_until - now : 0;
    }
    int n;
    G* list = netpoll(delay, &n);
    stats_add(kStatNetpollWakeups, n);
    sched.poll_until.store(0, std::memory_order_seq_cst);
    *nowp = os::nanotime();
    sched.lastpoll.store(*nowp, std::memory_order_seq_cst);
    P* np;
    {
      Guard<Lock> l(sched.lock);
      np = pidle_get();
    }
    if (np == nullptr) {
      inject_list(list, n, nullptr);
    } else {
      acquirep(m, np);
      if (was_spinning) become_spinning(m);
      if (list) {
        G* g = list;
        inject_list(g->schedlink, n - 1, np);
        return g;
      }
      goto top;
    }
  } else if (poll_until != 0) {
    int64_t until = sched.poll_until.load(std::memory_order_seq_cst);
    if (until == 0 || until > poll_until) netpoll_break();
  }
  stopm(m);
  goto top;
}

////////////////////////////////////////////////////////////////////////////
// Switching
////////////////////////////////////////////////////////////////////////////

// after_switch runs on g0 once g is off its stack.
static void after_switch(M* m, G* g, ctx::Context gctx) {
  g->ctx = gctx;
  m->curg = nullptr;
  if (!stack_canary_ok(g->stack))
    fatal("stack overflow in thread %lu (G%lu): the canary below its %zu-byte stack was overwritten; "
          "raise GMP_STACK_SIZE or the thread's stack size attribute",
          (unsigned long)g->goid, (unsigned long)g->goid, g->stack.size);
  auto fn = m->after_fn;
  void* arg = m->after_arg;
  m->after_fn = nullptr;
  fn(g, arg);
}

// execute runs g on m (which holds a P) until g switches back to g0. now:
// a recent clock reading (0: read it), the start of g's time slice.
static void execute(M* m, G* g, bool inherit, int64_t now) {
  P* p = m->p;
  g->status.store(GStatus::kRunning, std::memory_order_release);
  g->m = m;
  m->curg = g;
  if (!inherit) {
    p->schedtick.fetch_add(1, std::memory_order_relaxed);
    p->slice_start = now ? now : os::nanotime();
  }
  m->ticks.fetch_add(1, std::memory_order_relaxed);
  stats_add(kStatContextSwitches);
  // The G runs on its own TLS block (tls.h); g0 on the M's. G1 shares M0's
  // block, so only the current-G slot changes for it.
  sig_switch_in(m, g);
  bool own_tls = g->tcb != nullptr && g->tcb != m->tcb;
  if (own_tls) {
    tls_switch_in(m->tcb, g->tcb);
    tls_set_slot(g->tcb, g);
    tls_set_tp(g->tcb);
  } else {
    set_g(g);
  }
  runq_prefetch(p);
  ctx::Transfer t = ctx::jump(g->ctx, m);
  if (own_tls) {
    tls_set_tp(m->tcb);
    tls_switch_out(m->tcb, g->tcb);
  }
  set_g(m->g0);
  after_switch(m, static_cast<G*>(t.data), t.fctx);
}

// stop_locked_m: m's locked G is not runnable; give the P away and sleep
// until someone hands us the G together with a P.
static void stop_locked_m(M* m) {
  if (m->p) handoffp(releasep(m));
  m->park.spin_sleep(kHandoffSpins);
  m->park.clear();
  acquirep(m, m->nextp);
  m->nextp = nullptr;
}

// start_locked_m: g is locked to another M; hand it our P and go idle.
static void start_locked_m(M* m, G* g) {
  M* lm = g->lockedm;
  P* p = releasep(m);
  lm->nextp = p;
  lm->park.wakeup();
  stopm(m, kHandoffSpins);
}

////////////////////////////////////////////////////////////////////////////
// Retiring
////////////////////////////////////////////////////////////////////////////

// Retiring. An M whose G exited with an affinity or policy the kernel will
// not let it undo (M.retire, kthread.cpp: an unprivileged SCHED_IDLE) must
// not run another G, so its kernel thread exits. Natively that kernel
// thread and the thread are one, and pthread_join returns when the kernel,
// ending it, clears its tid (CLONE_CHILD_CLEARTID): the thread has left
// user space for good and leaves /proc/self/task within the same kernel
// exit. Publishing the G's exit from g0, as for any other G, let the joiner
// run while this kernel thread still had its scheduler exit and glibc's
// thread exit ahead of it — in SCHED_IDLE, which any other load on the CPUs
// starves for milliseconds — listed in /proc with the dead thread's policy
// meanwhile (thread_affinity2 counted two SCHED_IDLE tasks where native has
// one in 2-4 runs out of 75 under load). Approaches rejected: keeping the M
// parked instead of exiting (it would stay listed for good); publishing
// just before pthread_exit (glibc's exit path still runs in user space
// after it, as starved). So the kernel's own notice is the signal:
//   1. finish_exit (thread.cpp) frees the G's stack and TCB as for any G
//      but, on an M that will retire, leaves the G in M.exit_g unpublished
//      (mretire_keep_exit); it stays Running to everyone else.
//   2. mretire hands off the P, stores a nonzero M.exit_tid, and makes it
//      the kernel thread's clear-child-tid address (set_tid_address; glibc
//      had its struct pthread's tid there), then pushes the M on g_retired
//      (release), kicks sysmon, and ends the thread with glibc's
//      pthread_exit.
//   3. The kernel, ending the thread, writes 0 to M.exit_tid: after the
//      thread's last user instruction, at the point where glibc's join
//      returns natively.
//   4. sysmon (mretire_reap, at each tick: while g_retired is not empty the
//      tick starts again at 20 us, grows to 1 ms at most and sysmon does not
//      sleep deeply) sees 0 (acquire), clears the tid in glibc's struct
//      pthread (tls_thread_gone: glibc neither reuses nor frees that stack
//      before) and publishes the G's exit (thread_exit_publish).
// Without the glibc contract (tls_contract_ok) or a sysmon the exit is
// published at once, and the kernel thread may then outlive the join. A
// fork child has none of these kernel threads: sched_fork_child clears
// their glibc tids and empties g_retired (their Gs stayed in the parent).

// g_retired: retired Ms whose G's exit waits for their kernel thread to
// end; linked through schedlink (such an M is on no other list). Pushed by
// mretire, taken whole and re-pushed by sysmon (mretire_reap).
static std::atomic<M*> g_retired{nullptr};

bool mretire_keep_exit(G* g) {
  M* m = g->m;
  if (!m->retire || m == sched.m0 || m->lockedg != nullptr) return false;  // it will not retire (schedule)
  if (!tls_contract_ok() || !sysmon_started()) return false;
  m->exit_g = g;
  return true;
}

bool mretire_reap() {
  if (g_retired.load(std::memory_order_relaxed) == nullptr) return false;
  M* m = g_retired.exchange(nullptr, std::memory_order_acquire);
  while (m) {
    M* next = m->schedlink;
    if (m->exit_tid.load(std::memory_order_acquire) != 0) {
      mlist_push(g_retired, m);  // still on its way out
    } else {
      m->schedlink = nullptr;
      G* g = m->exit_g;
      m->exit_g = nullptr;
      tls_thread_gone(reinterpret_cast<void*>(m->thread), m->tid);
      GMP_LOGF(kLogDebug, "M%d's kernel thread is gone: G%lu's exit is published", m->id, (unsigned long)g->goid);
      thread_exit_publish(g);
    }
    m = next;
  }
  return g_retired.load(std::memory_order_relaxed) != nullptr;
}

// mretire ends an M whose kernel thread keeps a G's attributes
// (M.retire): its P goes to another M; the G that exited here, if the M
// kept it, is published when the kernel thread is gone (steps 2-4 above).
// Runs on its g0.
[[noreturn]] static void mretire(M* m) {
  if (m->p) handoffp(releasep(m));
  {
    Guard<Lock> l(sched.lock);
    sched.mcount--;
  }
  GMP_LOGF(kLogDebug, "M%d retires", m->id);
  if (m->exit_g) {
    m->exit_tid.store(m->tid, std::memory_order_relaxed);
    os::syscall6(SYS_set_tid_address, long(&m->exit_tid));
    mlist_push(g_retired, m);
    sysmon_kick();
  }
  mexit(m);
}

static void schedule(M* m) {
  for (;;) {
    if (__builtin_expect(m->retire, 0) && m->lockedg == nullptr && m != sched.m0) mretire(m);
    if (m->lockedg) {
      G* lg = m->lockedg;
      // Never run lg on sight: when it is Runnable it sits in some run queue,
      // and whoever dequeues it hands it to us with a P (start_locked_m).
      stop_locked_m(m);
      execute(m, lg, false, 0);
      continue;
    }
    if (m->p == nullptr) stopm(m);
    bool inherit;
    int64_t now;
    G* g = find_runnable(m, &inherit, &now);
    if (m->spinning) reset_spinning(m);
    if (g->lockedm && g->lockedm != m) {
      start_locked_m(m, g);
      continue;
    }
    execute(m, g, inherit, now);
  }
}

// mcall switches from the current G to its M's g0, which runs fn(g, arg)
// once g is off its stack. Returns when g is resumed (maybe on another M).
static void mcall(G* g, void (*fn)(G*, void*), void* arg) {
  M* m = g->m;
  m->after_fn = fn;
  m->after_arg = arg;
  ctx::Transfer t = ctx::jump(m->g0ctx, g);
  M* nm = static_cast<M*>(t.data);
  nm->g0ctx = t.fctx;
}

// g0_entry: first entry into M0's g0 (M0's g0 has its own stack because G1
// owns the original one).
static void g0_entry(ctx::Transfer t) {
  G* g = static_cast<G*>(t.data);
  M* m = g->m;
  set_g(m->g0);
  after_switch(m, g, t.fctx);
  schedule(m);
}

// g_entry: first entry into a new G. t.data is the M that runs it.
static void g_entry(ctx::Transfer t) {
  M* m = static_cast<M*>(t.data);
  m->g0ctx = t.fctx;
  G* g = getg();
  leave(m);
  thread_main(g);  // never returns
  fatal("thread_main returned");
}

void prepare_context(G* g) { g->ctx = ctx::make(g->stack.top(), g->stack.size, g_entry); }

////////////////////////////////////////////////////////////////////////////
// The API
////////////////////////////////////////////////////////////////////////////

struct ParkArgs {
  void (*unlock)(G*, void*);
  void* arg;
  int nosig;  // runtime locks handed to g0 with the unlock callback (lock.h)
};

static void park_m(G* g, void* a) {
  auto* pa = static_cast<ParkArgs*>(a);
  g->status.store(GStatus::kWaiting, std::memory_order_release);
  tls_nosig += pa->nosig;  // g0 (the M's thread pointer) now holds them
  if (pa->unlock) pa->unlock(g, pa->arg);
}

void park(WaitReason r, void (*unlock)(G*, void*), void* arg) {
  G* g = getg();
  M* m = g->m;
  bool took;
  P* p = enter(m, &took);
  g->wait_reason = r;
  // The wait's start, for the dump (seconds): the later of this P's last
  // schedule or acquisition and sysmon's last round, which bound it from
  // below to within a sysmon period (10 ms at most while a P runs; sysmon
  // sleeps deeply only when every P is idle); a clock read per park cost
  // ~3% of a request's user time in the echo server. park_seq tells the
  // dump that the G moved.
  int64_t since = sched.sysmon_now.load(std::memory_order_relaxed);
  if (p != nullptr && p->clock > since) since = p->clock;
  g->wait_since = since != 0 ? since : os::nanotime();
  g->park_seq++;
  stats_park(r);
  // Locks the callback releases are counted on this G's thread pointer;
  // from here to the switch we run only runtime code, where no handler runs.
  ParkArgs pa{unlock, arg, tls_nosig};
  tls_nosig = 0;
  mcall(g, park_m, &pa);
  g->wait_reason = WaitReason::kNone;
  if (g->fd_waiting) netpoll_waiter_resumed(g, g->m->p);  // the P is Running: ours
  leave(g->m);
  if (__builtin_expect(g->kt_pending.load(std::memory_order_relaxed) != 0, 0)) kt_apply(g);
}

// globrunq_put_wake queues g globally from a context without a P and makes
// sure an M will look: with every P idle nobody else would (Go queues
// globally only after pidleget failed; wakep covers the same race).
static void globrunq_put_wake(G* g) {
  {
    Guard<Lock> l(sched.lock);
    globrunq_put_locked(g);
  }
  wakep();
}

void ready(G* g) {
  G* cur = getg();
  GStatus s = GStatus::kWaiting;
  if (!g->status.compare_exchange_strong(s, GStatus::kRunnable, std::memory_order_acq_rel))
    fatal("ready: G%lu is not waiting (status %u)", (unsigned long)g->goid, (unsigned)s);
  if (cur != nullptr) {
    M* m = cur->m;
    bool took = false;
    P* p = cur->is_g0 ? m->p : enter(m, &took);  // g0 already holds its P Running
    if (p != nullptr) {
      runq_put(p, g, true);
      if (took) leave(m);
      wakep();
      return;
    }
  }
  globrunq_put_wake(g);
}

static void yield_m(G* g, void*) {
  g->status.store(GStatus::kRunnable, std::memory_order_release);
  M* m = g->m;
  if (m->p)
    runq_put(m->p, g, false);
  else
    globrunq_put_wake(g);
}

void yield() {
  G* g = getg();
  bool took;
  enter(g->m, &took);
  g->wait_reason = WaitReason::kYield;
  stats_add(kStatYields);
  mcall(g, yield_m, nullptr);
  g->wait_reason = WaitReason::kNone;
  leave(g->m);
}

void spawn(G* g) {
  sysmon_start();  // after fork(), the child's first thread starts one
  stats_spawn(g);
  sig_spawn(g);
  g->status.store(GStatus::kRunnable, std::memory_order_release);
  G* cur = getg();
  P* p = nullptr;
  bool took = false;
  if (cur && !cur->is_g0) p = enter(cur->m, &took);
  if (p) {
    runq_put(p, g, true);
    if (took) leave(cur->m);
    wakep();
  } else {
    globrunq_put_wake(g);
  }
}

void goexit(void (*finish)(G*, void*), void* arg) {
  G* g = getg();
  bool took;
  enter(g->m, &took);
  stats_exit(g);
  sig_exit(g);
  mcall(g, finish, arg);
  fatal("goexit: a dead G was resumed");
}

G* entersyscall() {
  if (!runtime_started()) return nullptr;
  G* g = getg();
  if (g == nullptr || g->is_g0) return nullptr;
  sysmon_start();  // no-op unless a fork child has none yet
  // The P is already in state Syscall while user code runs; only note the
  // call for sysmon (a plain store: the owner is the only regular writer).
  if (P* p = g->m->p) p->syscalltick.store(p->syscalltick.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  g->status.store(GStatus::kSyscall, std::memory_order_release);
  stats_add(kStatSyscalls);
  sysmon_wake();
  return g;
}

G* entersyscallblock() {
  if (!runtime_started()) return nullptr;
  G* g = getg();
  if (g == nullptr || g->is_g0) return nullptr;
  sysmon_start();
  M* m = g->m;
  bool took;
  stats_add(kStatSyscalls);
  g->syscall_since.store(os::nanotime(), std::memory_order_relaxed);
  if (P* p = enter(m, &took)) {
    p->syscalltick.fetch_add(1, std::memory_order_relaxed);
    handoffp(releasep(m));
  }
  g->status.store(GStatus::kSyscall, std::memory_order_release);
  return g;
}

// exitsyscall_park runs on g0: no P for g; queue it globally, and the M
// (now without a P) goes idle in schedule.
static void exitsyscall_park(G* g, void*) {
  g->status.store(GStatus::kRunnable, std::memory_order_release);
  globrunq_put_wake(g);
}

void exitsyscall(G* g) {
  M* m = g->m;
  bool took;
  bool retaken_or_block = g->syscall_since.load(std::memory_order_relaxed) != 0;
  if (enter(m, &took)) {  // fast path: the P is still ours
    if (retaken_or_block) g->syscall_since.store(0, std::memory_order_relaxed);
    stats_add(kStatExitsyscallFast);
    g->status.store(GStatus::kRunning, std::memory_order_release);
    if (took) leave(m);
    return;
  }
  int saved_errno = errno;
  g->syscall_since.store(0, std::memory_order_relaxed);
  g->status.store(GStatus::kRunning, std::memory_order_release);
  P* p;
  {
    Guard<Lock> l(sched.lock);
    p = pidle_get();
  }
  if (p) {
    acquirep(m, p);
  } else {
    mcall(g, exitsyscall_park, nullptr);
  }
  leave(g->m);
  errno = saved_errno;
}

void add_timer(Timer* t) {
  G* g = getg();
  M* m = g->m;
  P* p = m->p;
  if (p == nullptr) p = sched.allp[g->goid % sched.gomaxprocs];
  if (timer_add(p, t)) wake_netpoller(t->when);
}

SchedStats sched_stats() {
  Guard<Lock> l(sched.lock);
  return SchedStats{sched.gomaxprocs, sched.mcount, sched.nmidle, sched.npidle.load(),
                    sched.nmspinning.load(), sched.runqsize.load()};
}

////////////////////////////////////////////////////////////////////////////
// Start
////////////////////////////////////////////////////////////////////////////

void runtime_start() {
  tls_init();
  kt_init();
  netpoll_init();
  sched.gomaxprocs = options().gomaxprocs;
  for (int i = 0; i < sched.gomaxprocs; i++) {
    void* mem = os::mmap_anon(sizeof(P), false);
    if (!mem) fatal("out of memory allocating a P");
    P* p = new (mem) P();
    p->id = i;
    sched.allp[i] = p;
  }

  // M0: this thread. Its g0 gets a stack of its own.
  M* m0 = alloc_m();
  sched.m0 = m0;
  m0->id = sched.mnext++;
  sched.mcount = 1;
  m0->rand = 0x2545f4914f6cdd1dull;
  m0->thread = real::pthread_self();
  m0->tid = os::gettid();
  m0->tcb = tls_tp();
  real::pthread_getcpuclockid(m0->thread, &m0->cpuclock);
  Stack g0stack;
  if (!stack_alloc(256 << 10, &g0stack)) fatal("cannot allocate the g0 stack of M0");
  m0->g0->stack = g0stack;
  m0->g0ctx = ctx::make(g0stack.top(), g0stack.size, g0_entry);

  // G1: main, on the original stack.
  G* g1 = g_alloc();
  if (!g1) fatal("cannot allocate the main G");
  g1->goid = 1;
  g1->status.store(GStatus::kRunning, std::memory_order_relaxed);
  g1->m = m0;
  if (tls_enabled()) g1->tcb = m0->tcb;
  g1->join.store(kJoinable, std::memory_order_relaxed);
  m0->curg = g1;
  if (options().lock_main) {
    g1->lockedm = m0;
    m0->lockedg = g1;
  }
  acquirep(m0, sched.allp[0]);
  {
    Guard<Lock> l(sched.lock);
    for (int i = sched.gomaxprocs - 1; i >= 1; i--) pidle_put(sched.allp[i]);
  }
  sched.lastpoll.store(os::nanotime(), std::memory_order_seq_cst);
  set_g(g1);
  stats_start();
  log_start();
  sig_init();
  dump_start();
  g_started.store(true, std::memory_order_release);
  sysmon_start();
  leave(m0);
}

////////////////////////////////////////////////////////////////////////////
// fork
////////////////////////////////////////////////////////////////////////////

void sched_fork_lock() {
  for (int i = 0; i < sched.gomaxprocs; i++) sched.allp[i]->timer_lock.lock();
  sched.lock.lock();
}

void sched_fork_unlock() {
  sched.lock.unlock();
  for (int i = sched.gomaxprocs - 1; i >= 0; i--) sched.allp[i]->timer_lock.unlock();
}

// sched_fork_child rebuilds the scheduler in a fork child, where only the
// calling thread (m) and its G (g) exist. Called with the fork locks held
// (they are released here) and the thread pointer on m's own block.
void sched_fork_child(G* g) {
  M* m = g->m;
  // Every other M and G stayed in the parent.
  for (M* o = m_list(); o; o = o->alllink)
    if (o != m) o->dead.store(true, std::memory_order_relaxed);
  g_foreach([&](G* o) {
    if (o == g || o->is_g0 || o->magic != kGMagic) return;
    GStatus st = o->status.load(std::memory_order_relaxed);
    if (st != GStatus::kIdle && st != GStatus::kDead) o->status.store(GStatus::kDead, std::memory_order_relaxed);
  });
  m->tid = os::gettid();
  m->thread = reinterpret_cast<pthread_t>(m->tcb);  // glibc's handle is its block
  real::pthread_getcpuclockid(m->thread, &m->cpuclock);
  m->spinning = false;
  m->p = nullptr;
  m->nextp = nullptr;
  if (m->lockedg != g) m->lockedg = nullptr;
  if (g->lockedm != m) g->lockedm = nullptr;
  // Ps: empty queues and timer heaps, all idle but the one we keep.
  sched.runqhead = sched.runqtail = nullptr;
  sched.ringhead = sched.ringtail = 0;
  sched.runqsize.store(0, std::memory_order_relaxed);
  sched.midle = nullptr;
  sched.nmidle = 0;
  sched.mcount = 1;
  sched.m0 = m;
  sched.pidle = nullptr;
  sched.npidle.store(0, std::memory_order_relaxed);
  sched.nmspinning.store(0, std::memory_order_relaxed);
  g_needspinning.store(0, std::memory_order_relaxed);
  g_newm_req.store(nullptr, std::memory_order_relaxed);  // their Ps are rebuilt below
  // Retired Ms' kernel threads stayed in the parent: glibc may reuse their
  // stacks here (see "Retiring").
  for (M* r = g_retired.exchange(nullptr, std::memory_order_acquire); r; r = r->schedlink)
    tls_thread_gone(reinterpret_cast<void*>(r->thread), r->tid);
  for (int i = 0; i < sched.gomaxprocs; i++) {
    P* p = sched.allp[i];
    p->runqhead.store(0, std::memory_order_relaxed);
    p->runqtail.store(0, std::memory_order_relaxed);
    p->runnext.store(nullptr, std::memory_order_relaxed);
    p->timers.len = 0;
    p->timer0.store(0, std::memory_order_relaxed);
    p->fd_waiters.store(0, std::memory_order_relaxed);  // the parent's fd waiters are not ours
    p->m = nullptr;
    p->status.store(PStatus::kIdle, std::memory_order_relaxed);
  }
  sched_fork_unlock();
  acquirep(m, sched.allp[0]);
  {
    Guard<Lock> l(sched.lock);
    for (int i = sched.gomaxprocs - 1; i >= 1; i--) pidle_put(sched.allp[i]);
  }
  sched.lastpoll.store(os::nanotime(), std::memory_order_seq_cst);
  sched.poll_until.store(0, std::memory_order_relaxed);
  netpoll_fork_child();
  // No sysmon yet: most fork children exec at once, and a thread started
  // now would race the exec (the kernel refuses to create it). spawn and
  // the blocking-call path start it when the child needs one.
  sysmon_fork_child();
  leave(m);
  GMP_LOGF(kLogDebug, "fork child %d: runtime rebuilt around M%d and G%lu", int(os::getpid()), m->id,
           (unsigned long)g->goid);
}

}  // namespace gmp
