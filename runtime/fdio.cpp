// fdio.cpp — blocking fd calls that park the G (see fdio.h).
//
// Design
//
// The file description belongs to the program: it is shared with stdio
// (whose internal read/write no hook sees), with children, with processes
// that are not preloaded. So we never leave O_NONBLOCK on it. Each call is
// made non-blocking by itself instead:
//   - sockets: the same call with MSG_DONTWAIT (read/write on a socket are
//     recv/send with flags 0 in the kernel, so this is exact; write on a
//     SOCK_SEQPACKET socket adds MSG_EOR as the kernel's write does);
//   - pipes, eventfd, timerfd, signalfd, some char devices: preadv2 /
//     pwritev2 with RWF_NOWAIT at the current position, probed per fd and
//     direction (EOPNOTSUPP means the file does not honour it);
//   - files that are pollable but have no per-call form (FIFOs opened with
//     open(), ttys and ptys, inotify, eventfd writes on 6.18): wait for
//     readiness with poll, then make the real call on the syscall path;
//   - accept and connect: no per-call form exists, so O_NONBLOCK is set for
//     the duration of the call only (counted per fd), never on fds 0-2;
//   - regular files, block devices and whatever epoll refuses: the real
//     blocking call between entersyscall/exitsyscall (the syscall path).
//
// The loop (io_loop): snapshot the descriptor's readiness sequence, try the
// call; on EAGAIN — unless the program itself asked for non-blocking —
// register the fd with epoll (first time only), then park on the direction's
// queue until readiness, the SO_RCVTIMEO/SO_SNDTIMEO deadline, or close; and
// try again. A blocking write (or MSG_WAITALL read) on a stream continues
// after a partial result until everything moved, as the kernel's own
// blocking call does, and returns the total; continuation sends use
// MSG_NOSIGNAL, because the kernel raises SIGPIPE only when a call moved
// nothing. A call that succeeds while other I/O waiters are queued passes the
// wakeup on (pd_pass_on), since an edge-triggered event is reported once.
//
// Interrupts (interrupt.h). Every call here is a cancellation point, and a
// signal handler interrupts a parked call as it would interrupt the kernel's
// wait. After pd_wait says kWaitInterrupted, as glibc 2.36 and the kernel:
//   1. a pending cancel exits the thread (test_cancel), even if the call
//      moved data already: glibc switches to asynchronous cancellation around
//      a blocking system call, so its SIGCANCEL handler unwinds a write that
//      wrote part of its buffer (net_cancel shows it natively);
//   2. a call that already moved data (a partial write, some of a recvmmsg
//      batch) returns what it moved, after the handlers ran;
//   3. otherwise the handlers run, and the call restarts if signal(7) lets
//      SA_RESTART restart it and every handler had SA_RESTART
//      (sig_after_interrupt), else fails with EINTR. On sockets and pipes all
//      these calls restart, except on a socket whose timeout for the
//      direction (SO_RCVTIMEO for receives and accept, SO_SNDTIMEO for sends
//      and connect) is set.
// A G woken by readiness (kWaitEvent) does not look for a cancel: it may be
// the one waiter an edge was given to, and exiting would strand the others.
// It retries the call; if that would block, pd_wait sees the cancel before
// parking.
#include "runtime/fdio.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>

#include "preload/real.h"
#include "runtime/cancel.h"
#include "runtime/signal.h"
#include "runtime/os.h"
#include "runtime/pollfd.h"
#include "runtime/sched_internal.h"

namespace gmp {

__attribute__((noinline)) int errno_get() { return errno; }
__attribute__((noinline)) void errno_set(int e) { errno = e; }

namespace {

// kUseSyscall: io_loop found the fd is not pollable after all; the caller
// makes the whole call on the syscall path.
constexpr ssize_t kUseSyscall = -100000;
// kRetry: the attempt said EAGAIN but the fd polls ready; try again.
constexpr ssize_t kRetry = -100001;
// kUioMaxIov: the kernel's bound on vlen of recvmmsg/sendmmsg (UIO_MAXIOV).
constexpr unsigned kUioMaxIov = 1024;

// neg_errno turns a glibc-convention result into the -errno convention.
inline ssize_t neg_errno(ssize_t r) { return r < 0 ? -errno_get() : r; }

// sys_path makes a (possibly) blocking real call on the syscall path.
template <class F>
ssize_t sys_path(F fn) {
  G* g = entersyscall();
  ssize_t r = fn();
  if (r < 0) r = -errno_get();
  if (g) exitsyscall(g);
  return r;
}

struct IoOp {
  int fd;
  int dir;
  PollDesc* pd;
  uint32_t gen;
  bool all;        // continue after a partial result until total moved
  size_t total;    // bytes wanted (with all)
  int64_t timeo;   // SO_RCVTIMEO / SO_SNDTIMEO of the direction (ns; 0 none; < 0 at once)
  bool prior = false;  // the caller moved something already in this call
                       // (messages of a recvmmsg/sendmmsg batch): an
                       // interrupt ends the call rather than failing it
  bool drain = false;  // a plain stream read: may use and leave the drained
                       // hint ("Drained" in pollfd.cpp)
};

// io_loop runs attempt(done) — one non-blocking try at offset done — until
// it does not say EAGAIN, parking in between. Returns bytes (or the
// attempt's value), -errno, or kUseSyscall.
template <class F>
ssize_t io_loop(const IoOp& op, F attempt) {
  PollDesc* pd = op.pd;
  size_t done = 0;
  int64_t deadline = 0;
  int spurious = 0;
  bool skipped = false;  // the first attempt was skipped on the drained hint
  for (bool first = true;; first = false) {
    uint32_t seq = pd->seq[op.dir].load(std::memory_order_acquire);
    // A retry must never touch the number if it was closed (and maybe
    // reused) since the call began: that file is not the one it waited on.
    if (!first && (pd->gen.load(std::memory_order_acquire) != op.gen ||
                   pd->kind.load(std::memory_order_acquire) < FdKind::kFile))
      return done ? ssize_t(done) : -EBADF;
    // Known drained since seq, and nothing reported since: the attempt
    // would say EAGAIN; go straight to the wait (which checks seq again).
    // Data that arrived after the snapshot has an event in epoll's ready
    // list; an M blocked in the poller wakes for it at once, but with every
    // P busy nobody may poll for a while, so the read notes itself in
    // sched.skip_since and find_runnable polls within kDrainedPollNs. Not on
    // a description other numbers or processes share: it may be made
    // O_NONBLOCK, or read, elsewhere. A skipped read that would end without
    // data (timeout, signal) makes its one real attempt first (`skipped`).
    bool skip = first && op.drain && op.timeo >= 0 && !pd->nonblock.load(std::memory_order_relaxed) &&
                !pd->shared.load(std::memory_order_relaxed) && pd_drained_take(pd, op.gen, seq);
    if (skip) {
      skipped = true;
      if (sched.skip_since.load(std::memory_order_relaxed) == 0) {
        int64_t zero = 0;
        sched.skip_since.compare_exchange_strong(zero, os::nanotime(), std::memory_order_relaxed);
      }
    }
    ssize_t r = skip ? -EAGAIN : attempt(done);
    if (r == kRetry) {
      // RWF_NOWAIT gives up on a contended pipe lock although the pipe is
      // ready (another reader is in it): no edge will come for that, so try
      // again rather than park; yield to let the holder finish.
      if (++spurious < 64) {
        if (spurious > 4) yield();
        continue;
      }
      r = -EAGAIN;
    }
    if (r >= 0) {
      if (op.drain && r > 0 && size_t(r) < op.total) pd_drained_note(pd, op.fd, op.gen, seq);
      done += size_t(r);
      if (op.all && r > 0 && done < op.total) continue;
      if (pd->nio[op.dir].load(std::memory_order_relaxed) != 0) pd_pass_on(pd, op.dir);
      return ssize_t(done);
    }
    if (r != -EAGAIN) {
      if (r != kUseSyscall && pd->nio[op.dir].load(std::memory_order_relaxed) != 0) pd_pass_on(pd, op.dir);
      return done ? ssize_t(done) : r;
    }
    // The call would block. Does the program want that?
    bool nb = pd->nonblock.load(std::memory_order_relaxed);
    if (pd->shared.load(std::memory_order_relaxed)) nb = pd_refresh_nonblock(pd, op.fd);
    if (nb) return done ? ssize_t(done) : -EAGAIN;
    int reg = pd_register(pd, op.fd, op.gen);
    if (reg < 0) return done ? ssize_t(done) : kUseSyscall;
    if (reg > 0) continue;  // it may have become ready before it was registered
    if (op.timeo != 0) {
      int64_t now = os::nanotime();
      if (op.timeo < 0) return done ? ssize_t(done) : -EAGAIN;
      if (deadline == 0)
        deadline = now + op.timeo;
      else if (now >= deadline)
        return done ? ssize_t(done) : -EAGAIN;
    }
    // The G's own node (g.h), near what netpoll touches to wake the G.
    PollNode& node = getg()->ionode;
    node.pd = pd;
    node.gen = op.gen;
    node.seq = seq;
    node.dir = uint8_t(op.dir);
    node.io = true;
    node.closing = false;
    uint32_t st = pd_wait(&node, 1, deadline);
    if (st == kWaitClosed) return done ? ssize_t(done) : -EBADF;
    if (skipped && (st == kWaitTimeout || st == kWaitInterrupted)) {
      // The read was never tried: the data may have been there (its event
      // not yet harvested). Native would have returned it.
      skipped = false;
      if (st == kWaitInterrupted) test_cancel();
      ssize_t got = attempt(0);
      if (got >= 0 || (got != -EAGAIN && got != kRetry)) {
        if (pd->nio[op.dir].load(std::memory_order_relaxed) != 0) pd_pass_on(pd, op.dir);
        if (st == kWaitInterrupted) sig_after_interrupt(false);
        return got;
      }
    }
    if (st == kWaitTimeout) return done ? ssize_t(done) : -EAGAIN;
    if (st == kWaitInterrupted) {  // see "Interrupts" above
      test_cancel();
      if (done != 0 || op.prior) {
        sig_after_interrupt(false);
        return done ? ssize_t(done) : -EINTR;
      }
      if (!sig_after_interrupt(op.timeo == 0)) return -EINTR;
    }
  }
}

// classified runs a read/write-family call by the kind of fd: attempt(pd,
// gen, kind) makes it on the netpoller and returns kUseSyscall when the fd is
// neither a socket nor a stream (or turns out not pollable); sys() is the
// real call on the syscall path. A record that says socket for a number that
// was closed and reused where no hook saw it (ENOTSOCK) is dropped and the
// call made again by what the number is now.
template <class Attempt, class Sys>
ssize_t classified(int fd, bool pollable, Attempt attempt, Sys sys) {
  for (int pass = 0; pollable && pass < 2; pass++) {
    uint32_t gen;
    PollDesc* pd = pd_classify(fd, &gen);
    if (pd == nullptr) break;
    FdKind k = pd->kind.load(std::memory_order_acquire);
    ssize_t r = attempt(pd, gen, k);
    if (r == -ENOTSOCK && k == FdKind::kSocket) {
      pd_forget(pd, gen);
      continue;
    }
    if (r != kUseSyscall) return r;
    break;
  }
  return sys_path(sys);
}

// IovAt gives the tail of an iovec array after `done` bytes, copying only
// when done > 0 (continuations, rare).
class IovAt {
 public:
  ~IovAt() {
    if (v_ != small_) free(v_);
  }
  // Returns nullptr (and *cnt = -1) when out of memory.
  const iovec* at(const iovec* iov, int n, size_t done, int* cnt) {
    if (done == 0) {
      *cnt = n;
      return iov;
    }
    int i = 0;
    while (i < n && done >= iov[i].iov_len) done -= iov[i++].iov_len;
    int rest = n - i;
    if (rest > cap_) {
      auto* nv = static_cast<iovec*>(malloc(sizeof(iovec) * rest));
      if (!nv) {
        *cnt = -1;
        return nullptr;
      }
      if (v_ != small_) free(v_);
      v_ = nv;
      cap_ = rest;
    }
    for (int k = 0; k < rest; k++) v_[k] = iov[i + k];
    if (rest > 0) {
      v_[0].iov_base = static_cast<char*>(v_[0].iov_base) + done;
      v_[0].iov_len -= done;
    }
    *cnt = rest;
    return v_;
  }

 private:
  iovec small_[8];
  iovec* v_ = small_;
  int cap_ = 8;
};

size_t iov_total(const iovec* iov, int n) {
  size_t t = 0;
  for (int i = 0; i < n; i++) t += iov[i].iov_len;
  return t;
}

// stream_try: one attempt on a kStream fd in direction dir. RWF_NOWAIT when
// the file honours it; otherwise readiness first, then the real call on the
// syscall path (real_call).
template <class RealCall>
ssize_t stream_try(PollDesc* pd, int fd, int dir, const iovec* iov, int cnt, RealCall real_call) {
  if (dir == kDirRead) sig_fd_read(fd);  // a signalfd returns its reader's own signals
  uint8_t nw = pd->nowait[dir].load(std::memory_order_relaxed);
  if (nw != kNowaitNo) {
    ssize_t r = dir == kDirRead ? os::preadv2(fd, iov, cnt, RWF_NOWAIT) : os::pwritev2(fd, iov, cnt, RWF_NOWAIT);
    if (r >= 0) {
      if (nw == kNowaitUnknown) pd->nowait[dir].store(kNowaitYes, std::memory_order_relaxed);
      return r;
    }
    int e = int(-r);
    if (e == EAGAIN && !pd->nonblock.load(std::memory_order_relaxed)) {
      // Pipes take their lock with a trylock under RWF_NOWAIT: EAGAIN may
      // mean "busy", not "empty". poll does not take that lock.
      int rev = os::poll1(fd, dir == kDirRead ? POLLIN : POLLOUT);
      if (rev > 0 && !(rev & POLLNVAL)) return kRetry;
      return -EAGAIN;
    }
    if (e != EOPNOTSUPP) return -e;
    pd->nowait[dir].store(kNowaitNo, std::memory_order_relaxed);
  }
  if (!pd->nonblock.load(std::memory_order_relaxed)) {
    int rev = os::poll1(fd, dir == kDirRead ? POLLIN : POLLOUT);
    if (rev == 0) return -EAGAIN;
  }
  return sys_path(real_call);
}

// The socket type decides whether a blocking send continues after a partial
// result (streams) and whether write() means MSG_EOR (seqpacket).
inline bool is_stream(PollDesc* pd) { return pd->sock_type == SOCK_STREAM; }

}  // namespace

////////////////////////////////////////////////////////////////////////////
// read side
////////////////////////////////////////////////////////////////////////////

ssize_t fd_read(int fd, void* buf, size_t n) {
  test_cancel();
  return classified(
      fd, n != 0,
      [&](PollDesc* pd, uint32_t gen, FdKind k) -> ssize_t {
        IoOp op{fd, kDirRead, pd, gen, false, n, 0};
        if (k == FdKind::kSocket) {
          op.timeo = pd->rcvtimeo.load(std::memory_order_relaxed);
          op.drain = true;
          return io_loop(op, [&](size_t) { return os::recvfrom(fd, buf, n, MSG_DONTWAIT, nullptr, nullptr); });
        }
        if (k == FdKind::kStream) {
          iovec v{buf, n};
          return io_loop(op, [&](size_t) {
            return stream_try(pd, fd, kDirRead, &v, 1, [&] { return real::read(fd, buf, n); });
          });
        }
        return kUseSyscall;
      },
      [&] { return real::read(fd, buf, n); });
}

ssize_t fd_readv(int fd, const iovec* iov, int cnt) {
  test_cancel();
  return classified(
      fd, cnt > 0,
      [&](PollDesc* pd, uint32_t gen, FdKind k) -> ssize_t {
        IoOp op{fd, kDirRead, pd, gen, false, 0, 0};
        if (k == FdKind::kSocket) {
          op.timeo = pd->rcvtimeo.load(std::memory_order_relaxed);
          op.total = iov_total(iov, cnt);
          op.drain = true;
          return io_loop(op, [&](size_t) {
            msghdr m{};
            m.msg_iov = const_cast<iovec*>(iov);
            m.msg_iovlen = size_t(cnt);
            return os::recvmsg(fd, &m, MSG_DONTWAIT);
          });
        }
        if (k == FdKind::kStream)
          return io_loop(op, [&](size_t) {
            return stream_try(pd, fd, kDirRead, iov, cnt, [&] { return real::readv(fd, iov, cnt); });
          });
        return kUseSyscall;
      },
      [&] { return real::readv(fd, iov, cnt); });
}

ssize_t fd_recvfrom(int fd, void* buf, size_t n, int flags, sockaddr* from, socklen_t* fromlen) {
  auto real_call = [&](size_t done, int fl) {
    char* p = static_cast<char*>(buf) + done;
    return os::recvfrom(fd, p, n - done, fl, from, from ? fromlen : nullptr);
  };
  test_cancel();
  if (flags & MSG_OOB) pd_no_drain(fd);  // the urgent byte taken, its EPOLLPRI is gone
  if (flags & MSG_DONTWAIT) return real_call(0, flags);
  uint32_t gen;
  PollDesc* pd = pd_classify(fd, &gen);
  if (pd == nullptr || pd->kind.load(std::memory_order_acquire) != FdKind::kSocket)
    return sys_path([&] { return from ? real::recvfrom(fd, buf, n, flags, from, fromlen) : real::recv(fd, buf, n, flags); });
  bool all = (flags & MSG_WAITALL) && is_stream(pd) && !(flags & MSG_PEEK);
  IoOp op{fd, kDirRead, pd, gen, all, n, pd->rcvtimeo.load(std::memory_order_relaxed)};
  op.drain = flags == 0;
  ssize_t r = io_loop(op, [&](size_t done) { return real_call(done, flags | MSG_DONTWAIT); });
  if (r != kUseSyscall) return r;
  return sys_path([&] { return from ? real::recvfrom(fd, buf, n, flags, from, fromlen) : real::recv(fd, buf, n, flags); });
}

ssize_t fd_recvmsg(int fd, msghdr* msg, int flags) {
  test_cancel();
  if (flags & MSG_OOB) pd_no_drain(fd);  // as fd_recvfrom
  if (flags & MSG_DONTWAIT) return os::recvmsg(fd, msg, flags);
  uint32_t gen;
  PollDesc* pd = pd_classify(fd, &gen);
  if (pd == nullptr || pd->kind.load(std::memory_order_acquire) != FdKind::kSocket)
    return sys_path([&] { return real::recvmsg(fd, msg, flags); });
  bool all = (flags & MSG_WAITALL) && is_stream(pd) && !(flags & MSG_PEEK);
  size_t total = all ? iov_total(msg->msg_iov, int(msg->msg_iovlen)) : 0;
  IoOp op{fd, kDirRead, pd, gen, all, total, pd->rcvtimeo.load(std::memory_order_relaxed)};
  IovAt cur;
  ssize_t r = io_loop(op, [&](size_t done) -> ssize_t {
    if (done == 0) return os::recvmsg(fd, msg, flags | MSG_DONTWAIT);
    // MSG_WAITALL continuation: the rest of the buffers, no new control data.
    int cnt;
    const iovec* v = cur.at(msg->msg_iov, int(msg->msg_iovlen), done, &cnt);
    if (!v) return -ENOMEM;
    msghdr m{};
    m.msg_iov = const_cast<iovec*>(v);
    m.msg_iovlen = size_t(cnt);
    return os::recvmsg(fd, &m, (flags & ~MSG_WAITALL) | MSG_DONTWAIT);
  });
  if (r != kUseSyscall) return r;
  return sys_path([&] { return real::recvmsg(fd, msg, flags); });
}

// recvmmsg as the kernel's __sys_recvmmsg: wait for a datagram (blocking
// unless MSG_DONTWAIT), then take datagrams until vlen, an error, or (with
// MSG_WAITFORONE) none is left; with a timeout, stop after the datagram that
// finds it expired, and write back the time left. Each round here is one
// non-blocking recvmmsg, given the time left so that the kernel itself
// checks it after each datagram and reports what remains.
int fd_recvmmsg(int fd, mmsghdr* vec, unsigned vlen, int flags, timespec* timeout) {
  test_cancel();
  if ((flags & MSG_DONTWAIT) || vlen == 0) return int(neg_errno(real::recvmmsg(fd, vec, vlen, flags, timeout)));
  uint32_t gen;
  PollDesc* pd = pd_classify(fd, &gen);
  if (pd == nullptr || pd->kind.load(std::memory_order_acquire) != FdKind::kSocket)
    return int(sys_path([&] { return real::recvmmsg(fd, vec, vlen, flags, timeout); }));
  int64_t deadline = 0;
  if (timeout) {
    if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000) return -EINVAL;
    deadline = os::nanotime() + int64_t(timeout->tv_sec) * 1000000000 + timeout->tv_nsec;
  }
  if (vlen > kUioMaxIov) vlen = kUioMaxIov;  // the kernel's clamp
  unsigned got = 0;
  timespec left{0, 0};  // written back by the kernel after each round with datagrams
  for (;;) {
    IoOp op{fd, kDirRead, pd, gen, false, 0, pd->rcvtimeo.load(std::memory_order_relaxed)};
    op.prior = got != 0;
    ssize_t r = io_loop(op, [&](size_t) -> ssize_t {
      timespec* tp = nullptr;
      if (timeout) {
        int64_t ns = deadline - os::nanotime();
        if (ns < 0) ns = 0;
        left = timespec{time_t(ns / 1000000000), long(ns % 1000000000)};
        tp = &left;
      }
      return neg_errno(real::recvmmsg(fd, vec + got, vlen - got, (flags & ~MSG_WAITFORONE) | MSG_DONTWAIT, tp));
    });
    if (r == kUseSyscall) {
      if (got) break;
      return int(sys_path([&] { return real::recvmmsg(fd, vec, vlen, flags, timeout); }));
    }
    if (r < 0) {
      // An error after some datagrams: the kernel returns the count (and
      // keeps a hard error for the next call; we do not: see
      // compatibility.md).
      if (got) break;
      return int(r);
    }
    got += unsigned(r);
    if (got == vlen || (flags & MSG_WAITFORONE)) break;
    if (timeout && left.tv_sec == 0 && left.tv_nsec == 0) break;  // expired
    // The round stopped short: nothing more queued, or an error, which the
    // kernel keeps in sk_err for the next call. Our next round would take
    // it (recvmmsg looks at sk_err first): stop here, as the kernel did.
    if (os::poll1(fd, POLLIN) & POLLERR) break;
  }
  if (timeout) *timeout = left;
  return int(got);
}

////////////////////////////////////////////////////////////////////////////
// write side
////////////////////////////////////////////////////////////////////////////

ssize_t fd_write(int fd, const void* buf, size_t n) {
  test_cancel();
  return classified(
      fd, n != 0,
      [&](PollDesc* pd, uint32_t gen, FdKind k) -> ssize_t {
        if (k == FdKind::kSocket) {
          int eor = pd->sock_type == SOCK_SEQPACKET ? MSG_EOR : 0;
          IoOp op{fd, kDirWrite, pd, gen, is_stream(pd), n, pd->sndtimeo.load(std::memory_order_relaxed)};
          return io_loop(op, [&](size_t done) {
            int fl = MSG_DONTWAIT | eor | (done ? MSG_NOSIGNAL : 0);
            return os::sendto(fd, static_cast<const char*>(buf) + done, n - done, fl, nullptr, 0);
          });
        }
        if (k == FdKind::kStream) {
          IoOp op{fd, kDirWrite, pd, gen, true, n, 0};
          return io_loop(op, [&](size_t done) {
            iovec v{const_cast<char*>(static_cast<const char*>(buf) + done), n - done};
            return stream_try(pd, fd, kDirWrite, &v, 1,
                              [&] { return real::write(fd, static_cast<const char*>(buf) + done, n - done); });
          });
        }
        return kUseSyscall;
      },
      [&] { return real::write(fd, buf, n); });
}

ssize_t fd_writev(int fd, const iovec* iov, int cnt) {
  test_cancel();
  IovAt cur;
  return classified(
      fd, cnt > 0,
      [&](PollDesc* pd, uint32_t gen, FdKind k) -> ssize_t {
        size_t total = iov_total(iov, cnt);
        if (k == FdKind::kSocket) {
          int eor = pd->sock_type == SOCK_SEQPACKET ? MSG_EOR : 0;
          IoOp op{fd, kDirWrite, pd, gen, is_stream(pd), total, pd->sndtimeo.load(std::memory_order_relaxed)};
          return io_loop(op, [&](size_t done) -> ssize_t {
            int n;
            const iovec* v = cur.at(iov, cnt, done, &n);
            if (!v) return -ENOMEM;
            msghdr m{};
            m.msg_iov = const_cast<iovec*>(v);
            m.msg_iovlen = size_t(n);
            return os::sendmsg(fd, &m, MSG_DONTWAIT | eor | (done ? MSG_NOSIGNAL : 0));
          });
        }
        if (k == FdKind::kStream) {
          IoOp op{fd, kDirWrite, pd, gen, true, total, 0};
          return io_loop(op, [&](size_t done) -> ssize_t {
            int n;
            const iovec* v = cur.at(iov, cnt, done, &n);
            if (!v) return -ENOMEM;
            return stream_try(pd, fd, kDirWrite, v, n, [&] { return real::writev(fd, v, n); });
          });
        }
        return kUseSyscall;
      },
      [&] { return real::writev(fd, iov, cnt); });
}

ssize_t fd_sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* to, socklen_t tolen) {
  auto real_call = [&](size_t done, int fl) {
    const char* p = static_cast<const char*>(buf) + done;
    return os::sendto(fd, p, n - done, fl, to, to ? tolen : 0);
  };
  test_cancel();
  if (flags & MSG_DONTWAIT) return real_call(0, flags);
  uint32_t gen;
  PollDesc* pd = pd_classify(fd, &gen);
  if (pd == nullptr || pd->kind.load(std::memory_order_acquire) != FdKind::kSocket)
    return sys_path([&] { return to ? real::sendto(fd, buf, n, flags, to, tolen) : real::send(fd, buf, n, flags); });
  IoOp op{fd, kDirWrite, pd, gen, is_stream(pd), n, pd->sndtimeo.load(std::memory_order_relaxed)};
  ssize_t r = io_loop(op, [&](size_t done) { return real_call(done, flags | MSG_DONTWAIT | (done ? MSG_NOSIGNAL : 0)); });
  if (r != kUseSyscall) return r;
  return sys_path([&] { return to ? real::sendto(fd, buf, n, flags, to, tolen) : real::send(fd, buf, n, flags); });
}

namespace {

// send_msg: a blocking sendmsg on a classified socket. prior: an earlier
// message of the same sendmmsg went already (an interrupt ends the batch).
ssize_t send_msg(int fd, PollDesc* pd, uint32_t gen, const msghdr* msg, int flags, bool prior) {
  size_t total = iov_total(msg->msg_iov, int(msg->msg_iovlen));
  IoOp op{fd, kDirWrite, pd, gen, is_stream(pd), total, pd->sndtimeo.load(std::memory_order_relaxed)};
  op.prior = prior;
  IovAt cur;
  return io_loop(op, [&](size_t done) -> ssize_t {
    if (done == 0) return os::sendmsg(fd, msg, flags | MSG_DONTWAIT);
    // Continuation of a stream send: the rest of the data; the control data
    // (SCM_RIGHTS...) went with the first part, as in the kernel's own loop.
    int n;
    const iovec* v = cur.at(msg->msg_iov, int(msg->msg_iovlen), done, &n);
    if (!v) return -ENOMEM;
    msghdr m{};
    m.msg_iov = const_cast<iovec*>(v);
    m.msg_iovlen = size_t(n);
    return os::sendmsg(fd, &m, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
  });
}

}  // namespace

ssize_t fd_sendmsg(int fd, const msghdr* msg, int flags) {
  test_cancel();
  if (flags & MSG_DONTWAIT) return os::sendmsg(fd, msg, flags);
  uint32_t gen;
  PollDesc* pd = pd_classify(fd, &gen);
  if (pd == nullptr || pd->kind.load(std::memory_order_acquire) != FdKind::kSocket)
    return sys_path([&] { return real::sendmsg(fd, msg, flags); });
  ssize_t r = send_msg(fd, pd, gen, msg, flags, false);
  if (r != kUseSyscall) return r;
  return sys_path([&] { return real::sendmsg(fd, msg, flags); });
}

////////////////////////////////////////////////////////////////////////////
// accept, connect
////////////////////////////////////////////////////////////////////////////

int fd_accept(int fd, sockaddr* addr, socklen_t* len, int flags) {
  test_cancel();
  uint32_t gen;
  PollDesc* pd = pd_classify(fd, &gen);
  ssize_t r = kUseSyscall;
  // fds 0-2 are shared with everything (inetd hands a listener over as fd 0):
  // never flip their O_NONBLOCK, block on the syscall path instead.
  if (pd != nullptr && pd->kind.load(std::memory_order_acquire) == FdKind::kSocket &&
      (fd > 2 || pd->nonblock.load(std::memory_order_relaxed))) {
    IoOp op{fd, kDirRead, pd, gen, false, 0, pd->rcvtimeo.load(std::memory_order_relaxed)};
    r = io_loop(op, [&](size_t) -> ssize_t {
      // The program's own non-blocking listener needs no flip.
      if (pd->nonblock.load(std::memory_order_relaxed) && !pd->shared.load(std::memory_order_relaxed))
        return neg_errno(real::accept4(fd, addr, len, flags));
      if (fd <= 2) return -EAGAIN;  // became blocking under us: io_loop re-reads it
      pd_nonblock_begin(pd, fd);
      ssize_t a = neg_errno(real::accept4(fd, addr, len, flags));
      pd_nonblock_end(pd, fd);
      return a;
    });
  }
  if (r == kUseSyscall) r = sys_path([&] { return real::accept4(fd, addr, len, flags); });
  if (r >= 0) {
    // The accepted socket inherits the listener's type and timeouts (the
    // kernel clones the listening sock), but not its O_NONBLOCK.
    FdInit in;
    in.kind = FdKind::kSocket;
    in.sock_type = pd ? int(pd->sock_type) : int(SOCK_STREAM);
    in.nonblock = (flags & SOCK_NONBLOCK) != 0;
    if (pd) {
      in.rcvtimeo = pd->rcvtimeo.load(std::memory_order_relaxed);
      in.sndtimeo = pd->sndtimeo.load(std::memory_order_relaxed);
      // A connection accepted from a TCP listener is plain TCP (an upper-layer
      // protocol is set on it later, if ever: setsockopt ends the hint then).
      in.tcp = pd_is_tcp(pd, fd, gen);
    }
    pd_created(int(r), in);
  }
  return int(r);
}

namespace {

// nb_connect: connect() with a transient O_NONBLOCK. Returns 0 or an errno.
int nb_connect(PollDesc* pd, int fd, const sockaddr* addr, socklen_t len) {
  pd_nonblock_begin(pd, fd);
  int r = real::connect(fd, addr, len);
  int e = r < 0 ? errno_get() : 0;
  pd_nonblock_end(pd, fd);
  return e;
}

}  // namespace

// connect as the kernel's blocking inet_stream_connect: start the connection
// (or find it under way: EALREADY), wait until it is established or failed,
// within SO_SNDTIMEO, and finish. A timeout returns EINPROGRESS (EALREADY if
// the connection was already under way) and a signal EINTR, or restarts the
// wait under SA_RESTART; either way the connection goes on in the kernel, and
// a later connect finds it (EALREADY while under way, then 0 or the error
// once, then EISCONN).
int fd_connect(int fd, const sockaddr* addr, socklen_t len) {
  test_cancel();
  uint32_t gen;
  PollDesc* pd = pd_classify(fd, &gen);
  if (pd == nullptr || pd->kind.load(std::memory_order_acquire) != FdKind::kSocket)
    return int(sys_path([&] { return real::connect(fd, addr, len); }));
  bool nb = pd->nonblock.load(std::memory_order_relaxed);
  if (pd->shared.load(std::memory_order_relaxed)) nb = pd_refresh_nonblock(pd, fd);
  if (nb) return int(neg_errno(real::connect(fd, addr, len)));
  if (fd <= 2) return int(sys_path([&] { return real::connect(fd, addr, len); }));

  int e = nb_connect(pd, fd, addr, len);
  if (e == 0) return 0;
  if (e == EAGAIN)  // AF_UNIX listener with a full backlog: natively we would block
    return int(sys_path([&] { return real::connect(fd, addr, len); }));
  if (e != EINPROGRESS && e != EALREADY) return -e;

  // TCP (inet_stream_connect) finishes with one more connect(): it moves the
  // socket to connected, so that later calls say EISCONN, or reports and
  // clears the error. Other families report the outcome in SO_ERROR.
  bool inet = addr != nullptr && len >= socklen_t(sizeof(sa_family_t)) &&
              (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) && is_stream(pd);
  IoOp op{fd, kDirWrite, pd, gen, false, 0, pd->sndtimeo.load(std::memory_order_relaxed)};
  for (;;) {
    ssize_t w = io_loop(op, [&](size_t) -> ssize_t {
      int rev = os::poll1(fd, POLLOUT);
      if (rev < 0) return rev;
      return rev ? 0 : -EAGAIN;
    });
    if (w == kUseSyscall) {
      int rev = int(sys_path([&] {
        struct pollfd p{fd, POLLOUT, 0};
        return real::poll(&p, 1, -1);
      }));
      w = rev < 0 ? rev : 0;
    }
    if (w == -EAGAIN) return -e;  // SO_SNDTIMEO passed: the connection goes on
    if (w < 0) return int(w);     // EINTR (it goes on too), EBADF
    if (inet) {
      int f = nb_connect(pd, fd, addr, len);
      if (f == EALREADY || f == EINPROGRESS) continue;  // writable, yet not connected
      return f == 0 || f == EISCONN ? 0 : -f;
    }
    int err = 0;
    socklen_t l = sizeof err;
    if (real::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0) return -errno_get();
    return err ? -err : 0;
  }
}

// sendmmsg as the kernel's __sys_sendmmsg: each message as a blocking
// sendmsg would send it (a stream socket takes every message whole unless
// interrupted), the count sent if something stops the batch after the first.
int fd_sendmmsg(int fd, mmsghdr* vec, unsigned vlen, int flags) {
  test_cancel();
  if ((flags & MSG_DONTWAIT) || vlen == 0) return int(neg_errno(real::sendmmsg(fd, vec, vlen, flags)));
  uint32_t gen;
  PollDesc* pd = pd_classify(fd, &gen);
  if (pd == nullptr || pd->kind.load(std::memory_order_acquire) != FdKind::kSocket)
    return int(sys_path([&] { return real::sendmmsg(fd, vec, vlen, flags); }));
  if (vlen > kUioMaxIov) vlen = kUioMaxIov;  // the kernel's clamp
  unsigned sent = 0;
  if (is_stream(pd)) {
    for (; sent < vlen; sent++) {
      const msghdr* m = &vec[sent].msg_hdr;
      ssize_t r = send_msg(fd, pd, gen, m, flags, sent != 0);
      if (r == kUseSyscall) r = sys_path([&] { return real::sendmsg(fd, m, flags); });
      if (r < 0) return sent ? int(sent) : int(r);
      vec[sent].msg_len = unsigned(r);
      // Part of a message: interrupted or timed out; the kernel's next
      // message would fail at once (the signal is still pending) or time out.
      if (size_t(r) < iov_total(m->msg_iov, int(m->msg_iovlen))) return int(sent + 1);
    }
    return int(sent);
  }
  while (sent < vlen) {
    IoOp op{fd, kDirWrite, pd, gen, false, 0, pd->sndtimeo.load(std::memory_order_relaxed)};
    op.prior = sent != 0;
    ssize_t r = io_loop(op, [&](size_t) -> ssize_t {
      return neg_errno(real::sendmmsg(fd, vec + sent, vlen - sent, flags | MSG_DONTWAIT));
    });
    if (r == kUseSyscall) {
      if (sent) return int(sent);
      return int(sys_path([&] { return real::sendmmsg(fd, vec, vlen, flags); }));
    }
    if (r < 0) return sent ? int(sent) : int(r);
    sent += unsigned(r);
  }
  return int(sent);
}

}  // namespace gmp
