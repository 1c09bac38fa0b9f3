// netpoll_epoll.cpp — Linux implementation of netpoll.h with epoll + eventfd.
#include <sys/epoll.h>

#include <atomic>

#include "runtime/netpoll.h"
#include "runtime/os.h"
#include "runtime/rawlog.h"

namespace gmp {

namespace {
int g_epfd = -1;
int g_breakfd = -1;
// break_pending dedupes netpoll_break: one eventfd write per blocked wait.
std::atomic<uint32_t> g_break_pending{0};
std::atomic<int> g_waiters{0};
}  // namespace

void netpoll_init() {
  g_epfd = os::epoll_create();
  g_breakfd = os::eventfd();
  if (g_epfd < 0 || g_breakfd < 0) fatal("netpoll_init: cannot create epoll/eventfd (%d, %d)", g_epfd, g_breakfd);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;  // 0 marks the break eventfd
  if (os::epoll_ctl(g_epfd, EPOLL_CTL_ADD, g_breakfd, &ev) < 0) fatal("netpoll_init: epoll_ctl");
}

void netpoll_break() {
  uint32_t z = 0;
  if (!g_break_pending.compare_exchange_strong(z, 1, std::memory_order_acq_rel)) return;
  uint64_t one = 1;
  os::write(g_breakfd, &one, sizeof one);
}

int netpoll_waiters() { return g_waiters.load(std::memory_order_relaxed); }

G* netpoll(int64_t delay_ns, int* n) {
  *n = 0;
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
  for (int i = 0; i < r; i++) {
    if (events[i].data.u64 == 0) {
      uint64_t v;
      os::read(g_breakfd, &v, sizeof v);
      g_break_pending.store(0, std::memory_order_release);
      continue;
    }
    // fd readiness arrives with the netpoller issue.
  }
  return list;
}

}  // namespace gmp
