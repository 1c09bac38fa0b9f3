// hooks/net.cpp — sockets. A blocking accept, connect, recv or send parks the
// G on the netpoller (runtime/fdio.h) with native semantics; socket creation,
// SO_RCVTIMEO/SO_SNDTIMEO and shutdown keep the descriptor table current.
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "hooks/hook.h"
#include "runtime/fdio.h"
#include "runtime/pollfd.h"

using namespace gmp;

namespace {

void socket_created(int fd, int type) {
  FdInit in;
  in.kind = FdKind::kSocket;
  in.sock_type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  in.nonblock = (type & SOCK_NONBLOCK) != 0;
  pd_created(fd, in);
}

// A socket accepted by a thread that is not a G: unknown until first use,
// which classifies it (type, timeouts, flags) from the kernel.
void accepted(int fd) { pd_created(fd, FdInit{}); }

}  // namespace

GMP_HOOK int socket(int domain, int type, int protocol) noexcept {
  int r = real::socket(domain, type, protocol);
  if (r >= 0 && runtime_started()) socket_created(r, type);
  return r;
}

GMP_HOOK int socketpair(int domain, int type, int protocol, int sv[2]) noexcept {
  int r = real::socketpair(domain, type, protocol, sv);
  if (r == 0 && runtime_started()) {
    socket_created(sv[0], type);
    socket_created(sv[1], type);
  }
  return r;
}

GMP_HOOK int accept(int fd, struct sockaddr* addr, socklen_t* len) {
  if (!green()) {
    int r = real::accept(fd, addr, len);
    if (r >= 0 && runtime_started()) accepted(r);
    return r;
  }
  return hook_result(fd_accept(fd, addr, len, 0));
}

GMP_HOOK int accept4(int fd, struct sockaddr* addr, socklen_t* len, int flags) {
  if (!green()) {
    int r = real::accept4(fd, addr, len, flags);
    if (r >= 0 && runtime_started()) accepted(r);
    return r;
  }
  return hook_result(fd_accept(fd, addr, len, flags));
}

GMP_HOOK int connect(int fd, const struct sockaddr* addr, socklen_t len) {
  if (!green()) return real::connect(fd, addr, len);
  return hook_result(fd_connect(fd, addr, len));
}

GMP_HOOK ssize_t recv(int fd, void* buf, size_t n, int flags) {
  if (!green()) return real::recv(fd, buf, n, flags);
  return hook_result(fd_recvfrom(fd, buf, n, flags, nullptr, nullptr));
}

GMP_HOOK ssize_t __recv_chk(int fd, void* buf, size_t n, size_t buflen, int flags) {
  if (n > buflen || !green()) return real::__recv_chk(fd, buf, n, buflen, flags);
  return hook_result(fd_recvfrom(fd, buf, n, flags, nullptr, nullptr));
}

GMP_HOOK ssize_t recvfrom(int fd, void* buf, size_t n, int flags, struct sockaddr* from, socklen_t* fromlen) {
  if (!green()) return real::recvfrom(fd, buf, n, flags, from, fromlen);
  return hook_result(fd_recvfrom(fd, buf, n, flags, from, fromlen));
}

GMP_HOOK ssize_t __recvfrom_chk(int fd, void* buf, size_t n, size_t buflen, int flags, struct sockaddr* from,
                                socklen_t* fromlen) {
  if (n > buflen || !green()) return real::__recvfrom_chk(fd, buf, n, buflen, flags, from, fromlen);
  return hook_result(fd_recvfrom(fd, buf, n, flags, from, fromlen));
}

GMP_HOOK ssize_t recvmsg(int fd, struct msghdr* msg, int flags) {
  if (!green()) return real::recvmsg(fd, msg, flags);
  return hook_result(fd_recvmsg(fd, msg, flags));
}

GMP_HOOK ssize_t send(int fd, const void* buf, size_t n, int flags) {
  if (!green()) return real::send(fd, buf, n, flags);
  return hook_result(fd_sendto(fd, buf, n, flags, nullptr, 0));
}

GMP_HOOK ssize_t sendto(int fd, const void* buf, size_t n, int flags, const struct sockaddr* to, socklen_t tolen) {
  if (!green()) return real::sendto(fd, buf, n, flags, to, tolen);
  return hook_result(fd_sendto(fd, buf, n, flags, to, tolen));
}

GMP_HOOK int recvmmsg(int fd, struct mmsghdr* vec, unsigned int vlen, int flags, struct timespec* timeout) {
  if (!green()) return real::recvmmsg(fd, vec, vlen, flags, timeout);
  return int(hook_result(fd_recvmmsg(fd, vec, vlen, flags, timeout)));
}

GMP_HOOK int sendmmsg(int fd, struct mmsghdr* vec, unsigned int vlen, int flags) {
  if (!green()) return real::sendmmsg(fd, vec, vlen, flags);
  return int(hook_result(fd_sendmmsg(fd, vec, vlen, flags)));
}

GMP_HOOK ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
  if (!green()) return real::sendmsg(fd, msg, flags);
  return hook_result(fd_sendmsg(fd, msg, flags));
}

// shutdown wakes blocked readers and writers as native: the kernel's own
// wakeup reaches them through epoll; waking the queues here as well makes
// them retry at once, whatever the socket family reports.
GMP_HOOK int shutdown(int fd, int how) noexcept {
  int r = real::shutdown(fd, how);
  if (r == 0 && runtime_started()) pd_wake_all(fd);
  return r;
}

// SO_RCVTIMEO / SO_SNDTIMEO go to the kernel as usual and become the
// deadlines of parked calls (EAGAIN when they pass, as native).
GMP_HOOK int setsockopt(int fd, int level, int name, const void* val, socklen_t len) noexcept {
  int r = real::setsockopt(fd, level, name, val, len);
  if (r == 0 && level == SOL_SOCKET && val != nullptr && len >= socklen_t(sizeof(timeval)) && runtime_started()) {
    int dir = -1;
    if (name == SO_RCVTIMEO_OLD || name == SO_RCVTIMEO_NEW) dir = kDirRead;
    if (name == SO_SNDTIMEO_OLD || name == SO_SNDTIMEO_NEW) dir = kDirWrite;
    if (dir >= 0) {
      // Both forms are {64-bit seconds, 64-bit microseconds} on x86-64.
      const auto* tv = static_cast<const timeval*>(val);
      int64_t ns = tv->tv_sec < 0 ? -1
                   : (tv->tv_sec == 0 && tv->tv_usec == 0)
                       ? 0
                       : int64_t(tv->tv_sec) * 1000000000 + int64_t(tv->tv_usec) * 1000;
      pd_set_timeout(fd, dir, ns);
    }
  }
  // An upper-layer protocol (kTLS) reads record by record: a short read no
  // longer means the socket is drained.
  if (r == 0 && level == IPPROTO_TCP && name == TCP_ULP && runtime_started()) pd_no_drain(fd);
  return r;
}
