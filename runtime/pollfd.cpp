// pollfd.cpp — the netpoller's per-fd descriptor table (see pollfd.h).
//
// Design
//
// The table is indexed by fd number: chunks of 1024 PollDescs, allocated on
// first use of a number in their range and never freed, reached through a
// fixed array of chunk pointers. Looking an entry up is two loads and takes
// no lock; everything after the growth of the table is allocation-free.
//
// An entry describes what the number refers to *now*: its kind (socket,
// stream, file), the O_NONBLOCK the program set, its socket timeouts, and
// whether it is in the epoll set. Entries are filled by the hooks that create
// fds (socket, accept, pipe, dup...) or, for fds we never saw created
// (inherited, opened by open()), classified on first use with fstat and
// F_GETFL. close()/dup2() over a number bump its generation and make it
// unknown again; the generation sits beside the fd in epoll_data, so events
// for a file the number no longer names are dropped.
//
// Waiting. Unlike Go's pollDesc (one waiter per direction), C programs have
// several threads blocked in accept() or read() on one fd, and poll() waits
// on many fds at once. So each direction has a FIFO queue of PollNodes; a
// node belongs to the waiting G's PollWait (G.pollwait), and a G waiting on
// many fds queues one node per fd (on its stack), all sharing its PollWait;
// a read or write queues the G's own node (G.ionode). Whoever first
// moves the PollWait out of Arming/Parked (a CAS) owns the wakeup: netpoll,
// a deadline timer, close(), or a pass-on. Nobody readies a G that is still
// on its stack: a claim of an Arming waiter only records the outcome, and
// the G, committing its park on g0, sees the claim and readies itself.
//
// Lost wakeups. A caller snapshots seq[dir] *before* its non-blocking
// attempt; netpoll bumps seq[dir] under the entry lock for every event, and
// the waiter enqueues under the same lock only if seq[dir] is unchanged. An
// edge that arrives after the attempt either bumps seq before the check (the
// caller retries) or finds the node queued (and wakes it).
//
// Edge-triggered epoll reports one edge for two pending connections, or for
// data that several readers share. netpoll wakes every poll()/select() node
// but only the first I/O node (the others would mostly find nothing), and a
// call that succeeds while I/O waiters are queued wakes the next one
// (pd_pass_on): the chain continues until a waiter finds EAGAIN, so nothing
// strands and nothing stampedes.
//
// Closing. A G must never stay parked on a number that no longer names the
// file it waited on (epoll drops a closed file silently, and the number may
// be reused at once). The protocol:
//   1. pd_close_begin, before the real close, always takes the entry lock:
//      it bumps gen, sets kind kClosing and wakes every queued node with
//      kWaitClosed.
//   2. A waiter that read gen earlier but has not queued yet finds gen
//      changed when it queues (pd_wait checks under the same lock) and
//      returns kWaitClosed without parking; a classification in progress
//      (pd_classify) finds it changed when it installs, and starts over.
//   3. The real close runs. Meanwhile the kernel still sees the old file: a
//      read started now goes to the kernel as it would natively
//      (pd_classify says nullptr), and a poll or select looking again after
//      step 1 would find the fd open and idle. It queues a closing node
//      (PollNode.closing) instead, which no readiness event can reach.
//   4. pd_close_end (or the reset of a dup2, or of a hook that made a new fd
//      there) sets kind kUnknown and wakes the closing nodes; their callers
//      look again and see the fd closed (POLLNVAL, EBADF) or the new file.
// Rejected: skipping the lock in step 1 when the entry looked unknown and
// idle (kind kUnknown, nwait 0). A waiter between reading kUnknown and
// installing its classification installs after the closer looked,
// registers and queues before the real close, and sleeps forever
// (net_close_race hung that way with fds no hook saw created). Rejected:
// a poll that finds a close in progress yields and looks again until it is
// done: close() may take long (SO_LINGER; fclose flushing into a full pipe),
// and a poll with nothing queued on a closing fd (when the close began
// between its look and its classification) slept forever.
//
// Drained. A thread-per-connection server reads a request, writes the
// reply, and reads again; that second read almost always finds nothing, and
// a non-blocking attempt that says EAGAIN is a third system call per
// request (an event loop makes two). On a TCP socket a read that comes back
// short has emptied the receive queue, with one exception, the urgent mark,
// and data that arrives later makes the kernel report a new edge, which
// bumps seq[kDirRead]. So a short read records (gen, the seq it snapshotted
// before trying) in PollDesc.drained, and the next blocking read that finds
// seq still there parks at once: any edge since the snapshot moved seq, and
// pd_wait will not park on a moved seq. What else makes the next read return
// at once although nothing new arrived: the end of file or an error queued
// behind the data (a short read takes the data; the next returns 0 or
// ECONNRESET), the urgent mark, a shutdown(SHUT_RD) of our own. netpoll sees
// the first three as EPOLLRDHUP, EPOLLHUP, EPOLLERR or EPOLLPRI in the event
// that reported them, and marks the generation (nodrain_gen) before it bumps
// seq, so a read that snapshotted after that bump also sees the mark and
// records nothing; if it snapshotted before, the bump invalidates its record.
// The shutdown hook clears the record (pd_wake_all). Only plain TCP: an
// AF_UNIX stream stops short at every message that carried descriptors or
// other credentials, a datagram socket at every datagram, an upper-layer
// protocol on TCP (TCP_ULP: kTLS) at records, and none says so in its events
// (net_boundaries hangs on a version that skipped the first). The protocol
// and ULP are asked once per generation (a connection accepted from a TCP
// listener is known to be plain TCP); setsockopt(TCP_ULP) ends the hint.
// Measured: one system call less per echo request, ~10% less server CPU.
//
// Locks: each entry's SpinLock guards its queues, nb_users/saved_fl, and all
// writes of kind, gen, reg, nonblock. Lock order: an entry lock is never held
// while taking another entry lock or sched.lock; Gs are readied after unlock.
#include "runtime/pollfd.h"
#include "runtime/signal.h"

#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <new>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "runtime/interrupt.h"
#include "runtime/netpoll.h"
#include "runtime/os.h"
#include "runtime/rawlog.h"
#include "runtime/sched.h"

namespace gmp {

namespace {

constexpr int kChunkShift = 10;
constexpr int kChunkSize = 1 << kChunkShift;
constexpr int kMaxChunks = 1 << 14;  // fds below 16M; beyond, hooks use the real calls
constexpr uint32_t kNotClaimed = ~0u;

std::atomic<PollDesc*> g_chunks[kMaxChunks];

PollDesc* chunk_alloc(int ci) {
  void* mem = os::mmap_anon(sizeof(PollDesc) * kChunkSize, false);
  if (!mem) fatal("netpoll: out of memory growing the fd table");
  auto* c = static_cast<PollDesc*>(mem);
  for (int i = 0; i < kChunkSize; i++) new (&c[i]) PollDesc();
  PollDesc* expected = nullptr;
  if (!g_chunks[ci].compare_exchange_strong(expected, c, std::memory_order_acq_rel)) {
    os::munmap(mem, sizeof(PollDesc) * kChunkSize);
    return expected;
  }
  return c;
}

PollDesc* pd_ensure(int fd) {
  if (fd < 0 || fd >= kMaxChunks * kChunkSize) return nullptr;
  int ci = fd >> kChunkShift;
  PollDesc* c = g_chunks[ci].load(std::memory_order_acquire);
  if (__builtin_expect(c == nullptr, 0)) c = chunk_alloc(ci);
  return &c[fd & (kChunkSize - 1)];
}

void bump_gen(PollDesc* pd) {
  uint32_t g = pd->gen.load(std::memory_order_relaxed) + 1;
  if (g == 0) g = 1;
  pd->gen.store(g, std::memory_order_release);
}

// claim moves w out of Arming/Parked with outcome why. Returns the state it
// replaced (the caller readies the G iff that was Parked), or kNotClaimed if
// another party already decided the outcome.
uint32_t claim(PollWait* w, uint32_t why) {
  uint32_t s = w->state.load(std::memory_order_acquire);
  while (s == kWaitArming || s == kWaitParked)
    if (w->state.compare_exchange_weak(s, why, std::memory_order_acq_rel)) return s;
  return kNotClaimed;
}

void enqueue(PollDesc* pd, PollNode* n) {
  int d = n->dir;
  n->next = nullptr;
  n->prev = pd->tail[d];
  if (pd->tail[d])
    pd->tail[d]->next = n;
  else
    pd->head[d] = n;
  pd->tail[d] = n;
  n->queued.store(true, std::memory_order_relaxed);
  if (n->io) pd->nio[d].fetch_add(1, std::memory_order_relaxed);
  pd->nwait.fetch_add(1, std::memory_order_relaxed);
}

void dequeue(PollDesc* pd, PollNode* n) {
  int d = n->dir;
  if (n->prev)
    n->prev->next = n->next;
  else
    pd->head[d] = n->next;
  if (n->next)
    n->next->prev = n->prev;
  else
    pd->tail[d] = n->prev;
  n->prev = n->next = nullptr;
  if (n->io) pd->nio[d].fetch_sub(1, std::memory_order_relaxed);
  pd->nwait.fetch_sub(1, std::memory_order_relaxed);
  // Last: once the owner sees false it may leave pd_wait without the lock
  // and reuse the node (a poll() node is on its stack).
  n->queued.store(false, std::memory_order_release);
}

// wake_dir claims waiters of direction d with outcome why: every poll node,
// and the first claimable I/O node (all I/O nodes if all_io). [pd->lock]
template <class Sink>
void wake_dir(PollDesc* pd, int d, uint32_t why, bool all_io, Sink sink) {
  bool woke_io = false;
  for (PollNode* n = pd->head[d]; n;) {
    PollNode* next = n->next;
    if (n->io && woke_io && !all_io) {
      n = next;
      continue;
    }
    bool io = n->io;
    G* g = n->w->g;  // read before dequeue: the node is not ours after it
    uint32_t prev = claim(n->w, why);
    dequeue(pd, n);  // claimed by us or someone else: either way its G is leaving
    if (prev != kNotClaimed) {
      if (io) woke_io = true;
      if (prev == kWaitParked) sink(g);
    }
    n = next;
  }
}

// reset_locked forgets what the number referred to and wakes every waiter
// with kWaitClosed. [pd->lock]
void reset_locked(PollDesc* pd, FdKind kind, ReadyList* rl) {
  bump_gen(pd);
  pd->kind.store(kind, std::memory_order_release);
  pd->reg.store(kRegNone, std::memory_order_relaxed);
  pd->nowait[0].store(kNowaitUnknown, std::memory_order_relaxed);
  pd->nowait[1].store(kNowaitUnknown, std::memory_order_relaxed);
  pd->nonblock.store(0, std::memory_order_relaxed);
  pd->shared.store(0, std::memory_order_relaxed);
  pd->rcvtimeo.store(0, std::memory_order_relaxed);
  pd->sndtimeo.store(0, std::memory_order_relaxed);
  pd->drained.store(0, std::memory_order_relaxed);
  pd->nb_users = 0;
  if (pd->nwait.load(std::memory_order_relaxed) != 0) {
    auto sink = [rl](G* g) { rl->add(g); };
    wake_dir(pd, kDirRead, kWaitClosed, true, sink);
    wake_dir(pd, kDirWrite, kWaitClosed, true, sink);
  }
}

// end_close_locked: the real close (or close_range) has returned. The number
// is unknown until it is classified again; poll nodes queued on the closing
// entry wake to look again. [pd->lock]
void end_close_locked(PollDesc* pd, ReadyList* rl) {
  if (pd->kind.load(std::memory_order_relaxed) != FdKind::kClosing) return;  // reused meanwhile
  pd->kind.store(FdKind::kUnknown, std::memory_order_release);
  if (pd->nwait.load(std::memory_order_relaxed) != 0) {
    auto sink = [rl](G* g) { rl->add(g); };
    wake_dir(pd, kDirRead, kWaitClosed, true, sink);
    wake_dir(pd, kDirWrite, kWaitClosed, true, sink);
  }
}

// install sets what a hook or a classification learned. [pd->lock]
void install_locked(PollDesc* pd, const FdInit& in) {
  pd->sock_type = uint8_t(in.sock_type);
  pd->nonblock.store(in.nonblock, std::memory_order_relaxed);
  pd->shared.store(in.shared, std::memory_order_relaxed);
  pd->rcvtimeo.store(in.rcvtimeo, std::memory_order_relaxed);
  pd->sndtimeo.store(in.sndtimeo, std::memory_order_relaxed);
  pd->drained.store(0, std::memory_order_relaxed);
  if (in.tcp) pd->tcp.store((uint64_t(pd->gen.load(std::memory_order_relaxed)) << 8) | kTcpYes, std::memory_order_relaxed);
  pd->kind.store(in.kind, std::memory_order_release);
}

int64_t timeval_ns(const timeval& tv) {
  if (tv.tv_sec < 0) return -1;
  if (tv.tv_sec == 0 && tv.tv_usec == 0) return 0;
  return int64_t(tv.tv_sec) * 1000000000 + int64_t(tv.tv_usec) * 1000;
}

// probe classifies an fd we did not see created. False if it is not open.
bool probe(int fd, FdInit* in) {
  uint32_t type;
  if (os::fstat_type(fd, &type) < 0) return false;
  int fl = os::fcntl(fd, F_GETFL, 0);
  if (fl < 0) return false;
  in->nonblock = (fl & O_NONBLOCK) != 0;
  in->shared = true;  // inherited or opened behind our back: anyone may share it
  switch (type) {
    case S_IFSOCK: {
      in->kind = FdKind::kSocket;
      int st = 0;
      uint32_t len = sizeof st;
      if (os::getsockopt(fd, SOL_SOCKET, SO_TYPE, &st, &len) == 0) in->sock_type = st;
      timeval tv{};
      len = sizeof tv;
      if (os::getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) == 0) in->rcvtimeo = timeval_ns(tv);
      len = sizeof tv;
      if (os::getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len) == 0) in->sndtimeo = timeval_ns(tv);
      break;
    }
    case S_IFREG:
    case S_IFBLK:
    case S_IFDIR:
    case S_IFLNK:
      in->kind = FdKind::kFile;
      break;
    default:  // FIFO, char device, anonymous inode (eventfd, timerfd, epoll...)
      in->kind = FdKind::kStream;
      break;
  }
  return true;
}

struct CommitArgs {
  PollWait* w;
  bool timed;
};

// wait_commit runs on g0 once the waiting G is off its stack: arm its
// deadline, then publish Parked. If a waker claimed the wait meanwhile (it
// saw Arming and left the wakeup to us), ready the G now. After the CAS the G
// may run anywhere: touch nothing of its stack.
void wait_commit(G* g, void* arg) {
  auto* ca = static_cast<CommitArgs*>(arg);
  PollWait* w = ca->w;
  if (ca->timed) add_timer(&g->timer);
  P* p = getg()->m->p;
  netpoll_waiter_parked(g, p);
  if (p == nullptr) netpoll_ensure_poller();
  uint32_t s = kWaitArming;
  if (!w->state.compare_exchange_strong(s, kWaitParked, std::memory_order_acq_rel)) ready(g);
}

// wait_timeout: the deadline timer of a wait fired (on some M's g0).
void wait_timeout(void* arg, uint64_t) {
  auto* w = static_cast<PollWait*>(arg);
  if (claim(w, kWaitTimeout) == kWaitParked) ready(w->g);
}

template <class F>
void for_each_known(unsigned lo, unsigned hi, F f) {
  unsigned max = unsigned(kMaxChunks) * kChunkSize - 1;
  if (hi > max) hi = max;
  for (unsigned ci = lo >> kChunkShift; ci <= (hi >> kChunkShift); ci++) {
    PollDesc* c = g_chunks[ci].load(std::memory_order_acquire);
    if (!c) continue;
    unsigned first = ci << kChunkShift;
    for (unsigned i = 0; i < unsigned(kChunkSize); i++) {
      unsigned fd = first + i;
      if (fd < lo || fd > hi) continue;
      f(&c[i]);
    }
  }
}

}  // namespace

PollDesc* pd_get(int fd) {
  if (fd < 0 || fd >= kMaxChunks * kChunkSize) return nullptr;
  PollDesc* c = g_chunks[fd >> kChunkShift].load(std::memory_order_acquire);
  return c ? &c[fd & (kChunkSize - 1)] : nullptr;
}

PollDesc* pd_classify(int fd, uint32_t* gen) {
  PollDesc* pd = pd_ensure(fd);
  if (pd == nullptr) return nullptr;
  for (int tries = 0; tries < 4; tries++) {
    uint32_t g = pd->gen.load(std::memory_order_acquire);
    FdKind k = pd->kind.load(std::memory_order_acquire);
    if (k >= FdKind::kFile) {
      *gen = g;
      return pd;
    }
    if (k == FdKind::kClosing) return nullptr;
    FdInit in;
    if (!probe(fd, &in)) return nullptr;
    Guard<SpinLock> l(pd->lock);
    if (pd->gen.load(std::memory_order_relaxed) == g && pd->kind.load(std::memory_order_relaxed) == FdKind::kUnknown)
      install_locked(pd, in);
  }
  return nullptr;  // closed and reopened under us again and again: let the real call decide
}

void pd_created(int fd, const FdInit& init) {
  PollDesc* pd = pd_ensure(fd);
  if (pd == nullptr) return;
  ReadyList rl;
  {
    Guard<SpinLock> l(pd->lock);
    reset_locked(pd, FdKind::kUnknown, &rl);
    if (init.kind != FdKind::kUnknown) install_locked(pd, init);
  }
  rl.ready_all();
}

void pd_dup(int oldfd, int newfd) {
  FdInit in;
  if (PollDesc* op = pd_get(oldfd)) {
    Guard<SpinLock> l(op->lock);
    FdKind k = op->kind.load(std::memory_order_relaxed);
    if (k >= FdKind::kFile) {
      in.kind = k;
      in.sock_type = op->sock_type;
      in.nonblock = op->nonblock.load(std::memory_order_relaxed);
      in.rcvtimeo = op->rcvtimeo.load(std::memory_order_relaxed);
      in.sndtimeo = op->sndtimeo.load(std::memory_order_relaxed);
      in.shared = true;
      op->shared.store(1, std::memory_order_relaxed);
    }
  }
  pd_created(newfd, in);
}

void pd_forget(PollDesc* pd, uint32_t gen) {
  ReadyList rl;
  {
    Guard<SpinLock> l(pd->lock);
    if (pd->gen.load(std::memory_order_relaxed) == gen) reset_locked(pd, FdKind::kUnknown, &rl);
  }
  rl.ready_all();
}

void pd_close_begin(int fd) {
  // pd_ensure, not pd_get: a waiter may be making the entry's chunk right
  // now, and no fast exit either (see "Closing").
  PollDesc* pd = pd_ensure(fd);
  if (pd == nullptr) return;
  ReadyList rl;
  {
    Guard<SpinLock> l(pd->lock);
    reset_locked(pd, FdKind::kClosing, &rl);
  }
  rl.ready_all();
}

void pd_close_end(int fd) {
  PollDesc* pd = pd_get(fd);
  // Only pd_close_end and resets move an entry out of kClosing, and closing
  // nodes queue only while it is kClosing: an entry not kClosing has none.
  if (pd == nullptr || pd->kind.load(std::memory_order_acquire) != FdKind::kClosing) return;
  ReadyList rl;
  {
    Guard<SpinLock> l(pd->lock);
    end_close_locked(pd, &rl);
  }
  rl.ready_all();
}

// The range forms visit only entries whose chunk exists: an fd in a range
// nobody has touched yet has no waiter to wake.
void pd_close_range_begin(unsigned lo, unsigned hi) {
  for_each_known(lo, hi, [](PollDesc* pd) {
    ReadyList rl;
    {
      Guard<SpinLock> l(pd->lock);
      reset_locked(pd, FdKind::kClosing, &rl);
    }
    rl.ready_all();
  });
}

void pd_close_range_end(unsigned lo, unsigned hi) {
  for_each_known(lo, hi, [](PollDesc* pd) {
    if (pd->kind.load(std::memory_order_acquire) != FdKind::kClosing) return;
    ReadyList rl;
    {
      Guard<SpinLock> l(pd->lock);
      end_close_locked(pd, &rl);
    }
    rl.ready_all();
  });
}

int pd_setfl(int fd, int flags, int (*apply)(int fd, int flags)) {
  PollDesc* pd = pd_get(fd);
  if (pd == nullptr || pd->kind.load(std::memory_order_acquire) < FdKind::kFile) return apply(fd, flags);
  Guard<SpinLock> l(pd->lock);
  int kernel = flags;
  if (pd->nb_users > 0) {
    // A transient O_NONBLOCK of ours is in force: keep it, and restore the
    // program's new flags when the last transient user leaves.
    pd->saved_fl = flags;
    kernel |= O_NONBLOCK;
  }
  int r = apply(fd, kernel);
  if (r >= 0) pd->nonblock.store((flags & O_NONBLOCK) != 0, std::memory_order_relaxed);
  return r;
}

int pd_fionbio(int fd, bool on, int (*apply)(int fd, int on)) {
  PollDesc* pd = pd_get(fd);
  if (pd == nullptr || pd->kind.load(std::memory_order_acquire) < FdKind::kFile) return apply(fd, on);
  Guard<SpinLock> l(pd->lock);
  int r = 0;
  if (pd->nb_users > 0) {
    // Our transient O_NONBLOCK stays until the last user restores saved_fl.
    pd->saved_fl = on ? (pd->saved_fl | O_NONBLOCK) : (pd->saved_fl & ~O_NONBLOCK);
    if (on) r = apply(fd, on);
  } else {
    r = apply(fd, on);
  }
  if (r >= 0) pd->nonblock.store(on, std::memory_order_relaxed);
  return r;
}

int pd_getfl_mask(int fd, int flags) {
  PollDesc* pd = pd_get(fd);
  if (pd == nullptr || pd->kind.load(std::memory_order_acquire) < FdKind::kFile) return flags;
  Guard<SpinLock> l(pd->lock);
  if (pd->nb_users > 0 && !(pd->saved_fl & O_NONBLOCK)) flags &= ~O_NONBLOCK;
  return flags;
}

bool pd_refresh_nonblock(PollDesc* pd, int fd) {
  Guard<SpinLock> l(pd->lock);
  if (pd->nb_users == 0) {
    int fl = os::fcntl(fd, F_GETFL, 0);
    if (fl >= 0) pd->nonblock.store((fl & O_NONBLOCK) != 0, std::memory_order_relaxed);
  }
  return pd->nonblock.load(std::memory_order_relaxed);
}

void pd_nonblock_begin(PollDesc* pd, int fd) {
  Guard<SpinLock> l(pd->lock);
  if (pd->nb_users++ != 0) return;
  int fl = os::fcntl(fd, F_GETFL, 0);
  if (fl < 0) fl = pd->nonblock.load(std::memory_order_relaxed) ? O_NONBLOCK : 0;
  pd->saved_fl = fl;
  if (!(fl & O_NONBLOCK)) os::fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void pd_nonblock_end(PollDesc* pd, int fd) {
  Guard<SpinLock> l(pd->lock);
  if (pd->nb_users == 0 || --pd->nb_users != 0) return;  // 0: reset by a close under us
  if (!(pd->saved_fl & O_NONBLOCK)) os::fcntl(fd, F_SETFL, pd->saved_fl);
}

void pd_set_timeout(int fd, int dir, int64_t ns) {
  uint32_t gen;
  PollDesc* pd = pd_classify(fd, &gen);
  if (pd == nullptr) return;
  (dir == kDirRead ? pd->rcvtimeo : pd->sndtimeo).store(ns, std::memory_order_relaxed);
}

static pid_t g_owner_pid;
void pd_process_init() { g_owner_pid = os::getpid(); }
bool pd_foreign_process() { return os::getpid() != g_owner_pid; }

int pd_register(PollDesc* pd, int fd, uint32_t gen) {
  uint8_t r = pd->reg.load(std::memory_order_acquire);
  if (r == kRegDone) return 0;
  if (r == kRegFailed) return -1;
  Guard<SpinLock> l(pd->lock);
  if (pd->gen.load(std::memory_order_relaxed) != gen) return 0;  // closed: the wait says so
  r = pd->reg.load(std::memory_order_relaxed);
  if (r == kRegDone) return 0;
  if (r == kRegFailed) return -1;
  int e = netpoll_open(fd, gen);
  if (e == 0) {
    pd->reg.store(kRegDone, std::memory_order_release);
    return 1;
  }
  // EBADF: closed where no hook saw it; record nothing, the real call says so.
  if (e == -EBADF) return -1;
  // EPERM: regular file or other file without a poll method (always ready);
  // ELOOP/EINVAL: an epoll nested too deep; ENOSPC: max_user_watches. All
  // take the syscall path; poll and select need no node for the first kind
  // and cannot wait on the others.
  pd->reg.store(e == -EPERM ? kRegFailed : kRegRefused, std::memory_order_release);
  pd->kind.store(FdKind::kFile, std::memory_order_release);
  return -1;
}

// fd_wait_interrupted: what ends an fd wait early besides its events — a
// pending cancel or signal (interrupt.h), or a signal for a signalfd the G
// reads (sig_fd_read). Under g->siglock in pd_interrupt.
static bool fd_wait_interrupted(G* g) { return interrupt_pending(g, true) || sig_fd_wake_take(g); }

uint32_t pd_wait(PollNode* nodes, int n, int64_t deadline) {
  G* g = getg();
  PollWait& w = g->pollwait;  // nobody touched it since the last wait returned
  w.state.store(kWaitArming, std::memory_order_relaxed);
  w.g = g;
  for (int i = 0; i < n; i++) {
    nodes[i].w = &w;
    nodes[i].queued.store(false, std::memory_order_relaxed);
  }
  // The clock first: the vDSO is outside our text, where the signal
  // trampoline treats the G as in program code and may run a handler that
  // never returns (siglongjmp) — it must not leave nodes linked.
  uint32_t early = deadline != 0 && deadline <= os::nanotime() ? uint32_t(kWaitTimeout) : 0u;
  for (int i = 0; i < n && early == 0; i++) {
    PollNode* nd = &nodes[i];
    PollDesc* pd = nd->pd;
    Guard<SpinLock> l(pd->lock);
    FdKind k = pd->kind.load(std::memory_order_relaxed);
    if (pd->gen.load(std::memory_order_relaxed) != nd->gen ||
        (nd->closing ? k != FdKind::kClosing : k < FdKind::kFile))
      early = kWaitClosed;  // closed since the caller looked, or the close it waits for ended
    else if (!nd->closing && pd->seq[nd->dir].load(std::memory_order_relaxed) != nd->seq)
      early = kWaitEvent;
    else
      enqueue(pd, nd);
  }
  // Interruptible (interrupt.h): publish the wait, then look for a pending
  // cancel or signal; pd_interrupt claims the wait under g->siglock.
  {
    Guard<SpinLock> l(g->siglock);
    g->park_record = &w;
  }
  g->park_kind.store(kParkFd, std::memory_order_seq_cst);
  if (early == 0 && fd_wait_interrupted(g)) early = kWaitInterrupted;
  if (early != 0) {
    claim(&w, early);  // may lose to a waker that already decided: its outcome stands
  } else if (w.state.load(std::memory_order_acquire) == kWaitArming) {
    CommitArgs ca{&w, deadline != 0};
    if (deadline != 0) {
      g->wait_seq++;
      g->timer.when = deadline;
      g->timer.fn = wait_timeout;
      g->timer.arg = &w;
      g->timer.seq = g->wait_seq;
    }
    park(kWaitReasonIO, wait_commit, &ca);  // counted in netpoll_waiters meanwhile
    if (deadline != 0) timer_del(&g->timer);  // waits for a callback still running
  }
  {
    Guard<SpinLock> l(g->siglock);
    g->park_kind.store(kParkNone, std::memory_order_relaxed);
    g->park_record = nullptr;
  }
  // Dequeue what no waker took. A node a waker dequeued needs no lock: its
  // release store of queued = false was the waker's last touch of it (and
  // only this G queues it again).
  for (int i = 0; i < n; i++) {
    PollNode* nd = &nodes[i];
    if (!nd->queued.load(std::memory_order_acquire)) continue;
    PollDesc* pd = nd->pd;
    Guard<SpinLock> l(pd->lock);
    if (nd->queued.load(std::memory_order_relaxed)) dequeue(pd, nd);
  }
  return w.state.load(std::memory_order_acquire);
}

void pd_pass_on(PollDesc* pd, int dir) {
  G* g = nullptr;
  {
    Guard<SpinLock> l(pd->lock);
    for (PollNode* n = pd->head[dir]; n;) {
      PollNode* next = n->next;
      if (n->io) {
        G* ng = n->w->g;  // read before dequeue: the node is not ours after it
        uint32_t prev = claim(n->w, kWaitEvent);
        dequeue(pd, n);
        if (prev != kNotClaimed) {
          if (prev == kWaitParked) g = ng;
          break;
        }
      }
      n = next;
    }
  }
  if (g) ready(g);
}

void pd_wake_all(int fd) {
  PollDesc* pd = pd_get(fd);
  if (pd == nullptr) return;
  pd->drained.store(0, std::memory_order_relaxed);  // shutdown(SHUT_RD): the next read returns 0
  if (pd->nwait.load(std::memory_order_acquire) == 0) return;
  ReadyList rl;
  {
    Guard<SpinLock> l(pd->lock);
    auto sink = [&rl](G* g) { rl.add(g); };
    for (int d = 0; d < 2; d++) {
      pd->seq[d].fetch_add(1, std::memory_order_release);
      wake_dir(pd, d, kWaitEvent, true, sink);
    }
  }
  rl.ready_all();
}

void pd_netpoll_ready(int fd, uint32_t gen, bool rd, bool wr, bool odd, G** list, int* n) {
  PollDesc* pd = pd_get(fd);
  if (pd == nullptr) return;
  Guard<SpinLock> l(pd->lock);
  if (pd->gen.load(std::memory_order_relaxed) != gen) return;  // an old file under this number
  auto sink = [list, n](G* g) {
    GStatus s = GStatus::kWaiting;
    if (!g->status.compare_exchange_strong(s, GStatus::kRunnable, std::memory_order_acq_rel))
      fatal("netpoll: G%lu is not waiting (status %u)", (unsigned long)g->goid, (unsigned)s);
    g->schedlink = *list;
    *list = g;
    (*n)++;
  };
  if (odd) pd->nodrain_gen.store(gen, std::memory_order_relaxed);  // published by the seq bump
  if (rd) {
    pd->seq[kDirRead].fetch_add(1, std::memory_order_release);
    if (pd->head[kDirRead]) wake_dir(pd, kDirRead, kWaitEvent, false, sink);
  }
  if (wr) {
    pd->seq[kDirWrite].fetch_add(1, std::memory_order_release);
    if (pd->head[kDirWrite]) wake_dir(pd, kDirWrite, kWaitEvent, false, sink);
  }
}

void pd_prefetch(int fd, bool waiters) {
  PollDesc* pd = pd_get(fd);
  if (pd == nullptr) return;
  if (!waiters) {
    __builtin_prefetch(pd, 1);
    __builtin_prefetch(reinterpret_cast<char*>(pd) + 64, 1);
    return;
  }
  // Read without the lock: the pointers may be stale, so they are only
  // prefetched, never followed. A read or write waits with G.ionode, which
  // sits in the G's second cache line after G.pollwait; the line before it
  // holds the G's status and run-queue link (g.h).
  for (int d = 0; d < 2; d++) {
    auto* n = reinterpret_cast<char*>(__atomic_load_n(&pd->head[d], __ATOMIC_RELAXED));
    if (n == nullptr) continue;
    __builtin_prefetch(n, 1);
    __builtin_prefetch(n - 64, 1);
  }
}

bool pd_drained_take(PollDesc* pd, uint32_t gen, uint32_t seq) {
  uint64_t want = (uint64_t(gen) << 32) | seq;
  if (pd->drained.load(std::memory_order_relaxed) != want) return false;
  return pd->drained.exchange(0, std::memory_order_relaxed) == want;
}

bool pd_is_tcp(PollDesc* pd, int fd, uint32_t gen) {
  uint64_t t = pd->tcp.load(std::memory_order_relaxed);
  if (t >> 8 != gen) {
    int proto = 0;
    uint32_t len = sizeof proto;
    bool yes = pd->sock_type == SOCK_STREAM && os::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 &&
               proto == IPPROTO_TCP;
    if (yes) {  // no upper-layer protocol (kTLS returns record by record)
      char ulp[16] = {};
      len = sizeof ulp;
      yes = os::getsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, &len) == 0 && ulp[0] == 0;
    }
    t = (uint64_t(gen) << 8) | (yes ? kTcpYes : kTcpNo);
    pd->tcp.store(t, std::memory_order_relaxed);
  }
  return (t & 0xff) == kTcpYes;
}

void pd_drained_note(PollDesc* pd, int fd, uint32_t gen, uint32_t seq) {
  if (pd->nodrain_gen.load(std::memory_order_acquire) == gen) return;
  if (!pd_is_tcp(pd, fd, gen)) return;
  pd->drained.store((uint64_t(gen) << 32) | seq, std::memory_order_relaxed);
}

void pd_no_drain(int fd) {
  uint32_t gen;
  PollDesc* pd = pd_classify(fd, &gen);
  if (pd == nullptr) return;
  pd->nodrain_gen.store(gen, std::memory_order_release);
  pd->drained.store(0, std::memory_order_relaxed);
}

void pd_after_fork() {
  for (int ci = 0; ci < kMaxChunks; ci++) {
    PollDesc* c = g_chunks[ci].load(std::memory_order_acquire);
    if (!c) continue;
    for (int i = 0; i < kChunkSize; i++) {
      PollDesc* pd = &c[i];
      new (&pd->lock) SpinLock();  // another thread may have held it at fork
      pd->head[0] = pd->head[1] = pd->tail[0] = pd->tail[1] = nullptr;
      pd->nio[0].store(0, std::memory_order_relaxed);
      pd->nio[1].store(0, std::memory_order_relaxed);
      pd->nwait.store(0, std::memory_order_relaxed);
      pd->nb_users = 0;
      pd->reg.store(kRegNone, std::memory_order_relaxed);
      pd->shared.store(1, std::memory_order_relaxed);  // the parent shares every description now
      bump_gen(pd);
    }
  }
}

// pd_interrupt: the PollWait is g's own; g->siglock keeps it in this wait
// (pd_wait clears park_record under it before returning), and the claim
// decides between this interrupt, an event, a close and the deadline.
void pd_interrupt(G* g) {
  uint32_t prev = kNotClaimed;
  {
    Guard<SpinLock> l(g->siglock);
    auto* w = static_cast<PollWait*>(g->park_record);
    if (w != nullptr && g->park_kind.load(std::memory_order_seq_cst) == kParkFd &&
        fd_wait_interrupted(g))
      prev = claim(w, kWaitInterrupted);
  }
  if (prev == kWaitParked) ready(g);
}

}  // namespace gmp
