// os_linux.cpp — Linux implementation of runtime/os.h with raw syscalls.
#include "runtime/os.h"

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char** environ;

namespace gmp::os {

// raw_syscall issues a system call without touching errno.
static inline long raw_syscall(long n, long a = 0, long b = 0, long c = 0, long d = 0,
                               long e = 0, long f = 0) {
  long ret;
  register long r10 asm("r10") = d;
  register long r8 asm("r8") = e;
  register long r9 asm("r9") = f;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
               : "rcx", "r11", "memory");
  return ret;
}

// --- non-blocking I/O in the gmp_user_io section (see os.h) ---------------
// GNU ld defines __start_/__stop_ symbols for a section whose name is a C
// identifier. noinline keeps each syscall instruction inside the section.
#define GMP_USER_IO __attribute__((section("gmp_user_io"), noinline, used))
extern "C" char __start_gmp_user_io[], __stop_gmp_user_io[];

GMP_USER_IO ssize_t recvfrom(int fd, void* buf, size_t n, int flags, void* from, void* fromlen) {
  return raw_syscall(SYS_recvfrom, fd, (long)buf, (long)n, flags, (long)from, (long)fromlen);
}
GMP_USER_IO ssize_t sendto(int fd, const void* buf, size_t n, int flags, const void* to, uint32_t tolen) {
  return raw_syscall(SYS_sendto, fd, (long)buf, (long)n, flags, (long)to, (long)tolen);
}
GMP_USER_IO ssize_t recvmsg(int fd, void* msg, int flags) {
  return raw_syscall(SYS_recvmsg, fd, (long)msg, flags);
}
GMP_USER_IO ssize_t sendmsg(int fd, const void* msg, int flags) {
  return raw_syscall(SYS_sendmsg, fd, (long)msg, flags);
}
// Offset -1 (pos_l = -1, pos_h = 0 on x86_64) means the file position, as
// glibc's preadv2(fd, iov, cnt, -1, flags).
GMP_USER_IO ssize_t preadv2(int fd, const void* iov, int cnt, int flags) {
  return raw_syscall(SYS_preadv2, fd, (long)iov, cnt, -1, 0, flags);
}
GMP_USER_IO ssize_t pwritev2(int fd, const void* iov, int cnt, int flags) {
  return raw_syscall(SYS_pwritev2, fd, (long)iov, cnt, -1, 0, flags);
}
void user_io_text(uintptr_t* lo, uintptr_t* hi) {
  *lo = reinterpret_cast<uintptr_t>(__start_gmp_user_io);
  *hi = reinterpret_cast<uintptr_t>(__stop_gmp_user_io);
}

long futex_wait(const uint32_t* addr, uint32_t expected, const timespec* rel) {
  return raw_syscall(SYS_futex, (long)addr, FUTEX_WAIT_PRIVATE, expected, (long)rel);
}
long futex_wake(const uint32_t* addr, int n) {
  return raw_syscall(SYS_futex, (long)addr, FUTEX_WAKE_PRIVATE, n);
}

int rt_sigaction(int sig, const KSigaction* act, KSigaction* old) {
  return (int)raw_syscall(SYS_rt_sigaction, sig, (long)act, (long)old, 8);
}
int rt_sigprocmask(int how, const uint64_t* set, uint64_t* old) {
  return (int)raw_syscall(SYS_rt_sigprocmask, how, (long)set, (long)old, 8);
}
int tgkill(pid_t pid, pid_t tid, int sig) { return (int)raw_syscall(SYS_tgkill, pid, tid, sig); }
int kill(pid_t pid, int sig) { return (int)raw_syscall(SYS_kill, pid, sig); }
int rt_tgsigqueueinfo(pid_t pid, pid_t tid, int sig, const siginfo_t* info) {
  return (int)raw_syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, (long)info);
}
int rt_sigtimedwait(const uint64_t* set, siginfo_t* info, const timespec* ts) {
  return (int)raw_syscall(SYS_rt_sigtimedwait, (long)set, (long)info, (long)ts, 8);
}
long syscall6(long n, long a, long b, long c, long d, long e, long f) { return raw_syscall(n, a, b, c, d, e, f); }

void* mmap_anon(size_t len, bool noreserve) {
  int flags = MAP_PRIVATE | MAP_ANONYMOUS | (noreserve ? MAP_NORESERVE : 0);
  long r = raw_syscall(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (r < 0 && r > -4096) return nullptr;
  return (void*)r;
}
int munmap(void* p, size_t len) { return (int)raw_syscall(SYS_munmap, (long)p, (long)len); }
int mprotect(void* p, size_t len, int prot) {
  return (int)raw_syscall(SYS_mprotect, (long)p, (long)len, prot);
}
int madvise_dontneed(void* p, size_t len) {
  return (int)raw_syscall(SYS_madvise, (long)p, (long)len, MADV_DONTNEED);
}

// The vDSO clock_gettime is not a hook target and never blocks: use it.
int64_t clock_ns(clockid_t clk) {
  timespec ts;
  if (clock_gettime(clk, &ts) != 0) return -1;
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
int64_t nanotime() { return clock_ns(CLOCK_MONOTONIC); }
int64_t walltime() { return clock_ns(CLOCK_REALTIME); }

long write(int fd, const void* buf, size_t len) {
  return raw_syscall(SYS_write, fd, (long)buf, (long)len);
}
long read(int fd, void* buf, size_t len) { return raw_syscall(SYS_read, fd, (long)buf, (long)len); }
int open_rdonly(const char* path) {
  return (int)raw_syscall(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC);
}
int close(int fd) { return (int)raw_syscall(SYS_close, fd); }
pid_t gettid() { return (pid_t)raw_syscall(SYS_gettid); }
pid_t getpid() { return (pid_t)raw_syscall(SYS_getpid); }
int sched_yield() { return (int)raw_syscall(SYS_sched_yield); }

void usleep(int64_t us) {
  timespec ts{time_t(us / 1000000), long(us % 1000000) * 1000};
  while (raw_syscall(SYS_nanosleep, (long)&ts, (long)&ts) == -EINTR) {
  }
}

int sched_getaffinity_count() {
  uint64_t mask[16] = {};
  long n = raw_syscall(SYS_sched_getaffinity, 0, sizeof(mask), (long)mask);
  if (n <= 0) return 1;
  int count = 0;
  for (long i = 0; i < n / 8; i++) count += __builtin_popcountll(mask[i]);
  return count > 0 ? count : 1;
}

int epoll_create() { return (int)raw_syscall(SYS_epoll_create1, EPOLL_CLOEXEC); }
int epoll_ctl(int epfd, int op, int fd, void* ev) {
  return (int)raw_syscall(SYS_epoll_ctl, epfd, op, fd, (long)ev);
}
int epoll_wait(int epfd, void* events, int max, int timeout_ms) {
  return (int)raw_syscall(SYS_epoll_pwait, epfd, (long)events, max, timeout_ms, 0, 8);
}
int eventfd() { return (int)raw_syscall(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK); }

int fcntl(int fd, int cmd, long arg) { return (int)raw_syscall(SYS_fcntl, fd, cmd, arg); }
int fstat_type(int fd, uint32_t* ifmt) {
  struct stat st;
  int r = (int)raw_syscall(SYS_fstat, fd, (long)&st);
  if (r == 0) *ifmt = st.st_mode & S_IFMT;
  return r;
}
int getsockopt(int fd, int level, int name, void* val, uint32_t* len) {
  return (int)raw_syscall(SYS_getsockopt, fd, level, name, (long)val, (long)len);
}
int poll1(int fd, short events) {
  // A zero-timeout poll still says EINTR when a signal is pending and no fd
  // is ready (do_poll checks signal_pending before it gives up). That is not
  // an answer to "is it ready?": the signal is delivered as the syscall
  // returns, so asking again cannot spin.
  for (;;) {
    struct pollfd p{fd, events, 0};
    int r = (int)raw_syscall(SYS_poll, (long)&p, 1, 0);
    if (r == -EINTR) continue;
    return r < 0 ? r : p.revents;
  }
}

const char* getenv_raw(const char* name) {
  if (environ == nullptr) return nullptr;
  size_t n = 0;
  while (name[n]) n++;
  for (char** e = environ; *e; e++) {
    const char* s = *e;
    size_t i = 0;
    while (i < n && s[i] == name[i]) i++;
    if (i == n && s[i] == '=') return s + n + 1;
  }
  return nullptr;
}

void exit_group(int code) {
  for (;;) raw_syscall(SYS_exit_group, code);
}

namespace {
constexpr int kOwnFds = 8;
std::atomic<int> g_own[kOwnFds] = {-1, -1, -1, -1, -1, -1, -1, -1};
}  // namespace

int move_fd_high(int fd) {
  for (int min : {1000, 100}) {
    int high = fcntl(fd, F_DUPFD_CLOEXEC, min);
    if (high >= 0) {
      close(fd);
      return high;
    }
  }
  return fd;
}

void own_fd(int fd) {
  for (auto& slot : g_own) {
    int free_slot = -1;
    if (slot.compare_exchange_strong(free_slot, fd)) return;
  }
}

void disown_fd(int fd) {
  for (auto& slot : g_own) {
    int v = fd;
    slot.compare_exchange_strong(v, -1);
  }
}

bool is_own_fd(int fd) {
  if (fd < 0) return false;
  for (auto& slot : g_own)
    if (slot.load(std::memory_order_relaxed) == fd) return true;
  return false;
}

int own_fd_in(unsigned lo, unsigned hi) {
  int best = -1;
  for (auto& slot : g_own) {
    int v = slot.load(std::memory_order_relaxed);
    if (v >= 0 && unsigned(v) >= lo && unsigned(v) <= hi && (best < 0 || v < best)) best = v;
  }
  return best;
}

}  // namespace gmp::os
