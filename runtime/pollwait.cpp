// pollwait.cpp — poll, select and epoll_wait that park the G (pollwait.h).
//
// Design: the multiplexing calls are built from the same pieces as a single
// blocking read (pollfd.h). One G waits on many descriptors: it queues one
// poll node per (fd, direction) that interests it, all sharing one
// PollWait, so the first readiness event, the deadline or a close wakes it
// once. Each round:
//   1. for every fd: classify it, register it with epoll (first time), and
//      snapshot its readiness sequence;
//   2. make the real call with a zero timeout: if anything is ready (or the
//      call fails), that is the answer, exact to the bit;
//   3. otherwise park until a sequence moves or the deadline passes, and go
//      round again. At the deadline the last round's answer (0, cleared
//      sets) is the native timeout result.
// An epoll fd is itself pollable (readable while it has ready events), so
// epoll_wait waits on the program's epoll fd like on any other fd and then
// collects the events with a zero-timeout epoll_wait.
//
// Files epoll refuses (regular files, /dev/null) are always ready to poll,
// so step 2 reports them; they need no node. An fd that epoll refuses for
// another reason (an epoll nested too deep, max_user_watches) cannot be
// watched: that call falls back to the real blocking call on the syscall
// path.
#include "runtime/pollwait.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

#include "preload/real.h"
#include "runtime/cancel.h"
#include "runtime/signal.h"
#include "runtime/fdio.h"
#include "runtime/os.h"
#include "runtime/pollfd.h"

namespace gmp {

namespace {

constexpr int kUnwatchable = -1;

// Nodes: a small inline array, or the heap for big fd sets.
class Nodes {
 public:
  explicit Nodes(size_t n) {
    if (n > kInline) {
      v_ = static_cast<PollNode*>(malloc(sizeof(PollNode) * n));
      if (v_)
        for (size_t i = 0; i < n; i++) new (&v_[i]) PollNode();
    }
  }
  ~Nodes() {
    if (v_ != inline_) free(v_);
  }
  PollNode* get() { return v_; }

 private:
  static constexpr size_t kInline = 16;
  PollNode inline_[kInline];
  PollNode* v_ = inline_;
};

// Build: what one round learned about the watched fds besides the nodes.
struct Build {
  int k = 0;           // nodes filled
  bool again = false;  // an fd changed under us (closed and made again
                       // between our look and the real call's): if the real
                       // call says nothing is ready, look again, do not park
};

// add_node appends a node for (fd, dir) to v[b->k]. Returns false if the fd
// cannot be watched (the caller falls back to the syscall path).
bool add_node(PollNode* v, Build* b, int fd, int dir) {
  uint32_t gen;
  PollDesc* pd = pd_classify(fd, &gen);
  bool closing = false;
  if (pd == nullptr) {
    pd = pd_get(fd);
    if (pd == nullptr) return false;  // beyond the table: no node can watch it
    // A close in progress (see "Closing" in pollfd.cpp): the real call may
    // still see the old file, open and idle; wait for the close to end.
    gen = pd->gen.load(std::memory_order_acquire);
    if (pd->kind.load(std::memory_order_acquire) != FdKind::kClosing) {
      // Not open (the real call reports it), or closed and opened again
      // while we classified it.
      b->again = true;
      return true;
    }
    closing = true;
  } else if (pd->kind.load(std::memory_order_acquire) == FdKind::kFile) {
    // No poll method: always ready, the real call reports it. Refused by
    // epoll (nested too deep, out of watches): only the kernel can wait.
    return pd->reg.load(std::memory_order_acquire) != kRegRefused;
  } else if (pd_register(pd, fd, gen) < 0) {
    if (pd->kind.load(std::memory_order_acquire) != FdKind::kFile) b->again = true;  // EBADF
    return pd->reg.load(std::memory_order_acquire) != kRegRefused;
  }
  PollNode& n = v[b->k++];
  n.pd = pd;
  n.gen = gen;
  n.dir = uint8_t(dir);
  n.io = false;
  n.closing = closing;
  n.seq = pd->seq[dir].load(std::memory_order_acquire);
  return true;
}

int remaining_ms(int64_t deadline) {
  if (deadline == 0) return -1;
  int64_t left = deadline - os::nanotime();
  if (left <= 0) return 0;
  int64_t ms = (left + 999999) / 1000000;
  return ms > 0x7fffffff ? 0x7fffffff : int(ms);
}

// wait_any runs the rounds described at the top. build(nodes, &b) fills the
// nodes (false: unwatchable); check() is the zero-timeout real call (-errno
// convention); fallback() is the real blocking call on the syscall path.
// A close of a watched fd wakes the G; poll and select then report it as the
// kernel does (POLLNVAL, EBADF); epoll_wait (closed_ebadf) returns EBADF
// without touching the number again. None of these calls is restarted after
// a signal handler (signal(7)), whatever SA_RESTART says.
template <class BuildFn, class Check, class Fallback>
int wait_any(size_t max_nodes, int64_t deadline, bool closed_ebadf, BuildFn build, Check check, Fallback fallback) {
  Nodes store(max_nodes);
  PollNode* nodes = store.get();
  if (nodes == nullptr) return fallback();
  for (int again = 0;;) {
    Build b;
    if (!build(nodes, &b)) return fallback();
    int r = check();
    if (r != 0) return r;
    if (b.again) {  // rare and short-lived: the number is changing hands
      if (++again > 4) yield();
      continue;
    }
    again = 0;
    if (deadline != 0 && os::nanotime() >= deadline) return 0;
    uint32_t st = pd_wait(nodes, b.k, deadline);
    if (st == kWaitInterrupted) {
      test_cancel();
      if (!sig_after_interrupt(false)) return -EINTR;
    }
    if (st == kWaitClosed && closed_ebadf) return -EBADF;
    if (st == kWaitTimeout) {
      // One last look: readiness that raced with the deadline is reported.
      return check();
    }
  }
}

constexpr short kInEvents = POLLIN | POLLPRI | POLLRDNORM | POLLRDBAND | POLLRDHUP;
constexpr short kOutEvents = POLLOUT | POLLWRNORM | POLLWRBAND;

inline bool bit(const fd_set* s, int fd) {
  const auto* w = reinterpret_cast<const unsigned long*>(s);
  return (w[fd / (8 * sizeof(long))] >> (fd % (8 * sizeof(long)))) & 1;
}

}  // namespace

int fd_poll(pollfd* fds, nfds_t n, int64_t deadline, const sigset_t* mask, bool ppoll) {
  test_cancel();
  auto check = [&]() -> int {
    int r;
    if (ppoll) {
      timespec zero{0, 0};
      r = real::ppoll(fds, n, &zero, mask);
    } else {
      r = real::poll(fds, n, 0);
    }
    return r < 0 ? -errno_get() : r;
  };
  auto build = [&](PollNode* v, Build* b) {
    for (nfds_t i = 0; i < n; i++) {
      int fd = fds[i].fd;
      if (fd < 0) continue;
      short ev = fds[i].events;
      // POLLHUP/POLLERR are reported whatever was asked; they come with the
      // read-side edge.
      if ((ev & kInEvents) || !(ev & kOutEvents))
        if (!add_node(v, b, fd, kDirRead)) return false;
      if (ev & kOutEvents)
        if (!add_node(v, b, fd, kDirWrite)) return false;
    }
    return true;
  };
  auto fallback = [&]() -> int {
    int r;
    if (ppoll) {
      int ms = remaining_ms(deadline);
      timespec ts{ms / 1000, (ms % 1000) * 1000000L};
      r = int(syscall_call([&] { return real::ppoll(fds, n, ms < 0 ? nullptr : &ts, mask); }));
    } else {
      r = int(syscall_call([&] { return real::poll(fds, n, remaining_ms(deadline)); }));
    }
    return r < 0 ? -errno_get() : r;
  };
  uint64_t saved = mask ? sig_mask_swap(mask) : 0;
  int r = wait_any(2 * size_t(n), deadline, false, build, check, fallback);
  if (mask) sig_mask_restore(saved);
  return r;
}

int fd_select(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, int64_t deadline, const sigset_t* mask,
              bool pselect) {
  test_cancel();
  if (nfds < 0) return -EINVAL;
  // The real zero-timeout call overwrites the sets: keep the request.
  size_t bytes = (size_t(nfds) + 8 * sizeof(long) - 1) / (8 * sizeof(long)) * sizeof(long);
  fd_set small[3];
  char* saved = reinterpret_cast<char*>(small);
  if (bytes > sizeof(fd_set)) {
    saved = static_cast<char*>(malloc(3 * bytes));
    if (!saved) return -ENOMEM;
  }
  fd_set* sets[3] = {rd, wr, ex};
  for (int i = 0; i < 3; i++)
    if (sets[i]) memcpy(saved + i * bytes, sets[i], bytes);
  auto restore = [&] {
    for (int i = 0; i < 3; i++)
      if (sets[i]) memcpy(sets[i], saved + i * bytes, bytes);
  };
  auto check = [&]() -> int {
    restore();
    int r;
    if (pselect) {
      timespec zero{0, 0};
      r = real::pselect(nfds, rd, wr, ex, &zero, mask);
    } else {
      timeval zero{0, 0};
      r = real::select(nfds, rd, wr, ex, &zero);
    }
    return r < 0 ? -errno_get() : r;
  };
  size_t max_nodes = 0;
  for (int fd = 0; fd < nfds; fd++) {
    const fd_set* req[3] = {rd ? reinterpret_cast<fd_set*>(saved) : nullptr,
                            wr ? reinterpret_cast<fd_set*>(saved + bytes) : nullptr,
                            ex ? reinterpret_cast<fd_set*>(saved + 2 * bytes) : nullptr};
    if ((req[0] && bit(req[0], fd)) || (req[2] && bit(req[2], fd))) max_nodes++;
    if (req[1] && bit(req[1], fd)) max_nodes++;
  }
  auto build = [&](PollNode* v, Build* b) {
    const fd_set* r0 = rd ? reinterpret_cast<fd_set*>(saved) : nullptr;
    const fd_set* w0 = wr ? reinterpret_cast<fd_set*>(saved + bytes) : nullptr;
    const fd_set* e0 = ex ? reinterpret_cast<fd_set*>(saved + 2 * bytes) : nullptr;
    for (int fd = 0; fd < nfds; fd++) {
      if ((r0 && bit(r0, fd)) || (e0 && bit(e0, fd)))
        if (!add_node(v, b, fd, kDirRead)) return false;
      if (w0 && bit(w0, fd))
        if (!add_node(v, b, fd, kDirWrite)) return false;
    }
    return true;
  };
  auto fallback = [&]() -> int {
    restore();
    int ms = remaining_ms(deadline);
    int r;
    if (pselect) {
      timespec ts{ms / 1000, (ms % 1000) * 1000000L};
      r = int(syscall_call([&] { return real::pselect(nfds, rd, wr, ex, ms < 0 ? nullptr : &ts, mask); }));
    } else {
      timeval tv{ms / 1000, (ms % 1000) * 1000L};
      r = int(syscall_call([&] { return real::select(nfds, rd, wr, ex, ms < 0 ? nullptr : &tv); }));
    }
    return r < 0 ? -errno_get() : r;
  };
  uint64_t saved_mask = mask ? sig_mask_swap(mask) : 0;
  int r = wait_any(max_nodes, deadline, false, build, check, fallback);
  if (mask) sig_mask_restore(saved_mask);
  if (saved != reinterpret_cast<char*>(small)) free(saved);
  return r;
}

int fd_epoll_wait(int epfd, epoll_event* events, int max, int64_t deadline, const sigset_t* mask) {
  test_cancel();
  auto check = [&]() -> int {
    int r = real::epoll_pwait(epfd, events, max, 0, mask);
    return r < 0 ? -errno_get() : r;
  };
  auto build = [&](PollNode* v, Build* b) { return add_node(v, b, epfd, kDirRead); };
  auto fallback = [&]() -> int {
    int r = int(syscall_call([&] { return real::epoll_pwait(epfd, events, max, remaining_ms(deadline), mask); }));
    return r < 0 ? -errno_get() : r;
  };
  uint64_t saved = mask ? sig_mask_swap(mask) : 0;
  int r = wait_any(1, deadline, true, build, check, fallback);
  if (mask) sig_mask_restore(saved);
  return r;
}

}  // namespace gmp
