// signal.cpp — POSIX signals for green threads.
//
// A signal's mask, pending set and alternate stack belong to a kernel thread,
// and our pthreads are Gs that move between kernel threads (Ms). The model:
//
// Masks. Each G has its own mask (G.sigmask), inherited at pthread_create;
// pthread_sigmask/sigprocmask act on it. The kernel mask of an M follows the
// G it runs: sig_switch_in loads the G's mask when it differs from the M's
// (one comparison per switch; a syscall only when Gs with different masks
// share an M). So the kernel itself picks, for a process-directed signal, a
// thread whose running G does not block it, and a signal arriving during a
// blocking system call interrupts it (EINTR or restart) exactly as natively.
// An M running no G (idle, in the scheduler) keeps the last G's mask; sysmon
// blocks nothing (but what a signalfd reads), so a signal every running G
// blocks is still received — by sysmon or an idle M — and queued here
// instead of lost.
//
// The trampoline. For every signal the program catches, and for every
// signal whose default is not "ignore" (terminate, core, stop: so that a G's
// mask can hold it back; see "Default actions"), the kernel handler is
// sig_tramp. It never takes a lock and never
// allocates. On a G that does not block the signal and is in program code
// (not inside libgmp, tls_nosig == 0: no runtime lock held on this thread
// pointer), it runs the program's handler right there — on the G's stack or
// the M's alternate stack — which is native delivery. Otherwise it pushes
// the siginfo into a lock-free ring and wakes sysmon.
//
// The dispatcher (sig_poll, on sysmon, which never runs program code) routes
// each queued signal as the kernel would have: to a G in sigwait for it;
// else to one G that does not block it (main first, as Linux prefers the
// main thread), where it becomes pending for that G; else it stays pending
// for the process until a G unblocks it or waits for it. A default action
// (terminate) is carried out at once, by the kernel, once some G may take it.
//
// Pending for a G (G.sigpending, G.sigq) is delivered by the G itself at a
// safe point: an interrupted park (futex, sleep, fd, sigwait: interrupt.h)
// wakes and runs the handlers before its call returns EINTR or restarts;
// a G running program code gets a "kick" — the same signal, queued to its M
// with a marked siginfo — and the trampoline delivers its pending set; a G
// inside the runtime is retried by sysmon until it is back in program code.
//
// Handlers run with the G's mask extended by sa_mask (and the signal unless
// SA_NODEFER), G.sig_depth > 0: hooks called from a handler never park
// (on_g() is false), so async-signal-safe calls such as sem_post and write
// work from handlers.
//
// Handler levels. Handlers nest (one raises another signal, or a second
// signal arrives in the first), and any level may be left by longjmp
// instead of a return: a SIGUSR2 handler may jump back into the SIGUSR1
// handler that raised it (leaving one level) or to the thread's own code
// (leaving both). Each level records the stack pointer it interrupted
// (G.sig_sps, bounded; run_one), and a jump whose target stack pointer is
// known (the hooked longjmps: sig_longjmp) drops every level it leaves
// (leave_levels): on the same stack, a level is left when the target is at
// or above the point it interrupted; a level that interrupted code on the
// alternate stack is left by any jump off that stack; a level that
// interrupted the thread's own stack is never left by a jump that lands on
// the alternate stack (that is inside some handler). A handler's normal
// return puts the depth back to what it was at its entry, whatever its
// nested levels did. sig_in_handler applies the same rule to the caller's
// own stack pointer, which catches a jump no hook saw (a C++ exception, a
// jump made by the program's own code). Before, only the outermost entry
// was kept and a jump left either every level or none: after a jump back
// into an outer handler the depth stayed one too high, and the G counted as
// in a handler (its waits passed through to the kernel and hung) whenever it
// called from deeper in its stack than that handler had run.
//
// Default actions. Every signal whose default is not "ignore" (terminate,
// core, stop: SIGTERM, SIGUSR1, SIGQUIT, SIGTSTP, SIGSEGV sent with kill...)
// has the trampoline as its kernel handler while the program keeps SIG_DFL,
// so that a per-G mask holds it back exactly like a caught one: with every G
// blocking it, it stays pending for the process (sigpending shows it,
// sigwait takes it) instead of acting on whichever kernel thread (sysmon,
// an idle M) the kernel found unblocked. Once some G may take it, the
// kernel does the action (default_action: SIG_DFL restored on one thread,
// the signal sent to it; a stop returns when the process continues). Three
// refinements: a real fault (si_code > 0) under SIG_DFL ends the process at
// once on the faulting thread (fault_default; a blocked one the kernel
// forces through itself, as natively); a runtime hook for the default
// (SIGQUIT's dump) runs at once on the receiving thread unless every G
// blocks the signal, so a dump never needs sysmon; and a stop signal drops
// a pending SIGCONT and SIGCONT the pending stops (discard_pending), as the
// kernel does for the signals it holds. Before, sync and stop signals kept
// the kernel's SIG_DFL and sysmon blocked only the stops: kill(SIGSEGV) or
// SIGQUIT that every G blocked killed the process through sysmon, and a
// blocked SIGTSTP stopped it through an M that had not loaded a G's mask.
//
// signalfd. Signals a signalfd reads stay in the kernel (sysmon and fresh
// Ms block them), where the fd sees them. A thread-directed one, which
// libgmp keeps on the G, is moved to the queue of the G's kernel thread
// when the G reads a signalfd for it (sig_fd_read, from the read path; a G
// already parked in that read is woken once, G.sig_fd_wake), so the read
// returns it as natively — and a signal directed at another G stays that
// G's. poll/epoll on the signalfd does not see such a signal until it is
// read.
//
// Thread-directed signals: pthread_kill and pthread_sigqueue to a G queue on
// that G; glibc's internal raise (abort) and the kernel's SIGPIPE/SIGXFSZ,
// sent to the current kernel thread, belong to the G running there.
//
// glibc's own signals: set*id runs its broadcast here (sig_setxid) with our
// handler on SIGSETXID's number, since glibc's handler reads the thread
// pointer, which is a G's block, and would never answer.
#include "runtime/signal.h"

#include <cerrno>
#include <setjmp.h>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <link.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "preload/real.h"
#include "runtime/context.h"
#include "runtime/interrupt.h"
#include "runtime/lock.h"
#include "runtime/os.h"
#include "runtime/rawlog.h"
#include "runtime/sched.h"
#include "runtime/sched_internal.h"
#include "runtime/thread.h"
#include "runtime/tls.h"

namespace gmp {

void sysmon_kick();

namespace {

constexpr int kNSig = 64;
constexpr int kSigCancel = 32;
constexpr int kSigSetxid = 33;
inline constexpr uint64_t bit(int s) { return 1ull << (s - 1); }
constexpr uint64_t kUnblockable = bit(SIGKILL) | bit(SIGSTOP) | bit(kSigCancel) | bit(kSigSetxid);
// Synchronous faults and abort's raise. A real fault (si_code > 0) is the
// faulting thread's and acted on at once, even under a mask (the kernel
// forces a blocked one: SIG_DFL, unblocked); the same numbers sent with
// kill, raise or sigqueue (si_code <= 0) are ordinary signals and wait
// behind the masks like any other ("Default actions" below).
constexpr uint64_t kSync = bit(SIGSEGV) | bit(SIGBUS) | bit(SIGILL) | bit(SIGFPE) | bit(SIGTRAP) |
                           bit(SIGSYS) | bit(SIGABRT);
constexpr uint64_t kStop = bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU);
constexpr uint64_t kDflIgnore = bit(SIGCHLD) | bit(SIGURG) | bit(SIGWINCH) | bit(SIGCONT);
constexpr int kKickMagic = 0x474d5053;  // si_errno of a kick
constexpr int kSsAutodisarm = 1 << 31;  // kSsAutodisarm (linux/signal.h)
constexpr int kSaRestorer = 0x04000000;  // the kernel flag glibc sets with its restorer

uint64_t to_bits(const sigset_t* s) {
  uint64_t b;
  memcpy(&b, s, sizeof b);
  return b;
}
void from_bits(uint64_t b, sigset_t* s) {
  memset(s, 0, sizeof *s);
  memcpy(s, &b, sizeof b);
}

////////////////////////////////////////////////////////////////////////////
// Dispositions
////////////////////////////////////////////////////////////////////////////

// The program's view of each signal's action. Written under g_disp_lock (by
// sigaction, or by a handler's SA_RESETHAND), read by anyone without it.
struct Disp {
  std::atomic<uintptr_t> handler{0};  // SIG_DFL (0), SIG_IGN (1) or a function
  std::atomic<int> flags{0};
  std::atomic<uint64_t> mask{0};
};
Disp g_disp[kNSig + 1];
SpinLock g_disp_lock;
// Runtime handlers used while the program keeps SIG_DFL (SIGQUIT: the dump).
void (*g_dfl_hook[kNSig + 1])(int, siginfo_t*, void*);
// Default-ignore signals some G has blocked: from then on they are caught
// (sticky), so that one blocked everywhere stays pending for sigwait.
std::atomic<uint64_t> g_managed_ignore{0};
void* g_restorer = nullptr;  // glibc's sigreturn trampoline
pid_t g_pid = 0;
uintptr_t g_text_lo = 0, g_text_hi = 0;  // libgmp's code
uintptr_t g_user_io_lo = 0, g_user_io_hi = 0;  // ...but for os.h's non-blocking I/O
std::atomic<bool> g_ready{false};

extern "C" void gmp_sig_tramp(int s, siginfo_t* si, void* uc);

bool is_fn(uintptr_t h) { return h != uintptr_t(SIG_DFL) && h != uintptr_t(SIG_IGN); }

// kinstall sets the kernel action of s from the program's (g_disp_lock held
// or single-threaded).
void kinstall(int s) {
  uintptr_t h = g_disp[s].handler.load(std::memory_order_relaxed);
  int fl = g_disp[s].flags.load(std::memory_order_relaxed);
  os::KSigaction k{};
  k.restorer = g_restorer;
  k.flags = kSaRestorer;
  if (h == uintptr_t(SIG_IGN)) {
    k.handler = reinterpret_cast<void*>(SIG_IGN);
  } else if (h == uintptr_t(SIG_DFL)) {
    if ((bit(s) & kDflIgnore) && !(g_managed_ignore.load(std::memory_order_relaxed) & bit(s))) {
      k.handler = reinterpret_cast<void*>(SIG_DFL);
    } else {
      k.handler = reinterpret_cast<void*>(gmp_sig_tramp);
      k.flags |= SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    }
  } else {
    k.handler = reinterpret_cast<void*>(gmp_sig_tramp);
    k.flags |= SA_SIGINFO | (fl & (SA_RESTART | SA_ONSTACK | SA_NODEFER));
    k.mask = g_disp[s].mask.load(std::memory_order_relaxed);
  }
  os::rt_sigaction(s, &k, nullptr);
}

bool tramp_installed(int s) {
  uintptr_t h = g_disp[s].handler.load(std::memory_order_relaxed);
  if (is_fn(h)) return true;
  if (h == uintptr_t(SIG_IGN)) return false;
  if (bit(s) & kDflIgnore) return g_managed_ignore.load(std::memory_order_relaxed) & bit(s);
  return true;
}

void manage_ignored(uint64_t blocked) {
  uint64_t add = blocked & kDflIgnore & ~g_managed_ignore.load(std::memory_order_relaxed);
  if (!add) return;
  Guard<SpinLock> l(g_disp_lock);
  g_managed_ignore.fetch_or(add);
  for (int s = 1; s <= kNSig; s++)
    if (add & bit(s)) kinstall(s);
}

////////////////////////////////////////////////////////////////////////////
// siginfo nodes (never touched by the trampoline)
////////////////////////////////////////////////////////////////////////////

}  // namespace
struct SigNode {
  siginfo_t info;
  SigNode* next;
};
namespace {
// kPool nodes in one reservation, handed out in order the first time and
// recycled through the free list after: only the pages of nodes ever used
// become resident (linking all 4096 at start made 544 KiB resident in every
// preloaded process). All three guarded by g_pool_lock.
constexpr int kPool = 4096;
SigNode* g_pool_free = nullptr;
SigNode* g_pool_base = nullptr;
int g_pool_used = 0;
SpinLock g_pool_lock;

SigNode* node_get(const siginfo_t& info) {
  SigNode* n;
  {
    Guard<SpinLock> l(g_pool_lock);
    n = g_pool_free;
    if (n)
      g_pool_free = n->next;
    else if (g_pool_base != nullptr && g_pool_used < kPool)
      n = &g_pool_base[g_pool_used++];
  }
  if (n) {
    n->info = info;
    n->next = nullptr;
  }
  return n;
}
void node_put(SigNode* n) {
  Guard<SpinLock> l(g_pool_lock);
  n->next = g_pool_free;
  g_pool_free = n;
}

siginfo_t synth(int s, int code) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_signo = s;
  si.si_code = code;
  si.si_pid = g_pid;
  si.si_uid = getuid();
  return si;
}

////////////////////////////////////////////////////////////////////////////
// The trampoline -> dispatcher ring (multi-producer, sysmon consumes)
////////////////////////////////////////////////////////////////////////////

constexpr uint32_t kRing = 256;
struct Slot {
  std::atomic<uint32_t> seq;
  siginfo_t info;
};
Slot g_ring[kRing];
std::atomic<uint32_t> g_ring_head{0};
uint32_t g_ring_tail = 0;                // [g_ring_take_lock]
// g_ring_take_lock: held by whoever empties the ring and routes what it
// took — sysmon (sig_poll), or a G whose timed sigwait is about to time out
// (sweep). Taken before any other signal lock, never by the trampoline.
SpinLock g_ring_take_lock;
std::atomic<uint64_t> g_ring_lost{0};    // signals dropped on a full ring (delivered without info)
std::atomic<bool> g_retry{false};        // some G has an undelivered signal
// Signals some signalfd reads: sysmon blocks them, so that one every G
// blocks stays pending in the kernel where the signalfd sees it.
std::atomic<uint64_t> g_sfd_bits{0};
uint64_t g_sysmon_mask = 0;              // sysmon only

void ring_init() {
  for (uint32_t i = 0; i < kRing; i++) g_ring[i].seq.store(i, std::memory_order_relaxed);
  g_ring_head.store(0, std::memory_order_relaxed);
  g_ring_tail = 0;
  g_ring_lost.store(0, std::memory_order_relaxed);
}

void ring_push(const siginfo_t* si) {
  uint32_t pos = g_ring_head.load(std::memory_order_relaxed);
  for (;;) {
    Slot& sl = g_ring[pos % kRing];
    uint32_t seq = sl.seq.load(std::memory_order_acquire);
    int32_t dif = int32_t(seq - pos);
    if (dif == 0) {
      if (g_ring_head.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
        sl.info = *si;
        sl.seq.store(pos + 1, std::memory_order_release);
        return;
      }
    } else if (dif < 0) {
      g_ring_lost.fetch_or(bit(si->si_signo), std::memory_order_relaxed);
      return;
    } else {
      pos = g_ring_head.load(std::memory_order_relaxed);
    }
  }
}

bool ring_pop(siginfo_t* out) {
  Slot& sl = g_ring[g_ring_tail % kRing];
  if (sl.seq.load(std::memory_order_acquire) != g_ring_tail + 1) return false;
  *out = sl.info;
  sl.seq.store(g_ring_tail + kRing, std::memory_order_release);
  g_ring_tail++;
  return true;
}

////////////////////////////////////////////////////////////////////////////
// Process-pending signals and sigwait records (g_sig_lock)
////////////////////////////////////////////////////////////////////////////

struct SigWait {
  enum : uint32_t { kWaiting = 0, kGot = 1, kTimeout = 2, kInterrupted = 3 };
  uint64_t set = 0;
  siginfo_t info;
  uint32_t state = kWaiting;  // [g_sig_lock]
  bool linked = false;        // [g_sig_lock]
  G* g = nullptr;
  SigWait* next = nullptr;
  SigWait* prev = nullptr;
};

SpinLock g_sig_lock;
SigWait* g_waiters = nullptr;  // [g_sig_lock]
SigNode* g_procq = nullptr;    // [g_sig_lock] FIFO of process-pending signals
uint64_t g_procbits = 0;       // [g_sig_lock] their numbers (a node may be missing: lost info)

void waiter_unlink(SigWait* w) {
  if (w->prev) w->prev->next = w->next; else g_waiters = w->next;
  if (w->next) w->next->prev = w->prev;
  w->next = w->prev = nullptr;
  w->linked = false;
}

void proc_push_locked(const siginfo_t& info) {
  int s = info.si_signo;
  if ((g_procbits & bit(s)) && s < SIGRTMIN) return;  // standard signals do not queue
  SigNode* n = node_get(info);
  g_procbits |= bit(s);
  if (!n) return;
  SigNode** pp = &g_procq;
  while (*pp) pp = &(*pp)->next;
  *pp = n;
}

// proc_take_locked removes one process-pending signal in want (lowest first).
// list_take unlinks the first node of signal s from a FIFO of nodes into
// *out; *more says whether another one of s stays queued. The caller holds
// the list's lock. Returns whether there was one.
bool list_take(SigNode** head, int s, siginfo_t* out, bool* more) {
  bool found = false;
  for (SigNode** pp = head; *pp;) {
    SigNode* n = *pp;
    if (n->info.si_signo == s) {
      if (!found) {
        *out = n->info;
        *pp = n->next;
        node_put(n);
        found = true;
        continue;
      }
      *more = true;
    }
    pp = &n->next;
  }
  return found;
}

bool proc_take_locked(uint64_t want, siginfo_t* out) {
  uint64_t have = g_procbits & want;
  if (!have) return false;
  int s = __builtin_ctzll(have) + 1;
  bool more = false;
  bool found = list_take(&g_procq, s, out, &more);
  if (!found) *out = synth(s, SI_USER);
  if (!more) g_procbits &= ~bit(s);
  return true;
}

////////////////////////////////////////////////////////////////////////////
// Per-G pending
////////////////////////////////////////////////////////////////////////////

void g_queue(G* g, const siginfo_t& info) {
  int s = info.si_signo;
  SigNode* n = nullptr;
  bool queue = s >= SIGRTMIN || !(g->sigpending.load(std::memory_order_relaxed) & bit(s));
  if (queue) n = node_get(info);
  Guard<SpinLock> l(g->siglock);
  if (n) {
    SigNode** pp = &g->sigq;
    while (*pp) pp = &(*pp)->next;
    *pp = n;
  }
  g->sigpending.fetch_or(bit(s), std::memory_order_seq_cst);
}

// g_take removes signal s from g's pending set; the info is synthesized when
// the signal came without one (the trampoline's thread-directed ones).
void g_take(G* g, int s, siginfo_t* out) {
  Guard<SpinLock> l(g->siglock);
  bool more = false;
  bool found = list_take(&g->sigq, s, out, &more);
  if (!found) *out = synth(s, (s == SIGPIPE || s == SIGXFSZ) ? SI_USER : SI_TKILL);
  if (!more) g->sigpending.fetch_and(~bit(s), std::memory_order_seq_cst);
}

bool g_live(G* g) {
  if (g->magic != kGMagic || g->is_g0) return false;
  GStatus st = g->status.load(std::memory_order_acquire);
  return st == GStatus::kRunnable || st == GStatus::kRunning || st == GStatus::kSyscall || st == GStatus::kWaiting;
}

void kick(G* g, int s) {
  M* m = g->m;
  if (m == nullptr || !tramp_installed(s)) return;
  siginfo_t si = synth(s, SI_QUEUE);
  si.si_errno = kKickMagic;
  os::rt_tgsigqueueinfo(g_pid, m->tid, s, &si);
}

// notify makes g act on its new pending signal s (see the file comment).
void notify(G* g, int s) {
  bool sfd_wake = (g_sfd_bits.load(std::memory_order_relaxed) & bit(s)) &&
                  (g->sigmask.load(std::memory_order_seq_cst) & bit(s));
  if (sfd_wake) g->sig_fd_wake.store(true, std::memory_order_seq_cst);
  uint8_t kind = g->park_kind.load(std::memory_order_seq_cst);
  if (kind == kParkSigwait) {  // it may be waiting for s: let it look
    park_interrupt(g);
    return;
  }
  if (g->sigmask.load(std::memory_order_seq_cst) & bit(s)) {
    // Blocked: it may still be what the G's read of a signalfd is waiting
    // for (sig_fd_read): let the read look again.
    if (kind == kParkFd && sfd_wake) park_interrupt(g);
    return;
  }
  if (kind != kParkNone) {
    park_interrupt(g);
    return;
  }
  if (g == getg()) return;  // the caller delivers on its way out
  GStatus st = g->status.load(std::memory_order_acquire);
  if (st == GStatus::kRunning || st == GStatus::kSyscall) kick(g, s);
  g_retry.store(true, std::memory_order_release);
  sysmon_kick();
}

// default_action carries out what SIG_DFL does for s to the whole process,
// now that some G may take s (see "Default actions"). A runtime hook for the
// default (SIGQUIT's dump) runs instead, and ends the process itself.
void default_action(int s, siginfo_t* info, void* uc) {
  if (bit(s) & kDflIgnore) return;
  if (g_dfl_hook[s]) {
    uint64_t m = bit(s);  // the hook ends the process with s sent to this thread
    os::rt_sigprocmask(SIG_UNBLOCK, &m, nullptr);
    g_dfl_hook[s](s, info, uc);
    return;
  }
  // Let the kernel do it: default action, unblocked here, sent to this thread.
  os::KSigaction k{};
  k.handler = reinterpret_cast<void*>(SIG_DFL);
  os::rt_sigaction(s, &k, nullptr);
  uint64_t m = bit(s), before = 0;
  os::rt_sigprocmask(SIG_UNBLOCK, &m, &before);
  os::tgkill(g_pid, os::gettid(), s);
  // A stop signal returns here once the process continues (the stop happened
  // on the way out of tgkill): this thread's mask and the action come back.
  os::rt_sigprocmask(SIG_SETMASK, &before, nullptr);
  Guard<SpinLock> l(g_disp_lock);
  kinstall(s);
}

// fault_default ends the process for a real fault s (si_code > 0) under
// SIG_DFL, from the trampoline on the faulting thread, as the kernel would
// have: the default action, s unblocked in the mask sigreturn restores, and
// s sent again to this thread (with its siginfo when the kernel allows it,
// that is on the main thread), so it is taken on the way back even when
// the instruction does not fault again (int3, a seccomp trap).
void fault_default(int s, siginfo_t* si, ucontext_t* uc) {
  os::KSigaction k{};
  k.handler = reinterpret_cast<void*>(SIG_DFL);
  os::rt_sigaction(s, &k, nullptr);
  sigdelset(&uc->uc_sigmask, s);
  pid_t tid = os::gettid();
  if (os::rt_tgsigqueueinfo(g_pid, tid, s, si) != 0) os::tgkill(g_pid, tid, s);
}

// held_everywhere: every live G blocks s (lock-free; the trampoline may ask).
bool held_everywhere(int s) {
  bool held = true;
  g_foreach([&](G* g) {
    if (held && g_live(g) && !(g->sigmask.load(std::memory_order_relaxed) & bit(s))) held = false;
  });
  return held;
}

uintptr_t cur_sp() { return reinterpret_cast<uintptr_t>(__builtin_frame_address(0)); }

// How far above a level's entry a stack pointer may be and still be on the
// same stack (a larger distance is another stack: the comparison is void).
constexpr uintptr_t kStackSpan = uintptr_t(8) << 20;

bool on_altstack(G* g, uintptr_t sp) {
  return g->alt_sp && sp >= uintptr_t(g->alt_sp) && sp < uintptr_t(g->alt_sp) + g->alt_size;
}

// level_left: a G whose stack pointer is now target has left the handler
// level that interrupted it at entry (see "Handler levels").
bool level_left(G* g, uintptr_t entry, uintptr_t target) {
  bool e_alt = on_altstack(g, entry), t_alt = on_altstack(g, target);
  if (e_alt != t_alt) return e_alt;
  return target >= entry && target - entry < kStackSpan;
}

// leave_levels drops the handler levels of g (the current G) that a G
// whose stack pointer is target has left, innermost first. Levels deeper
// than G::kSigLevels are not recorded: they count as left with the deepest
// recorded one, and as still running otherwise.
void leave_levels(G* g, uintptr_t target) {
  int32_t d = g->sig_depth;
  if (d <= 0) return;
  if (d > G::kSigLevels) {
    if (!level_left(g, g->sig_sps[G::kSigLevels - 1], target)) return;
    d = G::kSigLevels - 1;
  }
  while (d > 0 && level_left(g, g->sig_sps[d - 1], target)) d--;
  g->sig_depth = d;
}

void call_handler(uintptr_t h, int fl, int s, siginfo_t* info, void* uc) {
  if (fl & SA_SIGINFO)
    reinterpret_cast<void (*)(int, siginfo_t*, void*)>(h)(s, info, uc);
  else
    reinterpret_cast<void (*)(int)>(h)(s);
}

struct AltCall {
  uintptr_t h;
  int fl, s;
  siginfo_t* info;
  void* uc;
  ctx::Context back;
};

// alt_entry runs a handler on the alternate stack and jumps back.
void alt_entry(ctx::Transfer t) {
  auto* c = static_cast<AltCall*>(t.data);
  c->back = t.fctx;
  call_handler(c->h, c->fl, c->s, c->info, c->uc);
  ctx::jump(c->back, nullptr);
}

// run_one runs the program's action for s on g (the current G). Returns
// whether a handler ran; clears *restart if it lacked SA_RESTART.
bool run_one(G* g, int s, siginfo_t* info, void* uc, uintptr_t sp, bool* restart, int saved_errno) {
  uintptr_t h = g_disp[s].handler.load(std::memory_order_acquire);
  int fl = g_disp[s].flags.load(std::memory_order_relaxed);
  uint64_t hm = g_disp[s].mask.load(std::memory_order_relaxed);
  if (h == uintptr_t(SIG_IGN)) return false;
  if (h == uintptr_t(SIG_DFL)) {
    default_action(s, info, uc);
    return false;
  }
  if (fl & SA_RESETHAND) {
    Guard<SpinLock> l(g_disp_lock);
    g_disp[s].handler.store(uintptr_t(SIG_DFL));
    g_disp[s].flags.store(0);
    kinstall(s);
  }
  leave_levels(g, sp);  // levels some jump left unseen (see "Handler levels")
  int32_t level = g->sig_depth;
  if (level < G::kSigLevels) g->sig_sps[level] = sp;
  g->sig_depth = level + 1;
  uint64_t old = g->sigmask.load(std::memory_order_relaxed);
  g->sigmask.store((old | hm | ((fl & SA_NODEFER) ? 0 : bit(s))) & ~kUnblockable, std::memory_order_seq_cst);
  errno = saved_errno;
  uintptr_t here = cur_sp();
  bool on_alt = g->alt_sp && here >= uintptr_t(g->alt_sp) && here < uintptr_t(g->alt_sp) + g->alt_size;
  if ((fl & SA_ONSTACK) && g->alt_sp && !on_alt) {
    // Delivered by us, not the kernel (a parked G, a kick): move to the
    // G's alternate stack as the kernel would have.
    AltCall call{h, fl, s, info, uc, nullptr};
    ctx::Context c = ctx::make(static_cast<char*>(g->alt_sp) + g->alt_size, g->alt_size, alt_entry);
    ctx::jump(c, &call);
  } else {
    call_handler(h, fl, s, info, uc);
  }
  g->sigmask.store(old, std::memory_order_seq_cst);
  g->sig_depth = level;
  if (!(fl & SA_RESTART)) *restart = false;
  return true;
}

// deliver_pending runs every pending unblocked signal of g (the current G,
// at a safe point). Returns whether a handler ran.
bool deliver_pending(G* g, void* uc, uintptr_t sp, bool* restart) {
  bool ran = false;
  for (;;) {
    uint64_t have = g->sigpending.load(std::memory_order_seq_cst) & ~g->sigmask.load(std::memory_order_relaxed);
    if (!have) return ran;
    int s = __builtin_ctzll(have) + 1;
    siginfo_t info;
    g_take(g, s, &info);
    int e = errno;
    ucontext_t mine;
    if (uc == nullptr && (g_disp[s].flags.load(std::memory_order_relaxed) & SA_SIGINFO)) {
      getcontext(&mine);
      uc = &mine;
    }
    if (run_one(g, s, &info, uc, sp, restart, e)) ran = true;
  }
}

// apply_mask makes the kernel mask of the current M match g's.
void apply_mask(G* g) {
  M* m = g->m;
  uint64_t want = g->sigmask.load(std::memory_order_relaxed);
  if (m == nullptr) return;
  if (m->kmask != want) {
    os::rt_sigprocmask(SIG_SETMASK, &want, nullptr);
    m->kmask = want;
  }
}

// pull_process moves process-pending signals that g no longer blocks to g.
void pull_process(G* g, uint64_t unblocked) {
  for (;;) {
    siginfo_t info;
    bool got;
    {
      Guard<SpinLock> l(g_sig_lock);
      got = proc_take_locked(unblocked, &info);
    }
    if (!got) return;
    g_queue(g, info);
  }
}

////////////////////////////////////////////////////////////////////////////
// Routing (sysmon or a G in a hook; never the trampoline)
////////////////////////////////////////////////////////////////////////////

G* pick(int s) {
  G* best = nullptr;
  g_foreach([&](G* g) {
    if (best && best->goid == 1) return;
    if (!g_live(g) || (g->sigmask.load(std::memory_order_relaxed) & bit(s))) return;
    if (!best || g->goid == 1) best = g;
  });
  return best;
}

// POSIX timers with SIGEV_THREAD_ID naming a green thread (hooks/signal.cpp
// timer_create): the kernel timer names sysmon's kernel thread, which never
// runs program code, and route hands its signals to the G, as the kernel
// would have to the thread. Entries are written under g_troute_lock by
// timer_create/timer_delete and read by route (sysmon) under it.
constexpr int kTimerRoutes = 256;
struct TimerRoute {
  intptr_t id;
  G* g;
  uint64_t goid;
};
TimerRoute g_troutes[kTimerRoutes];
std::atomic<int> g_ntroutes{0};
SpinLock g_troute_lock;
std::atomic<pid_t> g_sysmon_tid{0};  // set by sysmon itself (sig_sysmon_start)

// timer_target: the G a SIGEV_THREAD_ID timer's signal belongs to; *routed
// says the timer is one of ours (its G may be gone: the signal is dropped).
G* timer_target(intptr_t id, bool* routed) {
  Guard<SpinLock> l(g_troute_lock);
  for (int i = 0; i < g_ntroutes.load(std::memory_order_relaxed); i++)
    if (g_troutes[i].id == id) {
      *routed = true;
      G* g = g_troutes[i].g;
      return g_live(g) && g->goid == g_troutes[i].goid ? g : nullptr;
    }
  *routed = false;
  return nullptr;
}

// discard_pending drops the pending signals in bits, the process's and
// every G's: as the kernel, a stop signal discards a pending SIGCONT and
// SIGCONT the pending stop signals.
void discard_pending(uint64_t bits) {
  siginfo_t junk;
  {
    Guard<SpinLock> l(g_sig_lock);
    while (proc_take_locked(bits, &junk)) {
    }
  }
  g_foreach([&](G* g) {
    if (!g_live(g)) return;
    for (uint64_t have; (have = g->sigpending.load(std::memory_order_acquire) & bits) != 0;)
      g_take(g, __builtin_ctzll(have) + 1, &junk);
  });
}

void route(const siginfo_t& info) {
  int s = info.si_signo;
  if (s < 1 || s > kNSig) return;
  if (s == SIGCONT) discard_pending(kStop);
  if (bit(s) & kStop) discard_pending(bit(SIGCONT));
  uintptr_t h = g_disp[s].handler.load(std::memory_order_acquire);
  if (h == uintptr_t(SIG_IGN)) return;
  if (info.si_code == SI_TIMER && g_ntroutes.load(std::memory_order_relaxed) != 0) {
    bool routed;
    G* tg = timer_target(info.si_timerid, &routed);
    if (routed) {  // thread-directed, as pthread_kill: pending on the G even if blocked
      if (tg) {
        g_queue(tg, info);
        notify(tg, s);
      }
      return;
    }
  }
  G* target = nullptr;
  SigWait* w = nullptr;
  {
    Guard<SpinLock> l(g_sig_lock);
    for (SigWait* x = g_waiters; x; x = x->next)
      if (x->set & bit(s)) {
        w = x;
        break;
      }
    if (w) {
      waiter_unlink(w);
      w->info = info;
      w->state = SigWait::kGot;
    } else {
      target = pick(s);
      if (!target) {
        proc_push_locked(info);
        return;
      }
    }
  }
  if (w) {
    ready(w->g);
    return;
  }
  if (h == uintptr_t(SIG_DFL)) {
    siginfo_t copy = info;
    default_action(s, &copy, nullptr);
    return;
  }
  g_queue(target, info);
  notify(target, s);
}

// drain_ring_locked routes everything the trampoline has queued so far.
// g_ring_take_lock must be held.
void drain_ring_locked() {
  siginfo_t info;
  while (ring_pop(&info)) route(info);
  uint64_t lost = g_ring_lost.exchange(0, std::memory_order_relaxed);
  for (int s = 1; lost; s++)
    if (lost & bit(s)) {
      lost &= ~bit(s);
      route(synth(s, SI_USER));
    }
}

void drain_ring() {
  Guard<SpinLock> l(g_ring_take_lock);
  drain_ring_locked();
}

// sweep brings to the runtime's queues the signals in want that are on
// their way there: in the ring (not routed yet by sysmon), or still in the
// kernel's queue for the process (sent, but the thread the kernel chose —
// sysmon, usually — has not taken it yet). A timed sigwait calls it once
// before it reports a timeout, so that sigtimedwait with a zero timeout
// finds a signal the caller has just sent to its own process, as natively.
// What remains open is a signal the kernel has already handed to another
// thread that has not yet entered the trampoline (a few instructions on a
// running CPU).
void sweep(uint64_t want) {
  drain_ring();
  timespec zero{0, 0};
  siginfo_t si;
  uint64_t set = want;
  while (os::rt_sigtimedwait(&set, &si, &zero) > 0) {
    if (si.si_pid == g_pid && si.si_code == SI_QUEUE && si.si_errno == kKickMagic) continue;
    Guard<SpinLock> l(g_ring_take_lock);
    route(si);
  }
}

void retry_all() {
  bool left = false;
  g_foreach([&](G* g) {
    if (!g_live(g)) return;
    uint64_t have = g->sigpending.load(std::memory_order_acquire) & ~g->sigmask.load(std::memory_order_relaxed);
    if (!have) return;
    left = true;
    int s = __builtin_ctzll(have) + 1;
    if (g->park_kind.load(std::memory_order_seq_cst) != kParkNone) {
      park_interrupt(g);
      return;
    }
    GStatus st = g->status.load(std::memory_order_acquire);
    if (st == GStatus::kRunning || st == GStatus::kSyscall) kick(g, s);
  });
  if (!left) g_retry.store(false, std::memory_order_release);
}

////////////////////////////////////////////////////////////////////////////
// The trampoline
////////////////////////////////////////////////////////////////////////////

bool in_text(const void* ucv) {
  if (ucv == nullptr) return false;
  auto* uc = static_cast<const ucontext_t*>(ucv);
  uintptr_t pc = uintptr_t(uc->uc_mcontext.gregs[REG_RIP]);
  // The netpoller's non-blocking calls stand where libc's would (os.h).
  if (pc >= g_user_io_lo && pc < g_user_io_hi) return false;
  return pc >= g_text_lo && pc < g_text_hi;
}

void tramp_body(int s, siginfo_t* si, void* ucv, int nosig);

// gmp_sig_tramp: the kernel's handler (see the file comment). A G may be
// inside a call that runs on its kernel thread's own TLS block (a blocking
// PI or robust mutex: tls.cpp); the handler must see the G's, so the thread
// pointer is put on the G's block for the length of the handler. The lock
// count is read first: it belongs to the interrupted thread pointer.
extern "C" void gmp_sig_tramp(int s, siginfo_t* si, void* ucv) {
  int nosig = tls_nosig;
  G* g = getg();
  void* back = nullptr;
  if (g != nullptr && !g->is_g0 && g->tcb != nullptr && tls_enabled()) {
    void* tp = tls_tp();
    if (tp != g->tcb) {
      back = tp;
      tls_set_tp(g->tcb);
    }
  }
  tramp_body(s, si, ucv, nosig);
  if (back) tls_set_tp(back);
}

void tramp_body(int s, siginfo_t* si, void* ucv, int nosig) {
  int saved_errno = errno;
  G* g = getg();
  bool isg = g != nullptr && !g->is_g0 && g->magic == kGMagic;
  auto* uc = static_cast<ucontext_t*>(ucv);
  uintptr_t h = g_disp[s].handler.load(std::memory_order_acquire);
  bool restart = true;
  // A real fault under SIG_DFL ends the process now (the kernel had already
  // forced it through if this thread blocked s).
  if ((bit(s) & kSync) && si->si_code > 0 && h == uintptr_t(SIG_DFL)) {
    fault_default(s, si, uc);
    errno = saved_errno;
    return;
  }
  // A synchronous fault runs the program's handler here, whatever the state.
  if ((bit(s) & kSync) && si->si_code > 0 && is_fn(h)) {
    uintptr_t sp = uintptr_t(uc->uc_mcontext.gregs[REG_RSP]);
    if (isg) {
      run_one(g, s, si, ucv, sp, &restart, saved_errno);
    } else {
      errno = saved_errno;
      if (g_disp[s].flags.load(std::memory_order_relaxed) & SA_SIGINFO)
        reinterpret_cast<void (*)(int, siginfo_t*, void*)>(h)(s, si, ucv);
      else
        reinterpret_cast<void (*)(int)>(h)(s);
    }
    return;
  }
  bool own = si->si_pid == g_pid;
  bool is_kick = own && si->si_code == SI_QUEUE && si->si_errno == kKickMagic;
  // A runtime hook for the default (SIGQUIT's dump) runs at once, on the
  // thread the kernel chose, unless every G holds the signal back: the dump
  // must not need sysmon, which may be what hangs.
  if (h == uintptr_t(SIG_DFL) && g_dfl_hook[s] && !is_kick && g_ready.load(std::memory_order_relaxed) &&
      ((isg && !(g->sigmask.load(std::memory_order_relaxed) & bit(s))) || !held_everywhere(s))) {
    errno = saved_errno;
    g_dfl_hook[s](s, si, ucv);
    return;
  }
  // A signal a signalfd reads, caught by a thread that should have blocked
  // it (an M with a stale mask): block it here from now on (the mask
  // sigreturn restores) and put it back in the process's queue, where the
  // signalfd (or a G that unblocks it) takes it.
  if (!is_kick && (g_sfd_bits.load(std::memory_order_relaxed) & bit(s)) &&
      (!isg || (g->sigmask.load(std::memory_order_relaxed) & bit(s)))) {
    sigaddset(&uc->uc_sigmask, s);
    if (g != nullptr && g->m != nullptr) g->m->kmask = to_bits(&uc->uc_sigmask);
    // The kernel takes a non-negative si_code only from the main thread:
    // keep sender and value, call it SI_QUEUE.
    if (si->si_code >= 0 || si->si_code == SI_TKILL) si->si_code = SI_QUEUE;
    os::syscall6(SYS_rt_sigqueueinfo, g_pid, s, long(si));
    errno = saved_errno;
    return;
  }
  bool thread_directed = own && (si->si_code == SI_TKILL ||
                                 ((s == SIGPIPE || s == SIGXFSZ) && si->si_code == SI_USER));
  if (!isg || !g_ready.load(std::memory_order_relaxed)) {
    if (!is_kick) {
      ring_push(si);
      sysmon_kick();
    }
    errno = saved_errno;
    return;
  }
  bool safe = nosig == 0 && !in_text(ucv);
  uintptr_t sp = uintptr_t(uc->uc_mcontext.gregs[REG_RSP]);
  M* m = g->m;
  uint64_t kmask_before = m ? m->kmask : 0;
  bool blocked = g->sigmask.load(std::memory_order_relaxed) & bit(s);
  if (is_kick) {
    // Our own nudge: deliver what is pending for this G, if we may.
  } else if (thread_directed) {
    g->sigpending.fetch_or(bit(s), std::memory_order_seq_cst);
    if (!safe && !blocked) g_retry.store(true, std::memory_order_release);
  } else if (!blocked && safe) {
    run_one(g, s, si, ucv, sp, &restart, saved_errno);
    saved_errno = errno;
  } else {
    ring_push(si);
    sysmon_kick();
  }
  if (safe) {
    deliver_pending(g, ucv, sp, &restart);
    if (!is_kick && !thread_directed) saved_errno = errno;
    // sigreturn restores the kernel mask saved in the frame.
    if (g->m) g->m->kmask = to_bits(&uc->uc_sigmask);
    (void)kmask_before;
    return;  // errno is what the handlers left, as natively
  } else if (g->sigpending.load(std::memory_order_relaxed) & ~g->sigmask.load(std::memory_order_relaxed)) {
    g_retry.store(true, std::memory_order_release);
  }
  errno = saved_errno;
}

// setxid broadcast state (sig_setxid)
struct SetxidCmd {
  long nr, a, b, c;
  std::atomic<uint32_t> left{0};
  std::atomic<int> errors{0};
};
SetxidCmd g_setxid;
std::atomic<bool> g_setxid_busy{false};

extern "C" void gmp_setxid_handler(int, siginfo_t* si, void*) {
  if (si->si_code != SI_TKILL || si->si_pid != g_pid) return;
  long r = os::syscall6(g_setxid.nr, g_setxid.a, g_setxid.b, g_setxid.c);
  if (r < 0) g_setxid.errors.fetch_add(1);
  if (g_setxid.left.fetch_sub(1, std::memory_order_acq_rel) == 1)
    os::futex_wake(reinterpret_cast<uint32_t*>(&g_setxid.left), 1);
}

// glibc's own SIGSETXID handler (__nptl_setxid_sighandler, installed by its
// pthread_create the first time the process goes multi-threaded), which
// sig_wrap_glibc wraps: glibc's internal set*id broadcast (initgroups calls
// its internal setgroups, which no hook sees) signals every thread on its
// lists and repeats until each has cleared a flag in its THREAD_SELF. On an
// M running a G, THREAD_SELF is the G's block: the M's flag would never be
// cleared and the M signalled forever. Written once (sig_wrap_glibc), then
// read by the trampoline.
void (*g_glibc_setxid)(int, siginfo_t*, void*) = nullptr;
std::atomic<bool> g_glibc_wrapped{false};

extern "C" void gmp_glibc_setxid_tramp(int s, siginfo_t* si, void* uc) {
  // The M's own TCB while glibc's handler runs, when this kernel thread
  // runs a G on the G's block (g->m is set before the FS base follows the G
  // and the FS base goes back before g->m changes).
  void* tp = tls_tp();
  G* g = getg();
  void* mt = nullptr;
  if (g != nullptr && !g->is_g0 && g->tcb == tp && g->m != nullptr && g->m->tcb != nullptr && g->m->tcb != tp)
    mt = g->m->tcb;
  if (mt) tls_set_tp(mt);
  g_glibc_setxid(s, si, uc);
  if (mt) tls_set_tp(tp);
}

int find_text(dl_phdr_info* info, size_t, void* data) {
  uintptr_t addr = reinterpret_cast<uintptr_t>(data);
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
    uintptr_t lo = info->dlpi_addr + ph.p_vaddr, hi = lo + ph.p_memsz;
    if (addr >= lo && addr < hi) {
      g_text_lo = lo;
      g_text_hi = hi;
      return 1;
    }
  }
  return 0;
}

}  // namespace

////////////////////////////////////////////////////////////////////////////
// Runtime plumbing
////////////////////////////////////////////////////////////////////////////

bool sig_in_handler(G* g) {
  if (g->sig_depth <= 0) return false;
  // Levels our stack pointer shows we have left (a jump no hook saw).
  leave_levels(g, cur_sp());
  return g->sig_depth > 0;
}

void sig_longjmp(const void* envp) {
  G* g = getg();
  if (g == nullptr || g->is_g0) return;
  auto* env = static_cast<const __jmp_buf_tag*>(envp);
  if (g->sig_depth > 0) {
    // The saved stack pointer, mangled as glibc's PTR_MANGLE does on x86_64
    // (xor with the pointer guard at %fs:0x30, then rotate left by 17).
    uintptr_t guard;
    __asm__ volatile("mov %%fs:0x30, %0" : "=r"(guard));
    uintptr_t v = uintptr_t(env->__jmpbuf[6]);
    uintptr_t sp = ((v >> 17) | (v << 47)) ^ guard;
    leave_levels(g, sp);  // exactly the levels the jump leaves
  }
  if (env->__mask_was_saved) sig_procmask(SIG_SETMASK, &env->__saved_mask, nullptr);
}

void sig_init() {
  g_pid = os::getpid();
  dl_iterate_phdr(find_text, reinterpret_cast<void*>(&sig_init));
  os::user_io_text(&g_user_io_lo, &g_user_io_hi);
  ring_init();
  g_pool_base = static_cast<SigNode*>(os::mmap_anon(sizeof(SigNode) * kPool, true));
  g_pool_used = 0;
  // glibc's sigreturn trampoline: reinstall any action through glibc and
  // read it back raw.
  struct sigaction cur;
  real::sigaction(SIGURG, nullptr, &cur);
  real::sigaction(SIGURG, &cur, nullptr);
  os::KSigaction k{};
  os::rt_sigaction(SIGURG, nullptr, &k);
  g_restorer = k.restorer;
  // G1's mask is what the original thread has.
  G* g = getg();
  uint64_t m = 0;
  os::rt_sigprocmask(SIG_BLOCK, nullptr, &m);
  g->sigmask.store(m & ~kUnblockable);
  if (g->m) g->m->kmask = m;
  g_managed_ignore.store(m & kDflIgnore);
  // Adopt the actions installed so far (constructors may have).
  for (int s = 1; s <= kNSig; s++) {
    if (bit(s) & kUnblockable) continue;
    struct sigaction sa;
    if (real::sigaction(s, nullptr, &sa) != 0) continue;
    g_disp[s].handler.store(reinterpret_cast<uintptr_t>(sa.sa_handler));
    g_disp[s].flags.store(sa.sa_flags);
    g_disp[s].mask.store(to_bits(&sa.sa_mask));
    kinstall(s);
  }
  g_ready.store(true, std::memory_order_release);
}

void sig_m_start(M* m) {
  // Until it runs a G: only what a signalfd reads is blocked.
  uint64_t mask = g_sfd_bits.load(std::memory_order_relaxed);
  os::rt_sigprocmask(SIG_SETMASK, &mask, nullptr);
  m->kmask = mask;
}

pid_t sig_timer_tid() {
  sysmon_start();
  for (int i = 0; i < 100000 && g_sysmon_tid.load(std::memory_order_acquire) == 0; i++) os::sched_yield();
  return g_sysmon_tid.load(std::memory_order_acquire);
}

int sig_timer_route(intptr_t id, G* g) {
  Guard<SpinLock> l(g_troute_lock);
  int n = g_ntroutes.load(std::memory_order_relaxed);
  if (n == kTimerRoutes) return EAGAIN;
  g_troutes[n] = TimerRoute{id, g, g->goid};
  g_ntroutes.store(n + 1, std::memory_order_relaxed);
  return 0;
}

void sig_timer_unroute(intptr_t id) {
  Guard<SpinLock> l(g_troute_lock);
  int n = g_ntroutes.load(std::memory_order_relaxed);
  for (int i = 0; i < n; i++)
    if (g_troutes[i].id == id) {
      g_troutes[i] = g_troutes[n - 1];
      g_ntroutes.store(n - 1, std::memory_order_relaxed);
      return;
    }
}

void sig_sysmon_start() {
  g_sysmon_tid.store(os::gettid(), std::memory_order_release);
  g_sysmon_mask = g_sfd_bits.load();
  os::rt_sigprocmask(SIG_SETMASK, &g_sysmon_mask, nullptr);
}

bool sig_async_handler() {
  constexpr uint64_t kFaults = kSync & ~bit(SIGABRT);
  for (int s = 1; s <= kNSig; s++)
    if (!(bit(s) & (kFaults | kUnblockable)) && is_fn(g_disp[s].handler.load(std::memory_order_relaxed)))
      return true;
  return false;
}

void sig_signalfd(const sigset_t* mask) {
  uint64_t b = to_bits(mask) & ~kUnblockable;
  uint64_t old = g_sfd_bits.fetch_or(b);
  if ((old | b) != old) sysmon_kick();
}

bool sig_poll() {
  if (!g_ready.load(std::memory_order_acquire)) return false;
  uint64_t want = g_sfd_bits.load(std::memory_order_relaxed);
  if (want != g_sysmon_mask) {
    g_sysmon_mask = want;
    os::rt_sigprocmask(SIG_SETMASK, &g_sysmon_mask, nullptr);
  }
  drain_ring();
  if (g_retry.load(std::memory_order_acquire)) retry_all();
  return g_retry.load(std::memory_order_relaxed);
}

namespace {
void load_altstack(M* m, G* g) {
  stack_t ss{};
  if (g->alt_sp) {
    ss.ss_sp = g->alt_sp;
    ss.ss_size = g->alt_size;
    ss.ss_flags = g->alt_flags & ~SS_DISABLE;
  } else {
    ss.ss_flags = SS_DISABLE;
  }
  os::syscall6(SYS_sigaltstack, long(&ss), 0);
  m->alt_sp = g->alt_sp;
}
}  // namespace

int sig_altstack(const stack_t* ss, stack_t* old) {
  G* g = getg();
  uintptr_t sp = cur_sp();
  bool on = g->alt_sp && sp >= uintptr_t(g->alt_sp) && sp < uintptr_t(g->alt_sp) + g->alt_size;
  if (ss) {
    if (on) return EPERM;
    int fl = ss->ss_flags;
    if (fl & ~(SS_DISABLE | kSsAutodisarm)) return EINVAL;
    if (!(fl & SS_DISABLE) && ss->ss_size < MINSIGSTKSZ) return ENOMEM;
  }
  if (old) {
    old->ss_sp = g->alt_sp;
    old->ss_size = g->alt_size;
    old->ss_flags = g->alt_sp ? (on ? SS_ONSTACK : (g->alt_flags & kSsAutodisarm)) : SS_DISABLE;
  }
  if (ss) {
    if (ss->ss_flags & SS_DISABLE) {
      g->alt_sp = nullptr;
      g->alt_size = 0;
      g->alt_flags = 0;
    } else {
      g->alt_sp = ss->ss_sp;
      g->alt_size = ss->ss_size;
      g->alt_flags = ss->ss_flags;
    }
    if (g->m) load_altstack(g->m, g);
  }
  return 0;
}

void sig_switch_in(M* m, G* g) {
  if (g->alt_sp != m->alt_sp) load_altstack(m, g);
  uint64_t want = g->sigmask.load(std::memory_order_relaxed);
  G* prev = m->sig_lastg;
  m->sig_lastg = g;
  if (want == m->kmask) return;
  // Signals sent to this thread while the last G blocked them are that G's,
  // not the next one's: take them off the thread before unblocking.
  uint64_t opening = m->kmask & ~want;
  if (opening) {
    timespec zero{0, 0};
    siginfo_t si;
    while (os::rt_sigtimedwait(&opening, &si, &zero) > 0) {
      bool own = si.si_pid == g_pid;
      if (own && si.si_code == SI_QUEUE && si.si_errno == kKickMagic) continue;
      if (own && (si.si_code == SI_TKILL || si.si_code == SI_USER) && prev && g_live(prev))
        g_queue(prev, si);
      else
        ring_push(&si);
    }
  }
  os::rt_sigprocmask(SIG_SETMASK, &want, nullptr);
  m->kmask = want;
}

void sig_spawn(G* child) {
  G* cur = getg();
  uint64_t m = 0;
  if (cur != nullptr && !cur->is_g0)
    m = cur->sigmask.load(std::memory_order_relaxed);
  else
    os::rt_sigprocmask(SIG_BLOCK, nullptr, &m);
  child->sigmask.store(m & ~kUnblockable, std::memory_order_relaxed);
  child->sigpending.store(0, std::memory_order_relaxed);
  child->sig_fd_wake.store(false, std::memory_order_relaxed);
  child->sig_depth = 0;
  child->alt_sp = nullptr;  // POSIX: a new thread has no alternate stack
  child->alt_size = 0;
  child->alt_flags = 0;
}

void sig_exit(G* g) {
  SigNode* q;
  {
    Guard<SpinLock> l(g->siglock);
    q = static_cast<SigNode*>(g->sigq);
    g->sigq = nullptr;
    g->sigpending.store(0, std::memory_order_relaxed);
  }
  while (q) {
    SigNode* n = q->next;
    node_put(q);
    q = n;
  }
}

void sig_set_default_hook(int s, void (*fn)(int, siginfo_t*, void*)) {
  Guard<SpinLock> l(g_disp_lock);
  g_dfl_hook[s] = fn;
  kinstall(s);
}

void sig_fork_child() {
  g_pid = os::getpid();
  new (&g_sig_lock) SpinLock();
  new (&g_pool_lock) SpinLock();
  new (&g_disp_lock) SpinLock();
  // sysmon (sig_poll, timer_target) may have held these at the fork: the
  // child's first sysmon would spin on them for ever. What they guard is
  // reset below (ring_init) or still valid (the timer routes).
  new (&g_ring_take_lock) SpinLock();
  new (&g_troute_lock) SpinLock();
  g_waiters = nullptr;
  g_procq = nullptr;  // nodes leak: the child starts with nothing pending
  g_procbits = 0;
  ring_init();
  g_retry.store(false);
  G* g = getg();
  new (&g->siglock) SpinLock();
  g->sigq = nullptr;
  g->sigpending.store(0);
}

bool sig_pending(G* g) {
  return (g->sigpending.load(std::memory_order_seq_cst) & ~g->sigmask.load(std::memory_order_seq_cst)) != 0;
}

bool sig_after_interrupt(bool restartable) {
  G* g = getg();
  if (g == nullptr || g->is_g0) return restartable;
  bool restart = true;
  bool ran = deliver_pending(g, nullptr, cur_sp(), &restart);
  apply_mask(g);
  if (!ran) return true;
  return restartable && restart;
}

////////////////////////////////////////////////////////////////////////////
// Hook entry points
////////////////////////////////////////////////////////////////////////////

int sig_action(int s, const struct sigaction* act, struct sigaction* old) {
  if (s < 1 || s > kNSig || (bit(s) & (bit(kSigCancel) | bit(kSigSetxid)))) return EINVAL;
  if (act && (s == SIGKILL || s == SIGSTOP)) return EINVAL;
  if (!g_ready.load(std::memory_order_acquire) || s == SIGKILL || s == SIGSTOP) {
    return real::sigaction(s, act, old) == 0 ? 0 : errno;
  }
  Guard<SpinLock> l(g_disp_lock);
  if (old) {
    memset(old, 0, sizeof *old);
    old->sa_handler = reinterpret_cast<sighandler_t>(g_disp[s].handler.load());
    old->sa_flags = g_disp[s].flags.load();
    from_bits(g_disp[s].mask.load(), &old->sa_mask);
    old->sa_restorer = g_disp[s].handler.load() == 0 && g_disp[s].flags.load() == 0
                           ? nullptr
                           : reinterpret_cast<void (*)()>(g_restorer);
  }
  if (act) {
    uintptr_t h = reinterpret_cast<uintptr_t>(act->sa_handler);
    g_disp[s].mask.store(to_bits(&act->sa_mask) & ~(bit(SIGKILL) | bit(SIGSTOP)));
    g_disp[s].flags.store(act->sa_flags | kSaRestorer);
    g_disp[s].handler.store(h, std::memory_order_release);
    kinstall(s);
    if (h == uintptr_t(SIG_IGN) || (h == uintptr_t(SIG_DFL) && (bit(s) & kDflIgnore))) {
      // POSIX: setting SIG_IGN (or a default of ignore) discards pending ones.
      Guard<SpinLock> l2(g_sig_lock);
      siginfo_t junk;
      while (proc_take_locked(bit(s), &junk)) {
      }
    }
  }
  return 0;
}

int sig_procmask(int how, const sigset_t* set, sigset_t* old) {
  G* g = getg();
  uint64_t cur = g->sigmask.load(std::memory_order_relaxed);
  uint64_t nw = cur;
  if (set) {
    uint64_t b = to_bits(set) & ~kUnblockable;
    switch (how) {
      case SIG_BLOCK: nw = cur | b; break;
      case SIG_UNBLOCK: nw = cur & ~b; break;
      case SIG_SETMASK: nw = b; break;
      default: return EINVAL;
    }
  }
  if (old) from_bits(cur, old);
  if (!set) return 0;
  g->sigmask.store(nw, std::memory_order_seq_cst);
  manage_ignored(nw);
  apply_mask(g);
  uint64_t opened = cur & ~nw;
  if (opened) {
    pull_process(g, opened);
    if (sig_pending(g)) {
      bool restart = true;
      deliver_pending(g, nullptr, cur_sp(), &restart);
      apply_mask(g);
    }
  }
  return 0;
}

int sig_pending_set(sigset_t* out) {
  G* g = getg();
  uint64_t b = g->sigpending.load(std::memory_order_acquire);
  {
    Guard<SpinLock> l(g_sig_lock);
    b |= g_procbits;
  }
  uint64_t k = 0;  // pending in the kernel (signals a signalfd reads)
  os::syscall6(SYS_rt_sigpending, long(&k), 8);
  from_bits((b | k) & g->sigmask.load(std::memory_order_relaxed), out);
  return 0;
}

G* g_of_tid(pid_t tid) {
  G* found = nullptr;
  g_foreach([&](G* g) {
    if (!found && g_live(g) && thread_tid(g) == tid) found = g;
  });
  return found;
}

int sig_kill_g(G* g, int s, const union sigval* value) {
  if (s < 0 || s > kNSig || (s > 0 && (bit(s) & (bit(kSigCancel) | bit(kSigSetxid))))) return EINVAL;
  if (!g_live(g)) return ESRCH;
  if (s == 0) return 0;
  uintptr_t h = g_disp[s].handler.load(std::memory_order_acquire);
  if (h == uintptr_t(SIG_IGN)) return 0;
  if (s == SIGKILL || s == SIGSTOP || (h == uintptr_t(SIG_DFL) && !tramp_installed(s))) {
    // The kernel's own action (or a runtime hook such as the SIGQUIT dump)
    // applies to the whole process: let the kernel take it from here.
    os::tgkill(g_pid, os::gettid(), s);
    return 0;
  }
  siginfo_t info = synth(s, value ? SI_QUEUE : SI_TKILL);
  if (value) info.si_value = *value;
  g_queue(g, info);
  notify(g, s);
  G* cur = getg();
  if (g == cur && sig_pending(cur)) {
    bool restart = true;
    deliver_pending(cur, nullptr, cur_sp(), &restart);
    apply_mask(cur);
  }
  return 0;
}

namespace {
// signalfd_mask reads the set of signals fd reads if it is a signalfd (the
// "sigmask:" line of /proc/self/fdinfo/fd, hex, bit s-1 for signal s);
// 0 for any other file.
uint64_t signalfd_mask(int fd) {
  char path[48] = "/proc/self/fdinfo/";
  char* p = path + strlen(path);
  char digits[12];
  int nd = 0;
  for (unsigned v = unsigned(fd); nd == 0 || v; v /= 10) digits[nd++] = char('0' + v % 10);
  while (nd) *p++ = digits[--nd];
  *p = 0;
  int f = int(os::syscall6(SYS_openat, AT_FDCWD, long(path), O_RDONLY | O_CLOEXEC));
  if (f < 0) return 0;
  char buf[512];
  long n = os::syscall6(SYS_read, f, long(buf), sizeof buf - 1);
  os::close(f);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char* at = strstr(buf, "sigmask:");
  if (at == nullptr) return 0;
  at += 8;
  while (*at == ' ' || *at == '\t') at++;
  uint64_t m = 0;
  for (;; at++) {
    int d = *at >= '0' && *at <= '9' ? *at - '0' : *at >= 'a' && *at <= 'f' ? *at - 'a' + 10 : -1;
    if (d < 0) break;
    m = (m << 4) | uint64_t(d);
  }
  return m;
}
}  // namespace

bool sig_fd_wake_take(G* g) {
  return g->sig_fd_wake.load(std::memory_order_seq_cst) && g->sig_fd_wake.exchange(false);
}

void sig_fd_read(int fd) {
  // The common case first: no signalfd was ever made for a signal (one
  // load of a global; a read on a socket must not touch another G line).
  uint64_t sfd = g_sfd_bits.load(std::memory_order_relaxed);
  if (sfd == 0) return;
  G* g = getg();
  uint64_t have = g->sigpending.load(std::memory_order_acquire) & g->sigmask.load(std::memory_order_relaxed) & sfd;
  if (have == 0 || g->m == nullptr) return;
  have &= signalfd_mask(fd);
  if (have == 0) return;
  apply_mask(g);  // the kernel thread blocks them too, so they stay queued
  pid_t tid = g->m->tid;
  while (have) {
    int s = __builtin_ctzll(have) + 1;
    have &= ~bit(s);
    for (;;) {
      siginfo_t info;
      g_take(g, s, &info);
      // As pthread_kill / pthread_sigqueue would have sent it natively; the
      // kernel takes a chosen si_code >= 0 or SI_TKILL only from the main
      // thread, and makes the right one itself for tgkill.
      if (info.si_code < 0 && info.si_code != SI_TKILL)
        os::rt_tgsigqueueinfo(g_pid, tid, s, &info);
      else
        os::tgkill(g_pid, tid, s);
      if (s < SIGRTMIN || !(g->sigpending.load(std::memory_order_acquire) & bit(s))) break;
    }
  }
}

int sig_kill_self(pid_t pid, int s, const union sigval* value) {
  if (pid != g_pid) return -1;
  if (s < 0 || s > kNSig) return EINVAL;
  if (s == 0 || (bit(s) & kUnblockable) || !g_ready.load(std::memory_order_acquire)) return -1;
  // One a signalfd reads must be in the kernel's queue, where the fd sees it.
  if (g_sfd_bits.load(std::memory_order_relaxed) & bit(s)) return -1;
  siginfo_t info = synth(s, value ? SI_QUEUE : SI_USER);
  if (value) info.si_value = *value;
  {
    // After what the trampoline queued before (order kept), then this one.
    Guard<SpinLock> l(g_ring_take_lock);
    drain_ring_locked();
    route(info);
  }
  G* cur = getg();
  if (sig_pending(cur)) {  // POSIX: delivered before kill returns
    bool restart = true;
    deliver_pending(cur, nullptr, cur_sp(), &restart);
    apply_mask(cur);
  }
  return 0;
}

namespace {

struct SigParkCtx {
  int64_t deadline;
};

void sigwait_timeout(void* arg, uint64_t seq) {
  G* g = static_cast<G*>(arg);
  if (g->wait_seq != seq) return;
  bool fire = false;
  {
    Guard<SpinLock> l(g_sig_lock);
    auto* w = static_cast<SigWait*>(g->park_record);
    if (w && w->linked) {
      waiter_unlink(w);
      w->state = SigWait::kTimeout;
      fire = true;
    }
  }
  if (fire) ready(g);
}

// Runs on g0 once the G is off its stack: arm the deadline, release the lock.
void sigwait_unlock(G* g, void* arg) {
  auto* pc = static_cast<SigParkCtx*>(arg);
  if (pc->deadline) add_timer(&g->timer);
  g_sig_lock.unlock();
}

// park_sigwait waits until a signal in want is handed over, g gets a
// deliverable pending signal, or the deadline. Returns the SigWait state;
// *info is set for kGot.
uint32_t park_sigwait(G* g, uint64_t want, int64_t deadline, siginfo_t* info) {
  bool swept = false;
  for (;;) {
    // Ours first (thread-directed), then the process's.
    uint64_t mine = g->sigpending.load(std::memory_order_seq_cst) & want;
    if (mine) {
      g_take(g, __builtin_ctzll(mine) + 1, info);
      return SigWait::kGot;
    }
    if (deadline && os::nanotime() >= deadline) {
      {
        Guard<SpinLock> l(g_sig_lock);
        if (proc_take_locked(want, info)) return SigWait::kGot;
      }
      if (swept || want == 0) return SigWait::kTimeout;
      sweep(want);  // a last look at signals on their way (see sweep)
      swept = true;
      continue;
    }
    SigWait w;
    w.set = want;
    w.g = g;
    g_sig_lock.lock();
    if (proc_take_locked(want, info)) {
      g_sig_lock.unlock();
      return SigWait::kGot;
    }
    g->park_record = &w;
    g->park_kind.store(kParkSigwait, std::memory_order_seq_cst);
    if ((g->sigpending.load(std::memory_order_seq_cst) & want) || sig_pending(g)) {
      g->park_kind.store(kParkNone, std::memory_order_relaxed);
      g->park_record = nullptr;
      g_sig_lock.unlock();
      if (sig_pending(g) && !(g->sigpending.load() & want)) return SigWait::kInterrupted;
      continue;
    }
    w.next = g_waiters;
    if (g_waiters) g_waiters->prev = &w;
    g_waiters = &w;
    w.linked = true;
    SigParkCtx pc{deadline};
    if (deadline) {
      g->wait_seq++;
      g->timer.when = deadline;
      g->timer.fn = sigwait_timeout;
      g->timer.arg = g;
      g->timer.seq = g->wait_seq;
    }
    park(WaitReason::kSigwait, sigwait_unlock, &pc);
    g->park_kind.store(kParkNone, std::memory_order_relaxed);
    if (deadline) timer_del(&g->timer);
    {
      Guard<SpinLock> l(g_sig_lock);
      if (w.linked) waiter_unlink(&w);
      g->park_record = nullptr;
    }
    if (w.state == SigWait::kGot) {
      *info = w.info;
      return SigWait::kGot;
    }
    if (w.state == SigWait::kTimeout) return SigWait::kTimeout;
    // Interrupted: a pending signal of ours; loop to see which kind.
    if (sig_pending(g) && !(g->sigpending.load() & want)) return SigWait::kInterrupted;
  }
}

}  // namespace

void sigwait_interrupt(G* g) {
  bool fire = false;
  {
    Guard<SpinLock> l(g_sig_lock);
    auto* w = static_cast<SigWait*>(g->park_record);
    if (w && w->linked && g->park_kind.load(std::memory_order_seq_cst) == kParkSigwait) {
      waiter_unlink(w);
      w->state = SigWait::kInterrupted;
      fire = true;
    }
  }
  if (fire) ready(g);
}

int sig_wait(const sigset_t* set, siginfo_t* info, int64_t deadline) {
  G* g = getg();
  uint64_t want = to_bits(set) & ~kUnblockable;
  siginfo_t mine;
  siginfo_t* out = info ? info : &mine;
  for (;;) {
    uint32_t st = park_sigwait(g, want, deadline, out);
    if (st == SigWait::kGot) return out->si_signo;
    if (st == SigWait::kTimeout) return -EAGAIN;
    bool restart = true;
    if (deliver_pending(g, nullptr, cur_sp(), &restart)) {
      apply_mask(g);
      return -EINTR;
    }
  }
}

uint64_t sig_mask_swap(const sigset_t* mask) {
  G* g = getg();
  uint64_t old = g->sigmask.load(std::memory_order_relaxed);
  uint64_t tmp = to_bits(mask) & ~kUnblockable;
  g->sigmask.store(tmp, std::memory_order_seq_cst);
  apply_mask(g);
  pull_process(g, old & ~tmp);
  return old;
}

void sig_mask_restore(uint64_t old) {
  G* g = getg();
  g->sigmask.store(old, std::memory_order_seq_cst);
  apply_mask(g);
}

int sig_suspend(const sigset_t* mask) {
  G* g = getg();
  uint64_t old = g->sigmask.load(std::memory_order_relaxed);
  uint64_t tmp = to_bits(mask) & ~kUnblockable;
  g->sigmask.store(tmp, std::memory_order_seq_cst);
  apply_mask(g);
  pull_process(g, old & ~tmp);
  for (;;) {
    siginfo_t junk;
    uint32_t st = park_sigwait(g, 0, 0, &junk);
    (void)st;
    bool restart = true;
    bool ran = deliver_pending(g, nullptr, cur_sp(), &restart);
    if (ran) break;
  }
  g->sigmask.store(old, std::memory_order_seq_cst);
  apply_mask(g);
  return -EINTR;
}

void sig_wrap_glibc() {
  if (g_glibc_wrapped.load(std::memory_order_acquire) || !tls_enabled()) return;
  os::KSigaction cur{};
  if (os::rt_sigaction(kSigSetxid, nullptr, &cur) != 0) return;
  if (cur.handler == nullptr || cur.handler == reinterpret_cast<void*>(SIG_IGN) ||
      cur.handler == reinterpret_cast<void*>(gmp_glibc_setxid_tramp) ||
      cur.handler == reinterpret_cast<void*>(gmp_setxid_handler))
    return;  // glibc has not installed it yet (still single-threaded)
  if (g_glibc_wrapped.exchange(true)) return;
  g_glibc_setxid = reinterpret_cast<void (*)(int, siginfo_t*, void*)>(cur.handler);
  os::KSigaction k = cur;
  k.handler = reinterpret_cast<void*>(gmp_glibc_setxid_tramp);
  os::rt_sigaction(kSigSetxid, &k, nullptr);
}

long sig_setxid(long nr, long a, long b, long c) {
  long r = os::syscall6(nr, a, b, c);
  if (r < 0) return r;
  bool f = false;
  while (!g_setxid_busy.compare_exchange_weak(f, true)) {
    f = false;
    os::sched_yield();
  }
  g_setxid.nr = nr;
  g_setxid.a = a;
  g_setxid.b = b;
  g_setxid.c = c;
  os::KSigaction k{}, oldk{};
  os::rt_sigaction(kSigSetxid, nullptr, &oldk);
  k.handler = reinterpret_cast<void*>(gmp_setxid_handler);
  k.flags = SA_SIGINFO | SA_RESTART | kSaRestorer;
  k.restorer = g_restorer;
  k.mask = ~0ull;
  os::rt_sigaction(kSigSetxid, &k, nullptr);
  pid_t self = os::gettid();
  // Every other thread of the process, as listed by the kernel.
  int fd = int(os::syscall6(SYS_openat, AT_FDCWD, long("/proc/self/task"), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd >= 0) {
    char buf[4096];
    for (;;) {
      long n = os::syscall6(SYS_getdents64, fd, long(buf), sizeof buf);
      if (n <= 0) break;
      for (long off = 0; off < n;) {
        auto* d = reinterpret_cast<struct dirent64*>(buf + off);
        off += d->d_reclen;
        pid_t tid = 0;
        for (const char* p = d->d_name; *p >= '0' && *p <= '9'; p++) tid = tid * 10 + (*p - '0');
        if (tid <= 0 || tid == self) continue;
        g_setxid.left.fetch_add(1);
        if (os::tgkill(g_pid, tid, kSigSetxid) != 0) g_setxid.left.fetch_sub(1);
      }
    }
    os::close(fd);
  }
  // Wait for every answer (a thread that exits meanwhile never answers:
  // bound each wait and give up after a few seconds).
  for (int i = 0; i < 500; i++) {
    uint32_t left = g_setxid.left.load(std::memory_order_acquire);
    if (left == 0) break;
    timespec ts{0, 10000000};
    os::futex_wait(reinterpret_cast<uint32_t*>(&g_setxid.left), left, &ts);
  }
  g_setxid.left.store(0);
  os::rt_sigaction(kSigSetxid, &oldk, nullptr);
  g_setxid_busy.store(false, std::memory_order_release);
  return r;
}

}  // namespace gmp
