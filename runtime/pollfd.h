// pollfd.h — the netpoller's per-fd descriptor table and its wait protocol.
// See pollfd.cpp for the design; fdio.h and pollwait.h build the blocking
// calls on top of it, netpoll_epoll.cpp feeds it readiness events.
#pragma once
#include <atomic>
#include <cstdint>

#include "runtime/g.h"
#include "runtime/lock.h"

namespace gmp {

// FdKind: what the fd number currently refers to, as far as the runtime
// knows, and so how a blocking call on it is made. Changed only under the
// descriptor's lock; read lock-free (acquire).
enum class FdKind : uint8_t {
  kUnknown = 0,  // not classified since the number was (re)used
  kClosing = 1,  // close()/dup2() over it is in progress: use the real call
  kFile = 2,     // not pollable (regular file, block device, directory, or
                 // epoll refused it): syscall path, entersyscall/exitsyscall
  kSocket = 3,   // per-call non-blocking with MSG_DONTWAIT
  kStream = 4,   // pipe, FIFO, tty, char device, eventfd, timerfd, signalfd,
                 // inotify, epoll: RWF_NOWAIT where the kernel honours it,
                 // else wait for readiness and make the real call (syscall path)
};

enum PollDir : int { kDirRead = 0, kDirWrite = 1 };

enum : uint8_t { kTcpYes = 1, kTcpNo = 2 };

// The wait reason of a G parked on fds ("IO wait" in dumps, as Go's).
constexpr WaitReason kWaitReasonIO = WaitReason::kIO;

// Per-direction per-call non-blocking support of a kStream fd: probed on
// first use (preadv2/pwritev2 with RWF_NOWAIT say EOPNOTSUPP when the file
// does not support it). Written by whoever probes (relaxed; idempotent).
enum : uint8_t { kNowaitUnknown = 0, kNowaitYes = 1, kNowaitNo = 2 };

// Registration with the epoll set. Written under the descriptor's lock.
enum : uint8_t {
  kRegNone = 0,
  kRegDone = 1,
  kRegFailed = 2,   // EPERM: the file has no poll method, so it is always
                    // ready (poll needs no node for it); kind is kFile
  kRegRefused = 3,  // pollable, but epoll would not watch it (an epoll nested
                    // too deep, max_user_watches): poll and select on it take
                    // the syscall path; kind is kFile
};

// Outcome of a wait (PollWait.state once it left kWaitArming/kWaitParked).
enum : uint32_t {
  kWaitArming = 0,   // the G is queueing its nodes; not parked yet
  kWaitParked = 1,   // the G is off its stack; the waker that claims it readies it
  kWaitEvent = 2,    // readiness (or a stale sequence): retry the call
  kWaitTimeout = 3,  // the deadline passed
  kWaitClosed = 4,   // the fd was closed (or dup2'd over) under the waiter
  kWaitInterrupted = 5,  // park_interrupt: a cancel or a signal (interrupt.h)
};

// PollWait and PollNode are defined in g.h: every G carries one of each.

// PollDesc: the runtime's record of one fd number. Entries live in chunks
// that are never freed, so a pointer to one stays valid forever.
struct PollDesc {
  SpinLock lock;
  // gen changes (under lock) every time the number stops naming the file we
  // classified: close, dup2 over it, a hook that creates an fd there. It is
  // stored beside the fd in epoll_data, so events for an old file are dropped,
  // and a waiter that finds it changed wakes with EBADF. Never 0.
  std::atomic<uint32_t> gen{1};
  std::atomic<FdKind> kind{FdKind::kUnknown};
  std::atomic<uint8_t> nonblock{0};  // O_NONBLOCK as the *program* set it [lock to write]
  std::atomic<uint8_t> shared{0};    // the description may be shared with other fds or
                                     // processes (inherited, dup'd): O_NONBLOCK may change
                                     // behind our back, so refresh it before acting on it
  std::atomic<uint8_t> reg{kRegNone};
  std::atomic<uint8_t> nowait[2]{};  // kNowait* per PollDir (kStream only)
  uint8_t sock_type = 0;             // SOCK_STREAM, SOCK_DGRAM, ... [set with kind]
  uint16_t nb_users = 0;             // calls holding a transient O_NONBLOCK [lock]
  int32_t saved_fl = 0;              // file flags to restore after them [lock]
  // seq[d] counts readiness events (and wakeups) for direction d; bumped
  // under lock by netpoll. A caller snapshots it before trying the real call
  // and parks only if it is unchanged, so no edge between the two is lost.
  std::atomic<uint32_t> seq[2]{};
  // The drained hint of a TCP socket's read side (see "Drained" in
  // pollfd.cpp). drained is (gen << 32 | seq[kDirRead]) as snapshotted before
  // a read that came back short, 0 for none: a later read that finds the same
  // pair parks at once instead of trying. Any reader may store or take it
  // (relaxed: a stale pair never matches the live one). nodrain_gen is the
  // generation in which netpoll saw more than plain readiness (urgent data,
  // end of file, an error, a hang-up): a short read then proves nothing, and
  // no hint is stored for that generation. Written under lock by netpoll.
  std::atomic<uint64_t> drained{0};
  std::atomic<uint32_t> nodrain_gen{0};
  // tcp: (gen << 8 | kTcpYes or kTcpNo) once a short read asked whether the
  // socket of generation gen is a TCP stream (SO_PROTOCOL); another
  // generation's answer means unknown. Relaxed, idempotent.
  std::atomic<uint64_t> tcp{0};
  std::atomic<uint32_t> nio[2]{};    // I/O nodes queued per direction [lock to write]
  std::atomic<uint32_t> nwait{0};    // all nodes queued [lock to write]
  // SO_RCVTIMEO / SO_SNDTIMEO in ns: 0 = none, < 0 = expire at once (a
  // negative timeval, as the kernel treats it). Relaxed; written by setsockopt.
  std::atomic<int64_t> rcvtimeo{0};
  std::atomic<int64_t> sndtimeo{0};
  PollNode* head[2]{};  // wait queues, FIFO [lock]
  PollNode* tail[2]{};  // [lock]
};

// pd_get: the entry for fd, or nullptr if none was ever made (no allocation).
PollDesc* pd_get(int fd);

// pd_classify: the entry for fd, classified (kind is kFile, kSocket or
// kStream), with its generation in *gen. Classifies an fd the runtime has not
// seen (fstat, F_GETFL, socket options) on the way. nullptr when the fd is
// beyond the table, invalid (fstat fails) or being closed: the caller makes
// the real call, which reports what native code would see.
PollDesc* pd_classify(int fd, uint32_t* gen);

// pd_created: a hook made fd (socket, accept, pipe, eventfd, dup...). Any
// waiter left on the number from a close we did not see wakes with EBADF.
struct FdInit {
  FdKind kind = FdKind::kUnknown;
  int sock_type = 0;
  bool nonblock = false;
  bool shared = false;
  int64_t rcvtimeo = 0;
  int64_t sndtimeo = 0;
  bool tcp = false;  // known to be plain TCP (accepted from a TCP listener)
};
void pd_created(int fd, const FdInit& init);
// pd_dup: newfd now shares oldfd's description (dup, dup2, dup3, F_DUPFD).
void pd_dup(int oldfd, int newfd);

// pd_forget: the record of generation gen proved stale (it says socket, but
// the number now names something else: it was closed and reused where no
// hook saw it). Makes the number unknown, waking its waiters with
// kWaitClosed, unless the generation moved on meanwhile (a hook recorded the
// new file already).
void pd_forget(PollDesc* pd, uint32_t gen);

// pd_close_begin / pd_close_end bracket the real close (or dup2 over fd):
// begin wakes every waiter with kWaitClosed and marks the number kClosing (a
// new generation), so nobody parked touches a reused number; end makes it
// unknown again (to be classified afresh) and wakes the poll and select
// callers that queued on the closing number meanwhile. Callable from any
// thread. See "Closing" in pollfd.cpp.
void pd_close_begin(int fd);
void pd_close_end(int fd);
// pd_close_range: the same for every known fd in [lo, hi].
void pd_close_range_begin(unsigned lo, unsigned hi);
void pd_close_range_end(unsigned lo, unsigned hi);

// pd_set_nonblock records the program's O_NONBLOCK for fd and applies
// flags (F_SETFL) or the FIONBIO ioctl through apply(), keeping a transient
// O_NONBLOCK of ours in place. Returns apply's result.
int pd_setfl(int fd, int flags, int (*apply)(int fd, int flags));
// pd_fionbio: ioctl(FIONBIO) through apply(fd, on), the same way.
int pd_fionbio(int fd, bool on, int (*apply)(int fd, int on));
// pd_getfl_mask: F_GETFL result as the program must see it.
int pd_getfl_mask(int fd, int flags);
// pd_refresh_nonblock rereads O_NONBLOCK of a shared description.
bool pd_refresh_nonblock(PollDesc* pd, int fd);

// pd_nonblock_begin / end: a transient O_NONBLOCK for calls that have no
// per-call form (accept, connect). Counted, so concurrent callers share it;
// the last one restores the flags. Never on fds 0-2 (the caller checks).
void pd_nonblock_begin(PollDesc* pd, int fd);
void pd_nonblock_end(PollDesc* pd, int fd);

// pd_set_timeout records SO_RCVTIMEO (dir kDirRead) or SO_SNDTIMEO.
void pd_set_timeout(int fd, int dir, int64_t ns);

// pd_process_init records the process that owns the table (at runtime start
// and in a fork child). pd_foreign_process: the caller runs in another
// process that shares our memory (a vfork child, before exec): its close()
// and dup2() must not touch the parent's table.
void pd_process_init();
bool pd_foreign_process();

// pd_register adds fd to the epoll set (once per generation). Returns 1 if it
// registered just now (the caller retries its call before parking: the fd
// may have become ready before registration), 0 if it was already (or the
// number was closed since gen: the wait will say so), -1 if epoll refuses the
// fd (kind becomes kFile and reg kRegFailed or kRegRefused: use the syscall
// path) or the fd is not open any more (EBADF: nothing recorded; the real
// call reports it).
int pd_register(PollDesc* pd, int fd, uint32_t gen);

// pd_wait parks the current G on n nodes (filled in by the caller: pd, gen,
// seq, dir, io, closing) until one fires, the deadline (nanotime, 0 = none)
// passes, a descriptor closes, or the G is interrupted (interrupt.h: a
// cancel or a signal). Returns kWaitEvent, kWaitTimeout, kWaitClosed or
// kWaitInterrupted. Does not park if a node's sequence or generation already
// moved, the deadline passed, or an interrupt is pending. n may be 0 (a
// poll with no fds: only the deadline or an interrupt ends it).
uint32_t pd_wait(PollNode* nodes, int n, int64_t deadline);

// pd_pass_on: a call on pd in direction dir succeeded while I/O waiters were
// queued. Edge-triggered epoll reported one edge for what may be several
// connections or many bytes: wake the next waiter so it tries too.
void pd_pass_on(PollDesc* pd, int dir);
// pd_wake_all wakes every waiter of fd to retry (shutdown()).
void pd_wake_all(int fd);

// pd_netpoll_ready: netpoll saw readiness for (fd, gen). Claims the waiters
// to wake and links their Gs (status set to Runnable) onto *list. odd: the
// event said more than "readable"/"writable" (EPOLLPRI, EPOLLRDHUP,
// EPOLLHUP, EPOLLERR), which ends the drained hint for this generation.
void pd_netpoll_ready(int fd, uint32_t gen, bool rd, bool wr, bool odd, G** list, int* n);

// pd_drained_take: the read side of pd (generation gen, read sequence seq)
// is known to be drained — a read since that snapshot came back short and no
// readiness was reported since — so a blocking read may park without trying.
// Takes the hint (one reader uses it).
bool pd_drained_take(PollDesc* pd, uint32_t gen, uint32_t seq);
// pd_drained_note: a read of want bytes on pd returned got (0 < got < want)
// after the snapshot seq: record the hint if pd is a TCP socket with nothing
// but plain readiness seen in this generation.
void pd_drained_note(PollDesc* pd, int fd, uint32_t gen, uint32_t seq);
// pd_is_tcp: whether pd (generation gen) is a plain TCP socket: TCP and no
// upper-layer protocol. Asked once per generation (getsockopt), then cached.
bool pd_is_tcp(PollDesc* pd, int fd, uint32_t gen);
// pd_no_drain: fd's reads may stop short with more queued (TCP_ULP was set).
void pd_no_drain(int fd);

// pd_prefetch starts loading fd's descriptor (waiters false) or the first
// waiters queued on it (true: the descriptor should be loaded by then).
// Prefetches only; never faults.
void pd_prefetch(int fd, bool waiters);

// pd_after_fork: in a fork child, forget every registration and waiter (the
// child has a fresh epoll set and only the forking G).
void pd_after_fork();

// pd_interrupt wakes g out of pd_wait with kWaitInterrupted (interrupt.h).
void pd_interrupt(G* g);

}  // namespace gmp
