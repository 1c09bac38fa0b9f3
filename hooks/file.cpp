// hooks/file.cpp — file calls that block in the kernel and cannot be polled:
// the syscall path (entersyscall / exitsyscall; sysmon hands the P off if
// the call lasts). Lock waits hand the P off at once. System V message
// queues and semaphores, POSIX message queues: the same.
//
// open/openat are here because opening a FIFO blocks until the other end
// opens; the *at and 64 variants and glibc's fortified __open_2 forms all
// route through one helper.
#include <fcntl.h>
#include <sys/file.h>
#include <mqueue.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <cstdarg>

#include "hooks/hook.h"

using namespace gmp;

namespace {
template <class F>
auto in_syscall(F f) {
  G* g = entersyscall();
  auto r = f();
  if (g) exitsyscall(g);
  return r;
}
template <class F>
auto in_long_syscall(F f) {
  G* g = entersyscallblock();
  auto r = f();
  if (g) exitsyscall(g);
  return r;
}
inline bool wants_mode(int flags) { return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE; }
}  // namespace

#define GMP_MODE_ARG(flags)          \
  mode_t mode = 0;                   \
  if (wants_mode(flags)) {           \
    va_list ap;                      \
    va_start(ap, flags);             \
    mode = mode_t(va_arg(ap, int));  \
    va_end(ap);                      \
  }

GMP_HOOK int open(const char* path, int flags, ...) {
  GMP_MODE_ARG(flags);
  return in_syscall([&] { return real::open(path, flags, mode); });
}
GMP_HOOK int open64(const char* path, int flags, ...) {
  GMP_MODE_ARG(flags);
  return in_syscall([&] { return real::open64(path, flags, mode); });
}
GMP_HOOK int openat(int dirfd, const char* path, int flags, ...) {
  GMP_MODE_ARG(flags);
  return in_syscall([&] { return real::openat(dirfd, path, flags, mode); });
}
GMP_HOOK int openat64(int dirfd, const char* path, int flags, ...) {
  GMP_MODE_ARG(flags);
  return in_syscall([&] { return real::openat64(dirfd, path, flags, mode); });
}
GMP_HOOK int __open_2(const char* path, int flags) {
  return in_syscall([&] { return real::__open_2(path, flags); });
}
GMP_HOOK int __open64_2(const char* path, int flags) {
  return in_syscall([&] { return real::__open64_2(path, flags); });
}
GMP_HOOK int __openat_2(int dirfd, const char* path, int flags) {
  return in_syscall([&] { return real::__openat_2(dirfd, path, flags); });
}
GMP_HOOK int __openat64_2(int dirfd, const char* path, int flags) {
  return in_syscall([&] { return real::__openat64_2(dirfd, path, flags); });
}

GMP_HOOK int fsync(int fd) { return in_syscall([&] { return real::fsync(fd); }); }
GMP_HOOK int fdatasync(int fd) { return in_syscall([&] { return real::fdatasync(fd); }); }
GMP_HOOK int syncfs(int fd) noexcept { return in_syscall([&] { return real::syncfs(fd); }); }
GMP_HOOK void sync() noexcept {
  in_syscall([&] {
    real::sync();
    return 0;
  });
}
GMP_HOOK int sync_file_range(int fd, off64_t off, off64_t n, unsigned int flags) {
  return in_syscall([&] { return real::sync_file_range(fd, off, n, flags); });
}

GMP_HOOK int flock(int fd, int op) noexcept {
  if (op & LOCK_NB) return real::flock(fd, op);
  return in_long_syscall([&] { return real::flock(fd, op); });
}
GMP_HOOK int lockf(int fd, int cmd, off_t len) {
  if (cmd != F_LOCK) return real::lockf(fd, cmd, len);
  return in_long_syscall([&] { return real::lockf(fd, cmd, len); });
}

GMP_HOOK ssize_t msgrcv(int id, void* msg, size_t size, long type, int flags) {
  if (flags & IPC_NOWAIT) return real::msgrcv(id, msg, size, type, flags);
  return in_long_syscall([&] { return real::msgrcv(id, msg, size, type, flags); });
}
GMP_HOOK int msgsnd(int id, const void* msg, size_t size, int flags) {
  if (flags & IPC_NOWAIT) return real::msgsnd(id, msg, size, flags);
  return in_syscall([&] { return real::msgsnd(id, msg, size, flags); });
}

// System V semaphores: a semop may wait like a lock, or return at once
// (IPC_NOWAIT, a free semaphore); the syscall path costs the second little
// and sysmon hands the P off from the first. The operations are not read
// here: the kernel validates them (E2BIG, EFAULT, EINVAL) as native.
GMP_HOOK int semop(int id, sembuf* sops, size_t n) noexcept {
  return in_syscall([&] { return real::semop(id, sops, n); });
}
GMP_HOOK int semtimedop(int id, sembuf* sops, size_t n, const timespec* ts) noexcept {
  return in_syscall([&] { return real::semtimedop(id, sops, n, ts); });
}

// POSIX message queues: a receive usually waits (the P goes at once), a
// send only when the queue is full. O_NONBLOCK queues return at once either
// way, and the syscall path costs them little.
GMP_HOOK ssize_t mq_receive(mqd_t q, char* msg, size_t len, unsigned* prio) {
  return in_long_syscall([&] { return real::mq_receive(q, msg, len, prio); });
}
GMP_HOOK ssize_t mq_timedreceive(mqd_t q, char* msg, size_t len, unsigned* prio, const timespec* ts) {
  return in_long_syscall([&] { return real::mq_timedreceive(q, msg, len, prio, ts); });
}
GMP_HOOK int mq_send(mqd_t q, const char* msg, size_t len, unsigned prio) {
  return in_syscall([&] { return real::mq_send(q, msg, len, prio); });
}
GMP_HOOK int mq_timedsend(mqd_t q, const char* msg, size_t len, unsigned prio, const timespec* ts) {
  return in_syscall([&] { return real::mq_timedsend(q, msg, len, prio, ts); });
}

// Copies between descriptors in the kernel: they block like the I/O they do
// (a socket or pipe that is full, a slow file), so they take the syscall path.
GMP_HOOK ssize_t sendfile(int out, int in, off_t* off, size_t n) noexcept {
  return in_syscall([&] { return real::sendfile(out, in, off, n); });
}
GMP_HOOK ssize_t sendfile64(int out, int in, off64_t* off, size_t n) noexcept {
  return in_syscall([&] { return real::sendfile64(out, in, off, n); });
}
GMP_HOOK ssize_t splice(int in, off64_t* off_in, int out, off64_t* off_out, size_t n, unsigned int flags) {
  return in_syscall([&] { return real::splice(in, off_in, out, off_out, n, flags); });
}
