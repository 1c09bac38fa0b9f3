// fork.cpp — fork() from a green thread.
//
// POSIX: the child has one thread, the one that called fork. Here that is a
// G, running on some M, while other Ms may be anywhere in the runtime. So:
//   1. the prepare handlers run on the calling G (newest first), where a
//      handler's pthread_mutex_lock may park like any other;
//   2. the G takes every runtime lock whose data the child needs (wait-table
//      buckets, timer heaps, the G free list, the stack pool, sched.lock), so
//      no other M is half-way through changing them at the fork;
//   3. the real fork runs with the thread pointer on the M's own glibc block:
//      glibc's fork walks its thread lists from THREAD_SELF (measured: on a
//      G's hand-made block the child crashes in reclaim_stacks);
//   4. in the child, the runtime is rebuilt around this M and G (every other
//      M and G is gone: marked dead), with a fresh epoll set and sysmon; the
//      parent just drops the locks;
//   5. the G's thread pointer comes back, then the parent or child handlers
//      run on the G (oldest first).
// glibc's own fork handling (malloc arenas, stdio, the loader lock) still
// happens inside the real fork. The program's handlers live in our list:
// __register_atfork is hooked, so glibc's list holds none of them.
#include "runtime/fork.h"
#include "runtime/kthread.h"

#include <dlfcn.h>

#include "preload/real.h"
#include "runtime/futex.h"
#include "runtime/lock.h"
#include "runtime/os.h"
#include "runtime/rawlog.h"
#include "runtime/sched.h"
#include "runtime/signal.h"
#include "runtime/stack.h"
#include "runtime/tls.h"

namespace gmp {

void sched_fork_lock();
void sched_fork_unlock();
void sched_fork_child(G* g);

namespace {

struct Atfork {
  void (*prepare)();
  void (*parent)();
  void (*child)();
  void* dso;
};
constexpr int kMaxAtfork = 512;
Atfork g_atfork[kMaxAtfork];  // [g_atfork_lock]
int g_natfork = 0;            // [g_atfork_lock]
SpinLock g_atfork_lock;

// alive: the handler's object is still loaded (a dlclose'd library's
// handlers are skipped: glibc's dlclose unregisters them only in its list).
bool alive(void (*fn)()) {
  if (fn == nullptr) return false;
  Dl_info info;
  return dladdr(reinterpret_cast<void*>(fn), &info) != 0;
}

// snapshot copies the list so handlers run without the lock (a handler may
// itself register one, as glibc allows).
int snapshot(Atfork* out) {
  Guard<SpinLock> l(g_atfork_lock);
  for (int i = 0; i < g_natfork; i++) out[i] = g_atfork[i];
  return g_natfork;
}

}  // namespace

int atfork_register(void (*prepare)(), void (*parent)(), void (*child)(), void* dso) {
  Guard<SpinLock> l(g_atfork_lock);
  if (g_natfork == kMaxAtfork) return ENOMEM;
  g_atfork[g_natfork++] = Atfork{prepare, parent, child, dso};
  return 0;
}

void atfork_unregister(void* dso) {
  Guard<SpinLock> l(g_atfork_lock);
  int k = 0;
  for (int i = 0; i < g_natfork; i++)
    if (g_atfork[i].dso != dso) g_atfork[k++] = g_atfork[i];
  g_natfork = k;
}

pid_t proc_fork_plain(bool handlers) {
  static Atfork list[kMaxAtfork];
  int n = handlers ? snapshot(list) : 0;
  for (int i = n - 1; i >= 0; i--)
    if (alive(list[i].prepare)) list[i].prepare();
  pid_t pid = real::fork();
  int e = errno;
  for (int i = 0; i < n; i++) {
    void (*fn)() = pid == 0 ? list[i].child : list[i].parent;
    if (alive(fn)) fn();
  }
  errno = e;
  return pid;
}

pid_t proc_fork(bool handlers) {
  static Atfork list[kMaxAtfork];  // one fork at a time (g_fork_busy)
  static std::atomic<bool> busy{false};
  bool f = false;
  while (!busy.compare_exchange_weak(f, true)) {
    f = false;
    yield();
  }
  int n = handlers ? snapshot(list) : 0;
  for (int i = n - 1; i >= 0; i--)
    if (alive(list[i].prepare)) list[i].prepare();

  G* g = getg();
  M* m = g->m;
  bool own_tls = g->tcb != nullptr && g->tcb != m->tcb;
  futex_fork_lock();
  g_fork_lock();
  stack_fork_lock();
  sched_fork_lock();
  if (own_tls) {
    tls_set_tp(m->tcb);
    tls_switch_out(m->tcb, g->tcb);
  }
  pid_t pid = real::fork();
  int e = errno;
  if (own_tls) {
    tls_switch_in(m->tcb, g->tcb);
    tls_set_tp(g->tcb);
  }
  if (pid == 0) {
    sig_fork_child();
    kt_fork_child();
    stack_fork_unlock();
    g_fork_unlock();
    futex_fork_unlock(true);
    new (&g_atfork_lock) SpinLock();
    sched_fork_child(g);  // releases the scheduler's locks
  } else {
    sched_fork_unlock();
    stack_fork_unlock();
    g_fork_unlock();
    futex_fork_unlock(false);
  }
  busy.store(false, std::memory_order_release);
  for (int i = 0; i < n; i++) {
    void (*fn)() = pid == 0 ? list[i].child : list[i].parent;
    if (alive(fn)) fn();
  }
  errno = e;
  return pid;
}

}  // namespace gmp
