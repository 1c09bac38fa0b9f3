// m.h — M, a kernel thread that runs Gs.
//
// Each M is a real pthread made with glibc's own pthread_create (through
// preload/real). Its native stack is g0, where schedule() runs. M0 is the
// program's original thread: its native stack belongs to the main G (G1), so
// its g0 gets a separate mmap'd stack.
#pragma once
#include <atomic>
#include <cstdint>
#include <pthread.h>
#include <time.h>

#include "runtime/context.h"
#include "runtime/lock.h"

namespace gmp {

struct G;
struct P;

struct M {
  int32_t id = 0;
  G* g0 = nullptr;            // scheduler "goroutine": this M's native stack
  G* curg = nullptr;          // G running on this M; written by this M only
  P* p = nullptr;             // P held (Running or Syscall); this M only
  P* nextp = nullptr;         // P handed over by startm; read after park wakes
  bool spinning = false;      // looking for work; counted in sched.nmspinning
  M* schedlink = nullptr;     // sched.midle link; guarded by sched.lock
  M* alllink = nullptr;       // list of every M (m_list); written once, before publication
  std::atomic<bool> dead{false};  // its kernel thread exited (idle reaping); never reused
  G* lockedg = nullptr;       // G that may run only here (main G)
  // retire: a G left this kernel thread with an affinity or policy the
  // kernel would not let it undo (kthread.cpp); it exits instead of running
  // another G. Set by that G on this M, read by its g0.
  bool retire = false;
  // exit_g: the G that exited here before this M retired; its exit is
  // published (thread_exit_publish) once this kernel thread is gone. Set
  // by this M's g0 (mretire_keep_exit); taken by sysmon (mretire_reap).
  // exit_tid: nonzero until the kernel, ending this thread, clears it (the
  // thread's clear-child-tid address, set by mretire). Read by sysmon.
  // See "Retiring" in sched.cpp.
  G* exit_g = nullptr;
  std::atomic<int32_t> exit_tid{0};
  Note park;                  // stopm sleeps here; startm wakes it
  ctx::Context g0ctx = nullptr;  // g0's saved context while a G runs

  // After-switch action: set by a G just before it switches to g0; g0 runs it
  // once the G's context is saved (so a waker can never resume a G that is
  // still on its stack). Written and read by this M only.
  void (*after_fn)(G* g, void* arg) = nullptr;
  void* after_arg = nullptr;

  pthread_t thread{};         // glibc handle of the kernel thread
  void* tcb = nullptr;        // the kernel thread's own TCB: g0 runs on it
  clockid_t cpuclock = -1;    // its CPU-time clock (sysmon tells blocked from busy)
  int32_t tid = 0;            // kernel tid
  std::atomic<uint64_t> ticks{0};  // schedules done (progress, for sysmon)
  uint64_t rand = 0;          // steal-order random state; this M only
  // Signals (signal.cpp): the kernel mask of this thread (it follows the G
  // that runs here) and the G that ran here last. This M only.
  uint64_t kmask = 0;
  G* sig_lastg = nullptr;
  void* alt_sp = nullptr;  // the alternate signal stack loaded on this thread
};

}  // namespace gmp
