// hooks/poll.cpp — poll, ppoll, select, pselect, epoll_wait, epoll_pwait,
// epoll_pwait2 park the G until readiness or the timeout
// (runtime/pollwait.h). A zero timeout is the real call, unchanged.
#include <cerrno>

#include "hooks/hook.h"
#include "runtime/fdio.h"
#include "runtime/os.h"
#include "runtime/pollwait.h"

using namespace gmp;

namespace {

// deadline_ms: nanotime deadline for a timeout in ms (< 0: none -> 0).
int64_t deadline_ms(int timeout) { return timeout < 0 ? 0 : os::nanotime() + int64_t(timeout) * 1000000; }

bool valid_ts(const timespec* ts) { return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000; }

int64_t deadline_ts(const timespec* ts) {
  if (ts == nullptr) return 0;
  return os::nanotime() + int64_t(ts->tv_sec) * 1000000000 + ts->tv_nsec;
}

bool zero_ts(const timespec* ts) { return ts != nullptr && ts->tv_sec == 0 && ts->tv_nsec == 0; }

}  // namespace

GMP_HOOK int poll(struct pollfd* fds, nfds_t n, int timeout) {
  if (!green() || timeout == 0) return real::poll(fds, n, timeout);
  return hook_result(fd_poll(fds, n, deadline_ms(timeout), nullptr, false));
}

GMP_HOOK int __poll_chk(struct pollfd* fds, nfds_t n, int timeout, size_t fdslen) {
  if (fdslen / sizeof(*fds) < n || !green() || timeout == 0) return real::__poll_chk(fds, n, timeout, fdslen);
  return hook_result(fd_poll(fds, n, deadline_ms(timeout), nullptr, false));
}

GMP_HOOK int ppoll(struct pollfd* fds, nfds_t n, const struct timespec* ts, const sigset_t* mask) {
  if (!green() || zero_ts(ts) || (ts && !valid_ts(ts))) return real::ppoll(fds, n, ts, mask);
  return hook_result(fd_poll(fds, n, deadline_ts(ts), mask, true));
}

GMP_HOOK int __ppoll_chk(struct pollfd* fds, nfds_t n, const struct timespec* ts, const sigset_t* mask,
                         size_t fdslen) {
  if (fdslen / sizeof(*fds) < n || !green() || zero_ts(ts) || (ts && !valid_ts(ts)))
    return real::__ppoll_chk(fds, n, ts, mask, fdslen);
  return hook_result(fd_poll(fds, n, deadline_ts(ts), mask, true));
}

// select reports the time left in *timeout, as Linux does.
GMP_HOOK int select(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, struct timeval* tv) {
  if (!green() || (tv && tv->tv_sec == 0 && tv->tv_usec == 0) ||
      (tv && (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)))
    return real::select(nfds, rd, wr, ex, tv);
  int64_t deadline = tv ? os::nanotime() + int64_t(tv->tv_sec) * 1000000000 + int64_t(tv->tv_usec) * 1000 : 0;
  int r = fd_select(nfds, rd, wr, ex, deadline, nullptr, false);
  if (tv) {
    int64_t left = deadline - os::nanotime();
    if (left < 0) left = 0;
    tv->tv_sec = left / 1000000000;
    tv->tv_usec = (left % 1000000000) / 1000;
  }
  return hook_result(r);
}

GMP_HOOK int pselect(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, const struct timespec* ts, const sigset_t* mask) {
  if (!green() || zero_ts(ts) || (ts && !valid_ts(ts))) return real::pselect(nfds, rd, wr, ex, ts, mask);
  return hook_result(fd_select(nfds, rd, wr, ex, deadline_ts(ts), mask, true));
}

GMP_HOOK int epoll_wait(int epfd, struct epoll_event* ev, int max, int timeout) {
  if (!green() || timeout == 0) return real::epoll_wait(epfd, ev, max, timeout);
  return hook_result(fd_epoll_wait(epfd, ev, max, deadline_ms(timeout), nullptr));
}

GMP_HOOK int epoll_pwait(int epfd, struct epoll_event* ev, int max, int timeout, const sigset_t* mask) {
  if (!green() || timeout == 0) return real::epoll_pwait(epfd, ev, max, timeout, mask);
  return hook_result(fd_epoll_wait(epfd, ev, max, deadline_ms(timeout), mask));
}

GMP_HOOK int epoll_pwait2(int epfd, struct epoll_event* ev, int max, const struct timespec* ts, const sigset_t* mask) {
  if (!green() || zero_ts(ts) || (ts && !valid_ts(ts))) return real::epoll_pwait2(epfd, ev, max, ts, mask);
  return hook_result(fd_epoll_wait(epfd, ev, max, deadline_ts(ts), mask));
}
