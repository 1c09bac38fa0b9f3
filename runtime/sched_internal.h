// sched_internal.h — scheduler state shared by the runtime's own files
// (sched.cpp, p.cpp, netpoll, tests). Hooks use sched.h only.
#pragma once
#include <atomic>
#include <cstdint>

#include "runtime/g.h"
#include "runtime/lock.h"
#include "runtime/m.h"
#include "runtime/p.h"
#include "runtime/rawlog.h"

namespace gmp {

constexpr int kMaxProcs = 1024;

struct Sched {
  Lock lock;  // guards every field marked [lock]

  // Global run queue [lock]; runqsize is also read without the lock as a
  // hint. A ring of G pointers first (taking a batch reads adjacent slots;
  // a list would chase schedlink through one cold G after another), then,
  // once the ring is full, a schedlink list behind it: while the list is
  // not empty every put goes to it, so the queue stays FIFO across both.
  static constexpr uint32_t kRingSize = 16384;
  uint32_t ringhead = 0;  // monotonic indices; ringtail - ringhead Gs in ring
  uint32_t ringtail = 0;
  G* runqhead = nullptr;  // the overflow list
  G* runqtail = nullptr;
  std::atomic<uint32_t> runqsize{0};  // ring + list
  G* ring[kRingSize] = {};

  M* midle = nullptr;  // idle Ms [lock]
  int32_t nmidle = 0;  // [lock]
  int32_t mcount = 0;  // Ms ever created and not exited [lock]
  int32_t mnext = 0;   // next M id [lock]
  M* m0 = nullptr;     // the original thread's M (never exits); set at start

  P* pidle = nullptr;                // idle Ps [lock]
  std::atomic<int32_t> npidle{0};    // written under lock, read anywhere
  std::atomic<int32_t> nmspinning{0};  // see "Spinning Ms" in sched.cpp

  int32_t gomaxprocs = 0;  // fixed after start
  P* allp[kMaxProcs] = {};

  // The poller: lastpoll == 0 means some M is blocked in netpoll; otherwise
  // it is the nanotime of the last poll. pollUntil is when that M wakes.
  std::atomic<int64_t> lastpoll{0};
  // sysmon_now: the nanotime of sysmon's last round (0 before it starts).
  // Written by sysmon, read by anyone (park's wait stamp), relaxed.
  std::atomic<int64_t> sysmon_now{0};
  std::atomic<int64_t> poll_until{0};
  // skip_since: the nanotime at which a read first parked on the drained
  // hint (without trying) since the last forced poll, or 0. Data that came
  // before such a read has an event nobody may harvest soon when every P is
  // busy, so find_runnable polls once it is kDrainedPollNs old ("Drained" in
  // pollfd.cpp). Set by that read (CAS from 0), cleared by every netpoll
  // (store) and by the forced poll (CAS). A forced poll that did not wait
  // for other polls to lapse refilled the P's queue every millisecond under
  // load and starved the global queue: echo p99 at 8000 connections went
  // from 131 to 522 ms at GOMAXPROCS=1 (measured).
  std::atomic<int64_t> skip_since{0};
};

// kDrainedPollNs bounds how long an event for a read that parked on the
// drained hint may wait for a poll while every P has work.
constexpr int64_t kDrainedPollNs = 1000000;

extern Sched sched;

// inject_list makes a schedlink list of n Gs runnable: on the global queue
// with Ms started for idle Ps, and, given the caller's P, the share the idle
// Ps cannot take on that P's queue (sched.cpp).
void inject_list(G* list, int n, P* p);
// handoffp gives away a P nobody runs now (sched.cpp).
void handoffp(P* p);
// wakep starts a spinning M on an idle P, if none spins (sched.cpp). The
// netpoller calls it when a G parks on an fd from an M that lost its P, so
// that some M becomes the poller.
void wakep();
// sysmon (sysmon.cpp): started once by runtime_start; sysmon_wake ends its
// deep sleep (called when a P is acquired or a G enters a blocking call).
void sysmon_start();
bool sysmon_started();
// newm_thread makes an M's kernel thread (sched.cpp); newm_requests, on
// sysmon, makes those another thread could not (see newm_thread).
void newm_thread(M* m, bool may_delegate);
void newm_requests();
// mretire_reap, on sysmon, publishes the exit of the Gs whose retired M's
// kernel thread is gone (see "Retiring" in sched.cpp); true while some
// retired M is still on its way out.
bool mretire_reap();
void sysmon_wake();
void sysmon_kick();
void sysmon_fork_child();  // async-signal-safe: a signal was queued (signal.cpp)
// Ms ever created (for schedtrace); all_ms walks them.
M* m_list();

// Global run queue; sched.lock must be held for the _locked forms.
void globrunq_put_locked(G* g);
void globrunq_put_batch(G* head, G* tail, uint32_t n);  // takes the lock
G* globrunq_get_locked(P* p, uint32_t max);
G* globrunq_pop_locked();  // the head, or null

}  // namespace gmp
