// fdio.h — blocking fd calls that park the G instead of the M.
//
// Each function is the runtime half of a hook: the caller is a G (green()),
// arguments are the program's, and the result is what the glibc function
// returns, except that failure is -errno (the hook sets errno). The program
// cannot tell the difference from its own kernel thread blocking: partial
// transfers, its own O_NONBLOCK / MSG_DONTWAIT, SO_RCVTIMEO / SO_SNDTIMEO,
// SIGPIPE and EOF all behave as native. See fdio.cpp for how.
#pragma once
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

namespace gmp {

ssize_t fd_read(int fd, void* buf, size_t n);
ssize_t fd_readv(int fd, const iovec* iov, int cnt);
ssize_t fd_write(int fd, const void* buf, size_t n);
ssize_t fd_writev(int fd, const iovec* iov, int cnt);
// recv (from == nullptr) and recvfrom.
ssize_t fd_recvfrom(int fd, void* buf, size_t n, int flags, sockaddr* from, socklen_t* fromlen);
ssize_t fd_recvmsg(int fd, msghdr* msg, int flags);
// recvmmsg: blocks for the first message; without MSG_WAITFORONE until vlen
// messages, checking the timeout only after each receipt (as the kernel).
int fd_recvmmsg(int fd, mmsghdr* vec, unsigned vlen, int flags, timespec* timeout);
// send (to == nullptr) and sendto.
ssize_t fd_sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* to, socklen_t tolen);
ssize_t fd_sendmsg(int fd, const msghdr* msg, int flags);
// sendmmsg: sends all vlen messages, blocking as needed; the count sent if
// an error stops it after the first.
int fd_sendmmsg(int fd, mmsghdr* vec, unsigned vlen, int flags);
int fd_accept(int fd, sockaddr* addr, socklen_t* len, int flags);
int fd_connect(int fd, const sockaddr* addr, socklen_t len);

// Calls the runtime cannot poll (regular files, pread & co.): the real
// blocking call inside entersyscall/exitsyscall, so the P can be handed off
// while it blocks. fn follows the glibc convention (-1 and errno).
template <class F>
auto syscall_call(F fn) -> decltype(fn());

// errno through a call the compiler cannot cache: after a park the G may be
// on another kernel thread, and __errno_location() is declared const.
int errno_get();
void errno_set(int e);

// hook_result turns the -errno convention back into glibc's for a hook.
template <class T>
inline T hook_result(T r) {
  if (r < 0) {
    errno_set(int(-r));
    return T(-1);
  }
  return r;
}

}  // namespace gmp

#include "runtime/sched.h"

namespace gmp {
template <class F>
auto syscall_call(F fn) -> decltype(fn()) {
  G* g = entersyscall();
  auto r = fn();
  if (g == nullptr) return r;
  int e = r < 0 ? errno_get() : 0;
  exitsyscall(g);
  if (r < 0) errno_set(e);
  return r;
}
}  // namespace gmp
