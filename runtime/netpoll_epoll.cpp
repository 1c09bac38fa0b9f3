// netpoll_epoll.cpp — Linux implementation of netpoll.h with epoll + eventfd.
//
// Registrations are edge-triggered and made once per fd generation (Go's
// netpollopen): the kernel reports each new readiness edge once, and the
// per-fd side (pollfd.cpp) records it in a sequence number and wakes
// waiters. epoll_data is (gen << 32 | fd); the break eventfd is marked with
// all ones, whose fd half (0xffffffff) is no valid fd.
#include <pthread.h>
#include <sys/epoll.h>

#include <atomic>
#include <cerrno>

#include "runtime/g.h"
#include "runtime/m.h"
#include "runtime/netpoll.h"
#include "runtime/os.h"
#include "runtime/p.h"
#include "runtime/pollfd.h"
#include "runtime/rawlog.h"
#include "runtime/sched_internal.h"

namespace gmp {

namespace {
constexpr uint64_t kBreakData = ~uint64_t(0);
int g_epfd = -1;
int g_breakfd = -1;
// break_pending dedupes netpoll_break: one eventfd write per blocked wait.
std::atomic<uint32_t> g_break_pending{0};
// Gs parked (or about to park) on fds by a G whose M held no P; those with
// a P count in the P's share (P.fd_waiters). See pd_wait. A cache line of
// its own, away from what other Ms read on their hot paths.
struct alignas(64) WaiterCount {
  std::atomic<int> n{0};
};
WaiterCount g_waiters;

inline uint64_t encode(int fd, uint32_t gen) { return (uint64_t(gen) << 32) | uint32_t(fd); }

void open_poller() {
  g_epfd = os::epoll_create();
  g_breakfd = os::eventfd();
  if (g_epfd < 0 || g_breakfd < 0) fatal("netpoll_init: cannot create epoll/eventfd (%d, %d)", g_epfd, g_breakfd);
  // Out of the program's way, and out of reach of its close-everything loops.
  g_epfd = os::move_fd_high(g_epfd);
  g_breakfd = os::move_fd_high(g_breakfd);
  os::own_fd(g_epfd);
  os::own_fd(g_breakfd);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kBreakData;
  if (os::epoll_ctl(g_epfd, EPOLL_CTL_ADD, g_breakfd, &ev) < 0) fatal("netpoll_init: epoll_ctl");
}
}  // namespace

void netpoll_init() {
  pd_process_init();
  open_poller();
  // A child made by fork() must not share our epoll instance (it would take
  // the parent's events). Until the fork hook calls netpoll_fork_child
  // itself, glibc's atfork child handlers do it (not run for vfork and
  // posix_spawn, whose children share our memory: rightly so).
  static bool atfork_done = false;
  if (!atfork_done) {
    atfork_done = true;
    pthread_atfork(nullptr, nullptr, [] { netpoll_fork_child(); });
  }
}

void netpoll_fork_child() {
  os::disown_fd(g_epfd);
  os::disown_fd(g_breakfd);
  os::close(g_epfd);
  os::close(g_breakfd);
  g_break_pending.store(0, std::memory_order_relaxed);
  g_waiters.n.store(0, std::memory_order_relaxed);
  pd_process_init();
  open_poller();
  pd_after_fork();
}

void netpoll_break() {
  uint32_t z = 0;
  if (!g_break_pending.compare_exchange_strong(z, 1, std::memory_order_acq_rel)) return;
  uint64_t one = 1;
  os::write(g_breakfd, &one, sizeof one);
}

int netpoll_waiters() {
  int n = g_waiters.n.load(std::memory_order_seq_cst);
  for (int i = 0; i < sched.gomaxprocs; i++) n += sched.allp[i]->fd_waiters.load(std::memory_order_relaxed);
  return n;
}

// The count changes on the runtime's side of a park, where the P (if the
// M still has one) is Running and so owned: raised by g0 in the wait's
// commit, before the wait is published as parked; lowered by the G itself
// in park() once it runs again, before it leaves the runtime. An M whose P
// was taken meanwhile (netpoll_ensure_poller's case) raises the shared
// count instead; its seq_cst add pairs with find_runnable's read after it
// released its P.
static void waiters_add(P* p, int delta) {
  if (p != nullptr)
    p->fd_waiters.store(p->fd_waiters.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  else
    g_waiters.n.fetch_add(delta, std::memory_order_seq_cst);
}

void netpoll_waiter_parked(G* g, P* p) {
  g->fd_waiting = true;
  waiters_add(p, 1);
}

void netpoll_waiter_resumed(G* g, P* p) {
  g->fd_waiting = false;
  waiters_add(p, -1);
}

// An M with a P that parks its G runs find_runnable next, which blocks in
// netpoll when there are waiters and nobody polls. An M without a P does
// not; so wake an M that will (it finds no work and becomes the poller).
// The waiter count was raised before the park, and find_runnable releases
// its P before it reads the count: either that M sees our waiter, or we see
// its idle P here.
void netpoll_ensure_poller() {
  if (sched.lastpoll.load(std::memory_order_seq_cst) != 0) wakep();
}

int netpoll_open(int fd, uint32_t gen) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET;
  ev.data.u64 = encode(fd, gen);
  int r = os::epoll_ctl(g_epfd, EPOLL_CTL_ADD, fd, &ev);
  // EEXIST: the same open file is still registered under this number (a
  // close we did not see, then a dup back): take it over with the new gen.
  if (r == -EEXIST) r = os::epoll_ctl(g_epfd, EPOLL_CTL_MOD, fd, &ev);
  return r;
}

G* netpoll(int64_t delay_ns, int* n) {
  *n = 0;
  // Any poll harvests what a read skipped on the drained hint waits for
  // (its event is in the ready list already): the forced poll in
  // find_runnable is for when nobody polls.
  if (sched.skip_since.load(std::memory_order_relaxed) != 0) sched.skip_since.store(0, std::memory_order_relaxed);
  int timeout;
  if (delay_ns < 0)
    timeout = -1;
  else if (delay_ns == 0)
    timeout = 0;
  else if (delay_ns < 1000000)
    timeout = 1;  // epoll has ms resolution; round up so timers are not early
  else if (delay_ns < 1000000000000LL)
    timeout = int((delay_ns + 999999) / 1000000);
  else
    timeout = 1000000000;
  epoll_event events[128];
  int r = os::epoll_wait(g_epfd, events, 128, timeout);
  G* list = nullptr;
  // Each event touches the fd's descriptor, then the waiter it wakes (a G
  // that last ran long ago): ask for all of that ahead (pd_prefetch).
  for (int i = 0; i < r; i++)
    if (events[i].data.u64 != kBreakData) pd_prefetch(int(uint32_t(events[i].data.u64)), false);
  constexpr int kAhead = 8;
  for (int i = 0; i < r && i < kAhead; i++)
    if (events[i].data.u64 != kBreakData) pd_prefetch(int(uint32_t(events[i].data.u64)), true);
  for (int i = 0; i < r; i++) {
    if (i + kAhead < r && events[i + kAhead].data.u64 != kBreakData)
      pd_prefetch(int(uint32_t(events[i + kAhead].data.u64)), true);
    uint64_t data = events[i].data.u64;
    if (data == kBreakData) {
      uint64_t v;
      os::read(g_breakfd, &v, sizeof v);
      g_break_pending.store(0, std::memory_order_release);
      continue;
    }
    uint32_t ev = events[i].events;
    bool rd = ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI);
    bool wr = ev & (EPOLLOUT | EPOLLHUP | EPOLLERR);
    bool odd = ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI);
    pd_netpoll_ready(int(uint32_t(data)), uint32_t(data >> 32), rd, wr, odd, &list, n);
  }
  return list;
}

}  // namespace gmp
