// sched.h — the scheduler's public API, used by hooks and the rest of the
// runtime. See sched.cpp for the design.
#pragma once
#include <cstdint>

#include "runtime/g.h"
#include "runtime/m.h"
#include "runtime/p.h"

namespace gmp {

// getg returns the current G: a pthread's G, an M's g0, or nullptr on a
// thread the runtime does not know (and before the runtime started). It reads
// the one current-G slot; M and P are derived from it (g->m, g->m->p). Never
// inlined: after a switch the G may be on another kernel thread, and the
// compiler must not reuse a TLS address computed before the switch.
G* getg();

// on_g: the caller is a G (a green pthread), not g0 or a foreign thread.
// A G running a signal handler is not "on a G" for this purpose: hooks it
// calls must not park (signal.h).
bool sig_in_handler(G* g);
inline bool on_g() {
  G* g = getg();
  return g != nullptr && !g->is_g0 && (g->sig_depth == 0 || !sig_in_handler(g));
}

bool runtime_started();

// runtime_start turns the calling (original) thread into M0 running G1.
void runtime_start();

// park suspends the current G (status Waiting, reason r). After the G is off
// its stack, g0 calls unlock(g, arg) (e.g. to release a wait-table lock); from
// then on anyone may ready(g). Returns when the G runs again.
void park(WaitReason r, void (*unlock)(G*, void*), void* arg);

// ready makes a Waiting G runnable. Callable from a G, g0 or a foreign thread.
void ready(G* g);

// ReadyList collects Gs to ready after a lock is dropped (they link through
// schedlink, which a Waiting G does not use) and readies them in the order
// they were added.
struct ReadyList {
  G* head = nullptr;
  void add(G* g) {
    g->schedlink = head;
    head = g;
  }
  void ready_all() {
    G* rev = nullptr;  // added LIFO: reverse so the first added goes first
    while (head) {
      G* next = head->schedlink;
      head->schedlink = rev;
      rev = head;
      head = next;
    }
    while (rev) {
      G* next = rev->schedlink;  // read before ready(): it may relink rev
      ready(rev);
      rev = next;
    }
  }
};

// yield puts the current G at the back of the queue and runs another.
void yield();

// prepare_context sets g's context so that its first run calls thread_main(g)
// on g->stack.
void prepare_context(G* g);

// spawn makes g (prepared by thread.cpp) runnable for the first time.
void spawn(G* g);

// goexit ends the current G: g0 calls finish(g) after leaving its stack.
[[noreturn]] void goexit(void (*finish)(G*, void*), void* arg);
// mretire_keep_exit: g has exited on an M that retires (M.retire). Returns
// true when that M keeps g and sysmon publishes its exit once the kernel
// thread is gone; false when the caller publishes it now. On the M's g0,
// in goexit's finish. See "Retiring" in sched.cpp.
bool mretire_keep_exit(G* g);

// entersyscall / exitsyscall bracket a blocking call the runtime cannot poll
// (regular-file I/O, fsync, waitpid, DNS...). Between them the G is in state
// Syscall and sysmon may take its P (handoff) so other Gs keep running.
// entersyscall returns the current G, or nullptr when the caller is not a G
// of a running runtime (then it did nothing and exitsyscall must not be
// called). exitsyscall takes the P back (fast path: one CAS), or another idle
// P, or else queues the G on the global run queue and parks the M until a P
// is free. entersyscallblock hands the P off at once, for calls known to be
// long. errno is preserved across exitsyscall.
G* entersyscall();
G* entersyscallblock();
void exitsyscall(G* g);

// add_timer arms t on the current P (caller is a G in the runtime).
void add_timer(Timer* t);

// Counters (approximate, relaxed), for stats and the thread-count test.
struct SchedStats {
  int gomaxprocs;
  int mcount;
  int nmidle;
  int npidle;
  int nmspinning;
  uint32_t runqsize;
};
SchedStats sched_stats();

// entry_stack_size: default size for new G stacks.
size_t default_stack_size();

}  // namespace gmp
