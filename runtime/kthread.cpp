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
// The caller's own G applies a change at once and returns the kernel's
// answer. Another G's change is checked here as the kernel would check it
// (an empty mask, a priority out of range, a real-time policy without
// privilege), recorded, and applied by that G itself when it next finishes
// a park (kt_apply from park): a kernel thread changes its own attributes
// here, never another G's M, which may be running someone else by then. A G
// spinning in user code takes the change at its next blocking call; the
// getters report the recorded attributes at once.
//
// State: G.kt (KtAttr, allocated on the first change, freed at exit) is
// guarded by g_kt_lock (a spinlock, never held across a system call);
// G.kt_pending is set under it by another thread and cleared by the G.
// KtAttr.applied and the pin are the G's own.
#include "runtime/kthread.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/g.h"
#include "runtime/lock.h"
#include "runtime/os.h"
#include "runtime/sched.h"
#include "runtime/sync.h"

namespace gmp {

struct KtAttr {
  cpu_set_t mask;        // wanted affinity (has_mask) [g_kt_lock]
  bool has_mask = false;
  int policy = SCHED_OTHER;  // wanted policy and priority [g_kt_lock]
  int prio = 0;
  bool applied = false;  // the G is locked to its M for these [the G]
  bool m_mask = false;   // the M's kernel thread carries a mask / a policy
  bool m_sched = false;  //   of ours to undo [the G]
};

namespace {

SpinLock g_kt_lock;
cpu_set_t g_procmask;  // the process's CPUs at start; written once by kt_init

bool covers_process(const cpu_set_t* set, size_t size) {
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &g_procmask) && (size_t(c) / 8 >= size || !CPU_ISSET_S(c, size, set))) return false;
  return true;
}

bool default_sched(int policy, int prio) { return (policy & ~SCHED_RESET_ON_FORK) == SCHED_OTHER && prio == 0; }

KtAttr* attr_of(G* g) {
  if (g->kt) return g->kt;
  auto* a = static_cast<KtAttr*>(calloc(1, sizeof(KtAttr)));
  if (!a) return nullptr;
  a->policy = SCHED_OTHER;
  Guard<SpinLock> l(g_kt_lock);
  if (g->kt) {
    free(a);
    return g->kt;
  }
  g->kt = a;
  return a;
}

long set_m_mask(const cpu_set_t* set, size_t size) {
  return os::syscall6(SYS_sched_setaffinity, 0, long(size), long(set));
}
long set_m_sched(int policy, int prio) {
  sched_param p{};
  p.sched_priority = prio;
  return os::syscall6(SYS_sched_setscheduler, 0, policy, long(&p));
}

// settle makes g's M carry what g->kt wants (on g), locking g to its M
// while anything differs from the defaults. Returns 0 or an errno value.
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
  if (has_mask || a->m_mask) {
    long r = set_m_mask(has_mask ? &mask : &g_procmask, sizeof mask);
    if (r < 0) err = int(-r);
    a->m_mask = has_mask && r == 0;
  }
  if (!default_sched(policy, prio) || a->m_sched) {
    long r = set_m_sched(policy, prio);
    if (r < 0 && err == 0) err = int(-r);
    a->m_sched = r == 0 && !default_sched(policy, prio);
  }
  if (!a->m_mask && !a->m_sched && a->applied) {
    a->applied = false;
    unpin_from_m(g);
  }
  return err;
}

}  // namespace

void kt_init() {
  CPU_ZERO(&g_procmask);
  if (os::syscall6(SYS_sched_getaffinity, 0, sizeof g_procmask, long(&g_procmask)) < 0)
    for (int c = 0; c < CPU_SETSIZE; c++) CPU_SET(c, &g_procmask);
}

int kt_set_affinity(G* g, size_t size, const cpu_set_t* set) {
  if (set == nullptr) return EFAULT;
  cpu_set_t m;
  CPU_ZERO(&m);
  memcpy(&m, set, size < sizeof m ? size : sizeof m);
  // The kernel refuses a mask with no CPU the process may use.
  cpu_set_t both;
  CPU_AND(&both, &m, &g_procmask);
  if (CPU_COUNT(&both) == 0) return EINVAL;
  // A mask with bits beyond what we keep (more than 1024 CPUs) that are
  // set: the kernel would accept it; we keep the first 1024.
  KtAttr* a = attr_of(g);
  if (!a) return ENOMEM;
  bool full = covers_process(set, size);
  G* self = getg();
  cpu_set_t old_mask;
  bool old_has;
  {
    Guard<SpinLock> l(g_kt_lock);
    old_mask = a->mask;
    old_has = a->has_mask;
    a->mask = m;
    a->has_mask = !full;
    if (g != self) g->kt_pending.store(1, std::memory_order_relaxed);
  }
  if (g != self) return 0;
  int e = settle(g);
  if (e != 0) {  // refused: nothing changed
    {
      Guard<SpinLock> l(g_kt_lock);
      a->mask = old_mask;
      a->has_mask = old_has;
    }
    settle(g);
  }
  return e;
}

int kt_get_affinity(G* g, size_t size, cpu_set_t* set) {
  // As the kernel: the buffer must hold the kernel's CPU mask size.
  long kbytes = os::syscall6(SYS_sched_getaffinity, 0, long(size), long(set));
  if (kbytes < 0) return int(-kbytes);
  cpu_set_t m = g_procmask;
  {
    Guard<SpinLock> l(g_kt_lock);
    if (g->kt && g->kt->has_mask) m = g->kt->mask;
  }
  memset(set, 0, size);
  memcpy(set, &m, size < sizeof m ? size : sizeof m);
  return 0;
}

int kt_set_sched(G* g, int policy, int prio) {
  int cur_policy, cur_prio;
  kt_get_sched(g, &cur_policy, &cur_prio);
  if (policy < 0) policy = cur_policy;
  int base = policy & ~SCHED_RESET_ON_FORK;
  int lo = sched_get_priority_min(base), hi = sched_get_priority_max(base);
  if (lo < 0 || hi < 0) return EINVAL;
  if (prio < lo || prio > hi) return EINVAL;
  G* self = getg();
  if (g != self && (base == SCHED_FIFO || base == SCHED_RR)) {
    // The kernel's rule for an unprivileged caller: RLIMIT_RTPRIO bounds it.
    rlimit rl{};
    getrlimit(RLIMIT_RTPRIO, &rl);
    if (geteuid() != 0 && rlim_t(prio) > rl.rlim_cur) return EPERM;
  }
  KtAttr* a = attr_of(g);
  if (!a) return ENOMEM;
  int old_policy, old_prio;
  {
    Guard<SpinLock> l(g_kt_lock);
    old_policy = a->policy;
    old_prio = a->prio;
    a->policy = policy;
    a->prio = prio;
    if (g != self) g->kt_pending.store(1, std::memory_order_relaxed);
  }
  if (g != self) return 0;
  int e = settle(g);
  if (e != 0) {  // refused (EPERM): nothing changed
    {
      Guard<SpinLock> l(g_kt_lock);
      a->policy = old_policy;
      a->prio = old_prio;
    }
    settle(g);
  }
  return e;
}

int kt_get_sched(G* g, int* policy, int* prio) {
  Guard<SpinLock> l(g_kt_lock);
  *policy = g->kt ? g->kt->policy : SCHED_OTHER;
  *prio = g->kt ? g->kt->prio : 0;
  return 0;
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
  {
    Guard<SpinLock> l(g_kt_lock);
    g->kt = nullptr;
  }
  free(a);
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

}  // namespace gmp
