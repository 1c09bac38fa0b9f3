// g.h — G, a green thread: one pthread of the program.
//
// Every pthread the program creates is a G with its own stack. A G runs on an
// M (kernel thread) that holds a P. G structs live in one reserved arena and
// are recycled, never unmapped. A pthread_t is the G's TCB (tls.h), or with
// GMP_TLS=0 the G* itself; either is recognised by address (g_from_handle),
// and a stale one never faults.
#pragma once
#include <atomic>
#include <cstdint>

#include "runtime/context.h"
#include "runtime/lock.h"
#include "runtime/stack.h"
#include "runtime/timer.h"

namespace gmp {

struct M;
struct P;

// GStatus: where a G is and who may change its status.
enum class GStatus : uint32_t {
  // Idle: on the free list (g_free); owned by whoever holds the free-list lock.
  kIdle = 0,
  // Runnable: on exactly one of P.runq / P.runnext / sched.runq; does not own
  // its stack; only the M that dequeues it may move it to Running.
  kRunnable = 1,
  // Running: executing (user code or runtime) on g->m. Only g->m changes it:
  // to Waiting (park), Runnable (yield) or Dead (exit).
  kRunning = 2,
  // Syscall: on g->m inside a known blocking call (entersyscall); its P may
  // be taken away. Only g->m changes it.
  kSyscall = 3,
  // Waiting: parked; not on any run queue. Exactly one party is responsible
  // for readying it: the owner of the wait record (wait table, timer, join).
  kWaiting = 4,
  // Dead: exited; waits for pthread_join (zombie) or for reuse.
  kDead = 6,
};

// WaitReason says why a G is Waiting (for dumps and stats).
enum class WaitReason : uint8_t {
  kNone, kMutex, kCond, kRwlock, kSem, kBarrier, kOnce, kJoin, kSleep, kFutex, kYield, kIO, kSigwait,
};
const char* wait_reason_name(WaitReason r);

// WaitNode: a G's entry in the wait table (futex.cpp). Protected by the lock of
// the bucket of addr while queued; state is the hand-off point between a waker
// and the timeout timer: whoever CASes it from kWaiting wins and readies the G.
struct WaitNode {
  enum : uint32_t { kWaiting = 0, kWoken = 1, kTimedOut = 2, kInterrupted = 3 };
  const void* addr = nullptr;
  WaitNode* prev = nullptr;
  WaitNode* next = nullptr;
  std::atomic<uint32_t> state{kWaiting};
  uint32_t bucket = 0;
  bool cancellable = false;  // a pthread_cancel may interrupt this wait
};

// Join/detach state of a G's handle; see thread.cpp for the transitions.
enum JoinState : uint32_t {
  kJoinable = 0,   // running, someone may join it
  kDetached = 1,   // running, nobody will join; exit recycles the G
  kZombie = 2,     // exited, joinable; the joiner recycles it
  kRecycled = 3,   // exited and given back
};

struct G;
struct KeyBlock;
struct PollDesc;

// PollWait: a G's wait on fds (pollfd.cpp); every G has one (G.pollwait),
// used by one wait at a time and touched by nobody once pd_wait returned.
// The first party to move state out of Arming/Parked (CAS) owns the wakeup:
// if it found Parked it readies the G, if it found Arming the G readies
// itself when it commits its park (pd_wait). g is immutable.
struct PollWait {
  std::atomic<uint32_t> state{0};  // kWaitArming... (pollfd.h)
  G* g = nullptr;
};

// PollNode: a waiter's place in one direction queue of one descriptor. A
// poll() over 100 fds queues 100 nodes (on its stack) that share one
// PollWait; a read or write waits with the G's own node (G.ionode).
struct PollNode {
  PollWait* w = nullptr;    // immutable while queued
  PollDesc* pd = nullptr;   // immutable
  uint32_t gen = 0;         // pd->gen the caller saw; a mismatch means closed
  uint32_t seq = 0;         // pd->seq[dir] before the caller's last attempt
  uint8_t dir = 0;          // PollDir
  bool io = false;          // an I/O call (woken one at a time) vs poll/select (all)
  bool closing = false;     // poll/select only: the fd was being closed when the
                            // node was made (kind kClosing at gen); the node waits
                            // for the close to finish (pd_close_end, or the reset
                            // of a dup2 or of a hook that reuses the number)
  // queued: written under pd->lock; a waker's release store of false in
  // dequeue is its last touch of the node, so the owner may read it without
  // the lock once its wait is decided (pd_wait).
  std::atomic<bool> queued{false};
  PollNode* prev = nullptr; // [pd->lock]
  PollNode* next = nullptr; // [pd->lock]
};

// Layout: a switch touches the first cache line only (execute, the context
// switch, sig_switch_in), netpoll waking a G in read() the first two, and
// the G's own park and wake-up (pd_wait, park, the cancel and signal
// checks) the third, so a G taken cold off a run queue or a wait queue
// costs at most three misses, which runq_prefetch and netpoll ask for
// ahead (the park fields used to be spread over lines 2-4; gathering them
// measured within the noise on a loaded host, but it cannot cost a miss);
// the rest is read by the G itself or on slower paths.
struct alignas(64) G {
  // --- the switch (scheduling: see GStatus for who may write status) ---
  std::atomic<GStatus> status{GStatus::kIdle};
  uint32_t magic = 0;          // kGMagic while the struct is in use
  ctx::Context ctx = nullptr;  // saved context while not running; written by g0
  M* m = nullptr;              // M running this G; set by execute, read by the G
  M* lockedm = nullptr;        // non-null: runs only on that M (main G, LockOSThread)
  G* schedlink = nullptr;      // run/free-list link; owned by the list's holder
  // tcb: the TCB (glibc struct pthread) loaded into the FS base while this G
  // runs, and the G's pthread_t (tls.cpp). Set at creation (G1: the main
  // thread's), cleared by g0 when the G is gone.
  void* tcb = nullptr;
  // sigmask: the pthread's signal mask (bit s-1 for signal s; signal.cpp).
  // Written only by the G itself (pthread_sigmask, handler entry/exit), read
  // by anyone.
  std::atomic<uint64_t> sigmask{0};
  void* alt_sp = nullptr;      // the G's sigaltstack base (with alt_size below)

  // --- the fd wait (second cache line: what netpoll touches to wake it) ---
  // pollwait is the PollWait of the G's current wait on fds; ionode its
  // place in the queue when that wait is one read or write (fdio.cpp).
  // Owned by the G; wakers reach them only while queued (pollfd.cpp).
  PollWait pollwait;
  PollNode ionode;

  // --- the park (third cache line: what a park and its wake-up touch,
  // interrupt checks included; see runq_prefetch) ---
  // What the G is parked in, for interrupt (cancel.cpp): written by the G
  // before it parks and after it wakes, read by anyone.
  std::atomic<uint8_t> park_kind{0};  // ParkKind
  WaitReason wait_reason = WaitReason::kNone;
  // sig_fd_wake: a signal the G blocks and a signalfd reads was directed at
  // it; its next (or current) fd wait ends once, so that a read of a
  // signalfd looks again (sig_fd_read). Set by the sender (seq_cst, before
  // it reads park_kind), taken by the G's fd wait or by pd_interrupt.
  std::atomic<bool> sig_fd_wake{false};
  // is_g0: an M's scheduler stack, never a pthread. Written at creation.
  // Here, not with the identity below, because every hook reads it (on_g).
  bool is_g0 = false;
  // Cancellation (cancel.cpp): kCancel* bits; the pending bit is set by any
  // thread, the others only by the G itself.
  std::atomic<uint32_t> cancel{0};
  // The wait record of the current interruptible park, for kinds that need
  // one (kParkFd: the PollWait; kParkSigwait: the SigWait). Written by the G
  // before it publishes park_kind, read by park_interrupt.
  void* park_record = nullptr;
  // sigpending: signals directed at this G and not yet delivered. Bits are
  // set by any thread (the signal dispatcher, pthread_kill, the trampoline
  // on this G's M) and cleared by the G under siglock.
  std::atomic<uint64_t> sigpending{0};
  SpinLock siglock;            // guards sigq
  // sig_depth: handler levels running on this G (see sig_sps below); every
  // hook reads it (on_g), so it sits on this line. This G only.
  int32_t sig_depth = 0;
  struct SigNode* sigq = nullptr;  // their siginfo, FIFO; guarded by siglock
  int64_t wait_since = 0;      // nanotime when parked (to a sysmon period; park)
  uint32_t wait_seq = 0;       // bumped per timed park; the timer carries it
  // kt_pending: read after every park; see kt below.
  std::atomic<uint8_t> kt_pending{0};
  // fd_waiting: the G's current park counts in netpoll_waiters. Set by g0
  // in the wait's commit, cleared by the G when park returns (netpoll.h).
  bool fd_waiting = false;
  uint8_t park_seq = 0;        // bumped by the G per park (dump.cpp: did it move?)

  // --- identity (written at creation, read by anyone) ---
  uint64_t goid = 0;           // 1 = main; unique for the process lifetime

  // --- parking ---
  // When the G's current syscall-path call is known to have begun (0:
  // unknown, or not in one), for the dump. Set by the G in
  // entersyscallblock, or by sysmon just before it retakes the G's P (the
  // last time it saw the P make progress: within one sysmon period of the
  // call's start); cleared by the G in exitsyscall. Relaxed: display only.
  std::atomic<int64_t> syscall_since{0};
  WaitNode wait;               // wait-table entry (futex.cpp)
  Timer timer;                 // deadline of the current park; owned by the G

  // --- signals (signal.cpp) ---
  // For the innermost kSigLevels handler levels (sig_depth above), the
  // stack pointer each one interrupted (sig_sps[i] for level i+1), so that a
  // longjmp out of some of them drops exactly those (see "Handler levels" in
  // signal.cpp). This G only.
  static constexpr int kSigLevels = 16;
  uintptr_t sig_sps[kSigLevels] = {};
  // The G's alternate signal stack (sigaltstack, from alt_sp); loaded into
  // its M's kernel thread when it switches in. This G only.
  size_t alt_size = 0;
  int alt_flags = 0;

  // --- stack ---
  Stack stack;
  bool user_stack = false;

  // --- the pthread (thread.cpp) ---
  void* (*start)(void*) = nullptr;
  void* arg = nullptr;
  void* retval = nullptr;
  std::atomic<uint32_t> join{kJoinable};  // JoinState; a futex word for joiners
  G* joiner = nullptr;
  size_t guard_size = 0;       // as requested in the attr (reported by getattr_np)
  char name[16] = {};
  KeyBlock* keys = nullptr;    // pthread_key values; touched only by this G
  void* cleanup = nullptr;     // __pthread_register_cancel chain (thread.cpp)
  void* unwind_jmp = nullptr;  // where a forced unwind (pthread_exit) lands
  bool c11 = false;            // made by thrd_create: start returns int
  // pins counts the mutexes this G holds that the kernel tracks by tid (PI,
  // robust, priority-protect; see "Mutexes the kernel sees" in sync.cpp);
  // while it is non-zero the G is locked to its M. pinned says the lock is
  // ours to undo (G1 may be locked already). Touched only by this G.
  int32_t pins = 0;
  bool pinned = false;
  // Kernel-thread attributes (kthread.cpp): what the program asked for,
  // allocated on the first change or at creation when inherited ones differ
  // from the defaults [kthread's lock]; kt_pending says another thread (or
  // the creator) changed them and the G applies them after its next park or
  // at its start (set under that lock, cleared by the G).
  struct KtAttr* kt = nullptr;
};

// g_thread_id is the thread identity of a G that is not G1: its TCB's tid,
// its mutex owner id and what gettid() returns. Above PID_MAX_LIMIT
// (4194304), so it never names a real task, and inside FUTEX_TID_MASK.
inline int32_t g_thread_id(const G* g) { return int32_t(0x400000 + g->goid % 0x3fb00000); }

constexpr uint32_t kGMagic = 0x47e3a11d;

// ParkKind: which interruptible wait a G is parked in (interrupt.h).
enum ParkKind : uint8_t {
  kParkNone = 0,
  kParkFutex = 1,    // the wait table (futex.cpp)
  kParkSleep = 2,    // a sleep on the G's own timer (sleep.cpp)
  kParkFd = 3,       // poll descriptors: read/write/accept/poll... (pollfd.cpp)
  kParkSigwait = 4,  // sigwait/sigsuspend/pause (signal.cpp)
};
enum : uint32_t { kCancelPending = 1, kCancelDisabled = 2, kCancelAsync = 4, kCancelExiting = 8 };

// g_from_handle returns the live G for a pthread_t that libgmp created, or
// nullptr for any other value (a real glibc thread, garbage, a G that is
// gone).
G* g_from_handle(uintptr_t handle);
// g_in_arena: handle is one libgmp could have made (a G or TCB arena
// address, live or not): never a glibc thread's.
bool g_in_arena(uintptr_t handle);
// g_alloc returns a fresh or recycled G (status Idle) or nullptr at the limit.
G* g_alloc();
// g_release puts a finished G back on the free list.
void g_release(G* g);
// g_fork_lock/unlock: the free list is held across fork() (fork.cpp).
void g_fork_lock();
void g_fork_unlock();
// g_count is the number of G structs ever carved (for stats and dumps).
uint64_t g_count();
// g_foreach calls fn for every G struct ever carved (live or free).
template <class F> void g_foreach(F fn);

// the arena, for g_foreach
G* g_arena_base();

template <class F> void g_foreach(F fn) {
  uint64_t n = g_count();
  G* base = g_arena_base();
  for (uint64_t i = 0; i < n; i++) fn(&base[i]);
}

}  // namespace gmp
