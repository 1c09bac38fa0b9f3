// hooks/io.cpp — read/write on any fd, the descriptor table's bookkeeping
// (close, dup, fcntl, ioctl FIONBIO, fds made by pipe/eventfd/timerfd/...),
// and the positional calls that always take the syscall path.
//
// A blocking read or write parks the G on the netpoller (runtime/fdio.h).
// The bookkeeping hooks act whenever the runtime is up, from any thread,
// since the descriptor table is per process.
#include <cerrno>
#include <cstdarg>
#include <fcntl.h>

#include "hooks/hook.h"
#include "runtime/fdio.h"
#include "runtime/os.h"
#include "runtime/pollfd.h"
#include "runtime/signal.h"

using namespace gmp;

namespace {

// bookkeeping: the table must follow this call (runtime up, our process).
inline bool bookkeeping() { return runtime_started(); }

void stream_created(int fd, bool nonblock) {
  FdInit in;
  in.kind = FdKind::kStream;
  in.nonblock = nonblock;
  pd_created(fd, in);
}

int apply_setfl(int fd, int flags) { return real::fcntl(fd, F_SETFL, flags); }
int apply_fionbio(int fd, int on) { return real::ioctl(fd, FIONBIO, &on); }

bool is_lock_wait(int cmd) { return cmd == F_SETLKW || cmd == F_OFD_SETLKW; }

int do_fcntl(int fd, int cmd, void* arg) {
  switch (cmd) {
    case F_GETFL: {
      int r = real::fcntl(fd, cmd);
      if (r >= 0 && bookkeeping()) r = pd_getfl_mask(fd, r);
      return r;
    }
    case F_SETFL:
      if (!bookkeeping()) break;
      return pd_setfl(fd, int(reinterpret_cast<intptr_t>(arg)), apply_setfl);
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      int r = real::fcntl(fd, cmd, arg);
      if (r >= 0 && bookkeeping()) pd_dup(fd, r);
      return r;
    }
    default:
      if (is_lock_wait(cmd) && green()) return syscall_call([&] { return real::fcntl(fd, cmd, arg); });
      break;
  }
  return real::fcntl(fd, cmd, arg);
}

}  // namespace

////////////////////////////////////////////////////////////////////////////
// read / write
////////////////////////////////////////////////////////////////////////////

GMP_HOOK ssize_t read(int fd, void* buf, size_t n) {
  if (!green()) return real::read(fd, buf, n);
  return hook_result(fd_read(fd, buf, n));
}

GMP_HOOK ssize_t __read_chk(int fd, void* buf, size_t n, size_t buflen) {
  if (n > buflen || !green()) return real::__read_chk(fd, buf, n, buflen);
  return hook_result(fd_read(fd, buf, n));
}

GMP_HOOK ssize_t readv(int fd, const struct iovec* iov, int cnt) {
  if (!green()) return real::readv(fd, iov, cnt);
  return hook_result(fd_readv(fd, iov, cnt));
}

GMP_HOOK ssize_t write(int fd, const void* buf, size_t n) {
  if (!green()) return real::write(fd, buf, n);
  return hook_result(fd_write(fd, buf, n));
}

GMP_HOOK ssize_t writev(int fd, const struct iovec* iov, int cnt) {
  if (!green()) return real::writev(fd, iov, cnt);
  return hook_result(fd_writev(fd, iov, cnt));
}

////////////////////////////////////////////////////////////////////////////
// positional I/O: never waits for readiness; the syscall path
////////////////////////////////////////////////////////////////////////////

#define GMP_SYSCALL_PATH(call) \
  if (!green()) return real::call; \
  return syscall_call([&] { return real::call; })

GMP_HOOK ssize_t pread(int fd, void* buf, size_t n, off_t off) { GMP_SYSCALL_PATH(pread(fd, buf, n, off)); }
GMP_HOOK ssize_t pread64(int fd, void* buf, size_t n, off64_t off) { GMP_SYSCALL_PATH(pread64(fd, buf, n, off)); }
GMP_HOOK ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) { GMP_SYSCALL_PATH(pwrite(fd, buf, n, off)); }
GMP_HOOK ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t off) {
  GMP_SYSCALL_PATH(pwrite64(fd, buf, n, off));
}
GMP_HOOK ssize_t preadv(int fd, const struct iovec* iov, int cnt, off_t off) {
  GMP_SYSCALL_PATH(preadv(fd, iov, cnt, off));
}
GMP_HOOK ssize_t preadv64(int fd, const struct iovec* iov, int cnt, off64_t off) {
  GMP_SYSCALL_PATH(preadv64(fd, iov, cnt, off));
}
GMP_HOOK ssize_t pwritev(int fd, const struct iovec* iov, int cnt, off_t off) {
  GMP_SYSCALL_PATH(pwritev(fd, iov, cnt, off));
}
GMP_HOOK ssize_t pwritev64(int fd, const struct iovec* iov, int cnt, off64_t off) {
  GMP_SYSCALL_PATH(pwritev64(fd, iov, cnt, off));
}
// The program's own RWF_NOWAIT never blocks: no syscall path needed.
GMP_HOOK ssize_t preadv2(int fd, const struct iovec* iov, int cnt, off_t off, int flags) {
  if (!green() || (flags & RWF_NOWAIT)) return real::preadv2(fd, iov, cnt, off, flags);
  return syscall_call([&] { return real::preadv2(fd, iov, cnt, off, flags); });
}
GMP_HOOK ssize_t preadv64v2(int fd, const struct iovec* iov, int cnt, off64_t off, int flags) {
  if (!green() || (flags & RWF_NOWAIT)) return real::preadv64v2(fd, iov, cnt, off, flags);
  return syscall_call([&] { return real::preadv64v2(fd, iov, cnt, off, flags); });
}
GMP_HOOK ssize_t pwritev2(int fd, const struct iovec* iov, int cnt, off_t off, int flags) {
  if (!green() || (flags & RWF_NOWAIT)) return real::pwritev2(fd, iov, cnt, off, flags);
  return syscall_call([&] { return real::pwritev2(fd, iov, cnt, off, flags); });
}
GMP_HOOK ssize_t pwritev64v2(int fd, const struct iovec* iov, int cnt, off64_t off, int flags) {
  if (!green() || (flags & RWF_NOWAIT)) return real::pwritev64v2(fd, iov, cnt, off, flags);
  return syscall_call([&] { return real::pwritev64v2(fd, iov, cnt, off, flags); });
}
GMP_HOOK ssize_t __pread_chk(int fd, void* buf, size_t n, off_t off, size_t buflen) {
  if (n > buflen || !green()) return real::__pread_chk(fd, buf, n, off, buflen);
  return syscall_call([&] { return real::pread(fd, buf, n, off); });
}
GMP_HOOK ssize_t __pread64_chk(int fd, void* buf, size_t n, off64_t off, size_t buflen) {
  if (n > buflen || !green()) return real::__pread64_chk(fd, buf, n, off, buflen);
  return syscall_call([&] { return real::pread64(fd, buf, n, off); });
}

////////////////////////////////////////////////////////////////////////////
// close, dup
////////////////////////////////////////////////////////////////////////////

// close wakes Gs parked on fd with EBADF before the number can be reused (a
// documented deviation: natively they would go on waiting on the old file).
GMP_HOOK int close(int fd) {
  if (os::is_own_fd(fd)) {  // the runtime's: the program never opened it
    errno = EBADF;
    return -1;
  }
  if (!bookkeeping() || pd_foreign_process()) return real::close(fd);
  pd_close_begin(fd);
  int r = green() ? syscall_call([&] { return real::close(fd); }) : real::close(fd);
  pd_close_end(fd);
  return r;
}

namespace {
// close_range_around closes [lo, hi] except the runtime's own fds (os.h),
// as ranges between them.
int close_range_around(unsigned lo, unsigned hi, int flags) {
  int r = 0;
  while (lo <= hi) {
    int own = os::own_fd_in(lo, hi);
    unsigned end = own < 0 ? hi : unsigned(own) - 1;
    if (own < 0 || unsigned(own) > lo) {
      bool track = bookkeeping() && !(flags & CLOSE_RANGE_CLOEXEC) && !pd_foreign_process();
      if (track) pd_close_range_begin(lo, end);
      int e = real::close_range(lo, end, flags);
      if (track) pd_close_range_end(lo, end);
      if (e != 0 && r == 0) r = e;
    }
    if (own < 0 || unsigned(own) == ~0u) break;
    lo = unsigned(own) + 1;
  }
  return r;
}
}  // namespace

GMP_HOOK int close_range(unsigned int lo, unsigned int hi, int flags) noexcept {
  if (os::own_fd_in(lo, hi) >= 0 && lo <= hi) return close_range_around(lo, hi, flags);
  if (!bookkeeping() || (flags & CLOSE_RANGE_CLOEXEC) || pd_foreign_process())
    return real::close_range(lo, hi, flags);
  pd_close_range_begin(lo, hi);
  int r = real::close_range(lo, hi, flags);
  pd_close_range_end(lo, hi);
  return r;
}

GMP_HOOK void closefrom(int lo) noexcept {
  if (lo >= 0 && os::own_fd_in(unsigned(lo), ~0u) >= 0) {
    int saved = errno;
    close_range_around(unsigned(lo), ~0u, 0);
    errno = saved;
    return;
  }
  if (!bookkeeping() || lo < 0 || pd_foreign_process()) return real::closefrom(lo);
  pd_close_range_begin(unsigned(lo), ~0u);
  real::closefrom(lo);
  pd_close_range_end(unsigned(lo), ~0u);
}

namespace gmp {
pid_t hook_popen_child(FILE* f);  // hooks/process.cpp
}

// fclose closes its fd inside glibc, where no hook sees it. fclose of a
// popen stream is pclose in glibc (it waits for the child): it takes the
// pclose hook's path, which frees the fd number before the wait and hands
// the P off while waiting.
GMP_HOOK int fclose(FILE* f) {
  if (!bookkeeping() || f == nullptr || pd_foreign_process()) return real::fclose(f);
  int saved = errno;
  int fd = real::fileno(f);
  errno = saved;
  if (fd >= 0 && hook_popen_child(f) > 0) return pclose(f);
  if (fd >= 0) pd_close_begin(fd);
  int r = real::fclose(f);
  if (fd >= 0) pd_close_end(fd);
  return r;
}

GMP_HOOK int dup(int fd) noexcept {
  int r = real::dup(fd);
  if (r >= 0 && bookkeeping()) pd_dup(fd, r);
  return r;
}

// dup2/dup3 over a watched fd behave like close() of it first.
static int dup_over(int oldfd, int newfd, int flags, bool three) {
  auto call = [&] { return three ? real::dup3(oldfd, newfd, flags) : real::dup2(oldfd, newfd); };
  if (!bookkeeping() || oldfd == newfd || pd_foreign_process()) return call();
  // Do not wake newfd's waiters for a dup2 that fails on a bad oldfd.
  if (real::fcntl(oldfd, F_GETFD) < 0) return call();
  pd_close_begin(newfd);
  int r = call();
  if (r >= 0)
    pd_dup(oldfd, newfd);
  else
    pd_close_end(newfd);
  return r;
}

GMP_HOOK int dup2(int oldfd, int newfd) noexcept { return dup_over(oldfd, newfd, 0, false); }
GMP_HOOK int dup3(int oldfd, int newfd, int flags) noexcept { return dup_over(oldfd, newfd, flags, true); }

////////////////////////////////////////////////////////////////////////////
// flags: the program sees exactly the O_NONBLOCK it set
////////////////////////////////////////////////////////////////////////////

GMP_HOOK int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return do_fcntl(fd, cmd, arg);
}

GMP_HOOK int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return do_fcntl(fd, cmd, arg);
}

GMP_HOOK int ioctl(int fd, unsigned long req, ...) noexcept {
  va_list ap;
  va_start(ap, req);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  if (req == FIONBIO && arg != nullptr && bookkeeping())
    return pd_fionbio(fd, *static_cast<int*>(arg) != 0, apply_fionbio);
  return real::ioctl(fd, req, arg);
}

////////////////////////////////////////////////////////////////////////////
// fds that read and write go through: pipes and anonymous-inode files
////////////////////////////////////////////////////////////////////////////

GMP_HOOK int pipe(int fds[2]) noexcept {
  int r = real::pipe(fds);
  if (r == 0 && bookkeeping()) {
    stream_created(fds[0], false);
    stream_created(fds[1], false);
  }
  return r;
}

GMP_HOOK int pipe2(int fds[2], int flags) noexcept {
  int r = real::pipe2(fds, flags);
  if (r == 0 && bookkeeping()) {
    stream_created(fds[0], flags & O_NONBLOCK);
    stream_created(fds[1], flags & O_NONBLOCK);
  }
  return r;
}

GMP_HOOK int eventfd(unsigned int init, int flags) noexcept {
  int r = real::eventfd(init, flags);
  if (r >= 0 && bookkeeping()) stream_created(r, flags & EFD_NONBLOCK);
  return r;
}

// eventfd_read / eventfd_write are glibc's read/write of 8 bytes, made with
// its internal read and write, which no hook sees: a blocked eventfd_read
// would hold its kernel thread. Here they are the hooked read and write.
GMP_HOOK int eventfd_read(int fd, eventfd_t* value) {
  if (!green()) return real::eventfd_read(fd, value);
  return hook_result(fd_read(fd, value, sizeof *value)) == ssize_t(sizeof *value) ? 0 : -1;
}

GMP_HOOK int eventfd_write(int fd, eventfd_t value) {
  if (!green()) return real::eventfd_write(fd, value);
  return hook_result(fd_write(fd, &value, sizeof value)) == ssize_t(sizeof value) ? 0 : -1;
}

GMP_HOOK int timerfd_create(clockid_t clk, int flags) noexcept {
  int r = real::timerfd_create(clk, flags);
  if (r >= 0 && bookkeeping()) stream_created(r, flags & TFD_NONBLOCK);
  return r;
}

GMP_HOOK int signalfd(int fd, const sigset_t* mask, int flags) noexcept {
  int r = real::signalfd(fd, mask, flags);
  if (r >= 0 && fd == -1 && bookkeeping()) stream_created(r, flags & SFD_NONBLOCK);
  if (r >= 0 && mask && runtime_started()) sig_signalfd(mask);  // keep them kernel-pending
  return r;
}

GMP_HOOK int inotify_init() noexcept {
  int r = real::inotify_init();
  if (r >= 0 && bookkeeping()) stream_created(r, false);
  return r;
}

GMP_HOOK int inotify_init1(int flags) noexcept {
  int r = real::inotify_init1(flags);
  if (r >= 0 && bookkeeping()) stream_created(r, flags & IN_NONBLOCK);
  return r;
}

GMP_HOOK int epoll_create(int size) noexcept {
  int r = real::epoll_create(size);
  if (r >= 0 && bookkeeping()) stream_created(r, false);
  return r;
}

GMP_HOOK int epoll_create1(int flags) noexcept {
  int r = real::epoll_create1(flags);
  if (r >= 0 && bookkeeping()) stream_created(r, false);
  return r;
}
