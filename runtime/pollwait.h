// pollwait.h — poll, select and epoll_wait that park the G, not the M.
//
// The caller is a G (green()). deadline is a nanotime (0: wait forever).
// Results are the glibc function's, with failure as -errno (the hook sets
// errno). The readiness the program sees always comes from the real call
// made with a zero timeout, so revents, fd_set contents and epoll events
// are exactly the kernel's.
#pragma once
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>

namespace gmp {

// poll (mask == nullptr, ppoll == false) and ppoll.
int fd_poll(pollfd* fds, nfds_t n, int64_t deadline, const sigset_t* mask, bool ppoll);
// select (pselect == false) and pselect.
int fd_select(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, int64_t deadline, const sigset_t* mask,
              bool pselect);
// epoll_wait and epoll_pwait on the program's own epoll fd.
int fd_epoll_wait(int epfd, epoll_event* events, int max, int64_t deadline, const sigset_t* mask);

}  // namespace gmp
