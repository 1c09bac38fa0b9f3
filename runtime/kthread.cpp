// kthread.cpp — kernel-thread attributes of green threads (see kthread.h).
//
// Affinity and scheduling policy belong to a kernel thread, and a G runs on
// whichever M is free. A G whose attributes differ from the process's
// defaults therefore gets a kernel thread of its own: it is locked to the M
// it runs on (as a G holding a PI mutex is: sync.cpp "Mutexes the kernel
// sees", the same pin count), and that M's kernel thread gets the
// attributes. So sched_getcpu() in a G pinned to CPU 1 says 1, and a
// SCHED_FIFO G really preempts. When the attributes go back to the
// defaults, or the G exits, the M is given them back and the lock is
// dropped.
//
// The defaults. An M that runs no locked G carries the process's CPU mask
// at start (what `taskset` gave it; recorded by kt_init) and SCHED_OTHER
// priority 0. Everything that could break that is handled here:
//   - a new M needed by a kernel thread that does not carry the defaults
//     (a locked G's M, main's own thread; kt_thread_attr tells) is made by
//     sysmon, which carries them: glibc applies an explicit pthread_attr
//     only after the clone, so a thread made by the caller would show the
//     caller's mask and policy in /proc for a moment (and, from an
//     unprivileged SCHED_IDLE caller, fail after all). Only sysmon itself,
//     or a thread starting sysmon, asks for the defaults in its
//     pthread_attr (kt_thread_attr) (sched.cpp: newm_thread);
//   - an M whose G exits and which cannot get the defaults back (an
//     unprivileged thread cannot leave SCHED_IDLE) is retired: M.retire,
//     it exits instead of running another G (sched.cpp: schedule), and the
//     G's exit is published (its join returns) only once that kernel thread
//     has ended, as glibc's join waits for the kernel to clear the thread's
//     tid (sched.cpp: "Retiring");
//   - main's kernel thread M0, which runs other Gs once main has left
//     through pthread_exit, gets them back then (kt_main_exit).
//
// The caller's own G applies a change at once and returns the kernel's
// answer; the mask recorded is the one the kernel reports back (the request
// restricted to the CPUs the process may use). Another G's change is
// checked as the kernel would check it — a mask by applying it to the
// calling kernel thread for a moment (so the kernel says which CPUs it may
// have now, not what was allowed at start), a policy by the kernel's rules
// (range, CAP_SYS_NICE, RLIMIT_RTPRIO, RLIMIT_NICE) — recorded, and applied
// by that G itself when it next finishes a park (kt_apply from park): a
// kernel thread changes its own attributes here, never another G's M, which
// may be running someone else by then. If the kernel still refuses then,
// the record goes back to what the G had. A G spinning in user code takes
// the change at its next blocking call; the getters report the recorded
// attributes at once.
//
// A new G starts with its creator's attributes (a G's record, or main's or
// a foreign thread's kernel thread's), or what its pthread_attr asks for,
// as pthread_create does natively; it applies them (and is locked) before
// its start routine runs.
//
// State: G.kt (KtAttr, allocated on the first change, freed at exit) is
// guarded by g_kt_lock (a spinlock, never held across a system call);
// G.kt_pending is set under it by another thread (or the creator) and
// cleared by the G. KtAttr.applied, m_mask, m_sched and the pin are the
// G's own.
#include "runtime/kthread.h"

#include <cerrno>
#include <new>
#include <cstdlib>
#include <cstring>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/g.h"
#include "runtime/lock.h"
#include "runtime/log.h"
#include "runtime/m.h"
#include "runtime/os.h"
#include "runtime/sched.h"
#include "runtime/signal.h"
#include "runtime/sync.h"
#include "runtime/thread.h"

namespace gmp {

struct KtAttr {
  cpu_set_t mask;        // wanted affinity (has_mask) [g_kt_lock]
  bool has_mask = false;
  int policy = SCHED_OTHER;  // wanted policy and priority [g_kt_lock]
  int prio = 0;
  // What the G has in effect (its M carries; the defaults before its first
  // application): a deferred change the kernel refuses falls back to it
  // [g_kt_lock; written by the G].
  cpu_set_t ok_mask;
  bool ok_has_mask = false;
  int ok_policy = SCHED_OTHER;
  int ok_prio = 0;
  bool applied = false;  // the G is locked to its M for these [the G]
  bool m_mask = false;   // the M's kernel thread carries a mask / a policy
  bool m_sched = false;  //   of ours to undo [the G]
};

namespace {

SpinLock g_kt_lock;
cpu_set_t g_procmask;  // the defaults' mask; written once by kt_init
// Some set call went to the kernel (main may differ from the defaults);
// until then main's kernel thread carries the defaults (it did at kt_init)
// and kt_create need not ask. Set once, never cleared.
std::atomic<bool> g_kernel_changed{false};

bool default_sched(int policy, int prio) { return (policy & ~SCHED_RESET_ON_FORK) == SCHED_OTHER && prio == 0; }

KtAttr* new_attr() {
  auto* a = static_cast<KtAttr*>(calloc(1, sizeof(KtAttr)));
  if (!a) return nullptr;
  a->policy = a->ok_policy = SCHED_OTHER;
  return a;
}

KtAttr* attr_of(G* g) {
  if (g->kt) return g->kt;
  KtAttr* a = new_attr();
  if (!a) return nullptr;
  Guard<SpinLock> l(g_kt_lock);
  if (g->kt) {
    free(a);
    return g->kt;
  }
  g->kt = a;
  return a;
}

long set_m_mask(const cpu_set_t* set) { return os::syscall6(SYS_sched_setaffinity, 0, sizeof(cpu_set_t), long(set)); }
long get_m_mask(cpu_set_t* set) {
  CPU_ZERO(set);
  return os::syscall6(SYS_sched_getaffinity, 0, sizeof(cpu_set_t), long(set));
}
long set_m_sched(int policy, int prio) {
  sched_param p{};
  p.sched_priority = prio;
  return os::syscall6(SYS_sched_setscheduler, 0, policy, long(&p));
}
void get_m_sched(int* policy, int* prio) {
  long pol = os::syscall6(SYS_sched_getscheduler, 0);
  sched_param p{};
  os::syscall6(SYS_sched_getparam, 0, long(&p));
  *policy = pol < 0 ? SCHED_OTHER : int(pol);
  *prio = p.sched_priority;
}

bool is_default_mask(const cpu_set_t* m) { return CPU_EQUAL(m, &g_procmask); }

// probe_mask asks the kernel what a thread given m would get: it is applied
// to the calling kernel thread for a moment. *eff: the mask it reported.
int probe_mask(const cpu_set_t* m, cpu_set_t* eff) {
  cpu_set_t save;
  if (get_m_mask(&save) < 0) return 0;  // cannot tell: accept
  long r = set_m_mask(m);
  if (r < 0) return int(-r);
  get_m_mask(eff);
  set_m_mask(&save);
  return 0;
}

bool cap_sys_nice() {
  struct {
    uint32_t version;
    int pid;
  } hdr = {0x20080522, 0};  // _LINUX_CAPABILITY_VERSION_3
  struct {
    uint32_t effective, permitted, inheritable;
  } data[2] = {};
  if (os::syscall6(SYS_capget, long(&hdr), long(data)) < 0) return false;
  return data[0].effective & (1u << 23);  // CAP_SYS_NICE
}

// check_sched is the kernel's sched_setscheduler check of (policy, prio)
// for a thread now at (cur_policy, cur_prio); perm adds the permission
// rules (for a change the kernel does not see yet).
int check_sched(int policy, int prio, int cur_policy, int cur_prio, bool perm) {
  if (policy < 0) return EINVAL;
  int base = policy & ~SCHED_RESET_ON_FORK;
  bool rt = base == SCHED_FIFO || base == SCHED_RR;
  if (base != SCHED_OTHER && !rt && base != SCHED_BATCH && base != SCHED_IDLE) return EINVAL;  // DEADLINE needs sched_setattr
  if (rt ? (prio < 1 || prio > 99) : prio != 0) return EINVAL;
  if (!perm || cap_sys_nice()) return 0;
  int cur_base = cur_policy & ~SCHED_RESET_ON_FORK;
  bool cur_rt = cur_base == SCHED_FIFO || cur_base == SCHED_RR;
  rlimit rl{};
  if (rt) {
    getrlimit(RLIMIT_RTPRIO, &rl);
    if (base != cur_base && rl.rlim_cur == 0) return EPERM;
    if (prio > (cur_rt ? cur_prio : 0) && rlim_t(prio) > rl.rlim_cur) return EPERM;
  }
  if (cur_base == SCHED_IDLE && base != SCHED_IDLE) {  // leaving SCHED_IDLE: as nice 20 -> 0
    getrlimit(RLIMIT_NICE, &rl);
    if (rl.rlim_cur < 20) return EPERM;
  }
  if ((cur_policy & SCHED_RESET_ON_FORK) && !(policy & SCHED_RESET_ON_FORK)) return EPERM;
  return 0;
}

// settle makes g's M carry what g->kt wants (on g), locking g to its M
// while anything differs from the defaults. What the kernel refuses goes
// back to what g had. Returns 0 or an errno value.
int settle(G* g) {
  KtAttr* a = g->kt;
  cpu_set_t mask;
  bool has_mask;
  int policy, prio;
  {
    Guard<SpinLock> l(g_kt_lock);
    mask = a->mask;
    has_mask = a->has_mask;
    policy = a->policy;
    prio = a->prio;
    g->kt_pending.store(0, std::memory_order_relaxed);
  }
  bool need = has_mask || !default_sched(policy, prio);
  if (need && !a->applied) {
    pin_to_m(g);
    a->applied = true;
  }
  int err = 0;
  bool mask_ok = true, sched_ok = true;
  if (has_mask || a->m_mask) {
    long r = set_m_mask(has_mask ? &mask : &g_procmask);
    if (r < 0) {
      err = int(-r);
      mask_ok = false;
    } else if (has_mask) {
      // Record what the kernel made of it (the CPUs the process may use).
      get_m_mask(&mask);
      has_mask = !is_default_mask(&mask);
      a->m_mask = has_mask;
    } else {
      a->m_mask = false;
    }
  }
  if (!default_sched(policy, prio) || a->m_sched) {
    long r = set_m_sched(policy, prio);
    if (r < 0) {
      if (err == 0) err = int(-r);
      sched_ok = false;
    } else {
      a->m_sched = !default_sched(policy, prio);
    }
  }
  {
    Guard<SpinLock> l(g_kt_lock);
    bool newer = g->kt_pending.load(std::memory_order_relaxed) != 0;  // asked again meanwhile
    if (mask_ok) {
      a->ok_mask = mask;
      a->ok_has_mask = has_mask;
    }
    if (sched_ok) {
      a->ok_policy = policy;
      a->ok_prio = prio;
    }
    if (!newer) {
      a->mask = a->ok_mask;
      a->has_mask = a->ok_has_mask;
      a->policy = a->ok_policy;
      a->prio = a->ok_prio;
    }
  }
  if (!a->m_mask && !a->m_sched && a->applied) {
    a->applied = false;
    unpin_from_m(g);
  }
  return err;
}

}  // namespace

void kt_fork_child() { new (&g_kt_lock) SpinLock(); }

void kt_init() {
  CPU_ZERO(&g_procmask);
  if (get_m_mask(&g_procmask) < 0)
    for (int c = 0; c < CPU_SETSIZE; c++) CPU_SET(c, &g_procmask);
}

int kt_set_affinity(G* g, size_t size, const cpu_set_t* set) {
  if (set == nullptr) return EFAULT;
  // As the kernel: a shorter mask is zero-extended, bits beyond the CPUs
  // we keep (1024) are ignored.
  cpu_set_t m;
  CPU_ZERO(&m);
  memcpy(&m, set, size < sizeof m ? size : sizeof m);
  G* self = getg();
  if (g != self) {
    // The kernel refuses a mask with no CPU the thread may use now.
    cpu_set_t eff;
    int e = probe_mask(&m, &eff);
    if (e != 0) return e;
    m = eff;
  }
  KtAttr* a = attr_of(g);
  if (!a) return ENOMEM;
  {
    Guard<SpinLock> l(g_kt_lock);
    a->mask = m;
    a->has_mask = !is_default_mask(&m);
    if (g != self) g->kt_pending.store(1, std::memory_order_relaxed);
  }
  if (g != self) return 0;
  return settle(g);
}

long kt_get_affinity_raw(G* g, size_t size, cpu_set_t* set) {
  // As the kernel: the buffer must hold the kernel's CPU mask size; it
  // writes that many bytes.
  long kbytes = os::syscall6(SYS_sched_getaffinity, 0, long(size), long(set));
  if (kbytes < 0) return kbytes;
  cpu_set_t m = g_procmask;
  {
    Guard<SpinLock> l(g_kt_lock);
    if (g->kt && g->kt->has_mask) m = g->kt->mask;
  }
  size_t n = size_t(kbytes) < sizeof m ? size_t(kbytes) : sizeof m;
  memcpy(set, &m, n);
  memset(reinterpret_cast<char*>(set) + n, 0, size_t(kbytes) - n);
  return kbytes;
}

int kt_get_affinity(G* g, size_t size, cpu_set_t* set) {
  long kbytes = kt_get_affinity_raw(g, size, set);
  if (kbytes < 0) return int(-kbytes);
  memset(reinterpret_cast<char*>(set) + kbytes, 0, size - size_t(kbytes));
  return 0;
}

int kt_set_sched(G* g, int policy, int prio) {
  int cur_policy, cur_prio;
  kt_get_sched(g, &cur_policy, &cur_prio);
  if (policy < 0) policy = cur_policy;
  G* self = getg();
  // The caller's own change: the kernel answers (and says EPERM itself).
  int e = check_sched(policy, prio, cur_policy, cur_prio, g != self);
  if (e != 0) return e;
  KtAttr* a = attr_of(g);
  if (!a) return ENOMEM;
  {
    Guard<SpinLock> l(g_kt_lock);
    a->policy = policy;
    a->prio = prio;
    if (g != self) g->kt_pending.store(1, std::memory_order_relaxed);
  }
  if (g != self) return 0;
  return settle(g);
}

int kt_get_sched(G* g, int* policy, int* prio) {
  Guard<SpinLock> l(g_kt_lock);
  *policy = g->kt ? g->kt->policy : SCHED_OTHER;
  *prio = g->kt ? g->kt->prio : 0;
  return 0;
}

G* kt_target(pid_t pid) {
  if (!runtime_started() || pid < 0) return nullptr;
  G* self = getg();
  if (pid == 0) return self && !self->is_g0 && self != main_g() ? self : nullptr;
  if (pid == os::getpid()) {
    // Main while it runs is its kernel thread's; once it has left through
    // pthread_exit that thread (M0) runs other Gs, and main's attributes
    // are a record (kt_main_exit).
    G* g1 = main_g();
    return g1 && g1->status.load(std::memory_order_acquire) == GStatus::kDead ? g1 : nullptr;
  }
  G* g = g_of_tid(pid);
  return g && g != main_g() ? g : nullptr;
}

int kt_create(G* child, const pthread_attr_t* attr) {
  cpu_set_t mask = g_procmask;
  int policy = SCHED_OTHER, prio = 0;
  G* self = getg();
  if (self && !self->is_g0 && self != main_g()) {
    Guard<SpinLock> l(g_kt_lock);
    if (self->kt) {
      if (self->kt->has_mask) mask = self->kt->mask;
      policy = self->kt->policy;
      prio = self->kt->prio;
    }
  } else if (!(self && self == main_g()) || g_kernel_changed.load(std::memory_order_relaxed)) {
    // main, or a thread the runtime does not know: its kernel thread's
    get_m_mask(&mask);
    get_m_sched(&policy, &prio);
  }
  // As clone: SCHED_RESET_ON_FORK gives the child SCHED_OTHER for a
  // real-time policy, and is not inherited.
  if (policy & SCHED_RESET_ON_FORK) {
    policy &= ~SCHED_RESET_ON_FORK;
    if (policy == SCHED_FIFO || policy == SCHED_RR) policy = SCHED_OTHER, prio = 0;
  }
  if (attr) {
    // An attr without a CPU set reports every bit set.
    cpu_set_t am;
    if (pthread_attr_getaffinity_np(attr, sizeof am, &am) == 0 && CPU_COUNT(&am) != CPU_SETSIZE) {
      cpu_set_t eff;
      int e = probe_mask(&am, &eff);
      if (e != 0) return e;
      mask = eff;
    }
    int inherit = PTHREAD_INHERIT_SCHED;
    pthread_attr_getinheritsched(attr, &inherit);
    if (inherit == PTHREAD_EXPLICIT_SCHED) {
      int ap = SCHED_OTHER;
      sched_param sp{};
      pthread_attr_getschedpolicy(attr, &ap);
      pthread_attr_getschedparam(attr, &sp);
      int e = check_sched(ap, sp.sched_priority, policy, prio, true);
      if (e != 0) return e;
      policy = ap;
      prio = sp.sched_priority;
    }
  }
  bool has_mask = !is_default_mask(&mask);
  if (!has_mask && default_sched(policy, prio)) return 0;
  KtAttr* a = new_attr();
  if (!a) return EAGAIN;
  a->mask = mask;
  a->has_mask = has_mask;
  a->policy = policy;
  a->prio = prio;
  a->ok_mask = g_procmask;
  child->kt = a;
  child->kt_pending.store(1, std::memory_order_relaxed);
  return 0;
}

void kt_note_kernel_change() {
  if (!g_kernel_changed.load(std::memory_order_relaxed)) g_kernel_changed.store(true, std::memory_order_relaxed);
}

void kt_apply(G* g) {
  if (g->kt) settle(g);
}

void kt_exit(G* g) {
  KtAttr* a = g->kt;
  if (!a) return;
  {
    Guard<SpinLock> l(g_kt_lock);
    a->has_mask = false;
    a->policy = SCHED_OTHER;
    a->prio = 0;
  }
  settle(g);
  if (a->applied) {
    // The kernel refused the defaults (an unprivileged thread cannot leave
    // SCHED_IDLE): this M must not run another G.
    GMP_LOGF(kLogDebug, "M%d keeps a G's affinity or policy: it retires", g->m->id);
    g->m->retire = true;
    a->applied = false;
    unpin_from_m(g);
  }
  {
    Guard<SpinLock> l(g_kt_lock);
    g->kt = nullptr;
  }
  free(a);
}

void kt_main_exit(G* g1) {
  KtAttr* a = new_attr();
  if (!a) return;
  get_m_mask(&a->mask);
  get_m_sched(&a->policy, &a->prio);
  a->has_mask = !is_default_mask(&a->mask);
  if (!a->has_mask && default_sched(a->policy, a->prio)) {
    free(a);
    return;
  }
  if (a->has_mask) set_m_mask(&g_procmask);
  if (!default_sched(a->policy, a->prio) && set_m_sched(SCHED_OTHER, 0) < 0)
    GMP_LOGF(kLogDebug, "main's kernel thread cannot leave its policy %d", a->policy);
  Guard<SpinLock> l(g_kt_lock);
  KtAttr* old = g1->kt;
  g1->kt = a;
  free(old);
}

void kt_release(G* g) {
  KtAttr* a;
  {
    Guard<SpinLock> l(g_kt_lock);
    a = g->kt;
    g->kt = nullptr;
  }
  free(a);
}

bool kt_thread_attr(pthread_attr_t* attr) {
  cpu_set_t m;
  int policy, prio;
  bool mask_ok = get_m_mask(&m) < 0 || is_default_mask(&m);
  get_m_sched(&policy, &prio);
  if (mask_ok && default_sched(policy, prio)) return false;
  if (!mask_ok) pthread_attr_setaffinity_np(attr, sizeof g_procmask, &g_procmask);
  if (!default_sched(policy, prio)) {
    sched_param p{};
    pthread_attr_setinheritsched(attr, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(attr, SCHED_OTHER);
    pthread_attr_setschedparam(attr, &p);
  }
  return true;
}

}  // namespace gmp
