// os.h — the one contract between the runtime and the kernel.
//
// Every system call the runtime makes goes through here, as a raw syscall:
// never through libc entry points that libgmp itself interposes (read, write,
// nanosleep, pthread_*), so runtime code can never re-enter a hook.
//
// Conventions shared by all functions below:
//   - they never allocate and are async-signal-safe;
//   - they return the kernel's result: >= 0 on success, -errno on failure
//     (errno itself is never touched, so a hook keeps the program's errno).
#pragma once
#include <signal.h>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <sys/types.h>

namespace gmp::os {

long futex_wait(const uint32_t* addr, uint32_t expected, const timespec* rel_timeout);
long futex_wake(const uint32_t* addr, int n);

void* mmap_anon(size_t len, bool noreserve);  // nullptr on failure
int munmap(void* p, size_t len);
int mprotect(void* p, size_t len, int prot);
int madvise_dontneed(void* p, size_t len);

int64_t nanotime();   // CLOCK_MONOTONIC, ns
int64_t walltime();   // CLOCK_REALTIME, ns
int64_t clock_ns(clockid_t clk);  // any clock, ns; -1 on error

long write(int fd, const void* buf, size_t len);
long read(int fd, void* buf, size_t len);
int open_rdonly(const char* path);
int close(int fd);
pid_t gettid();
pid_t getpid();
int sched_yield();
// Signals, below glibc (which hides its internal signals 32 and 33 and
// interposes nothing we must avoid). Masks are the kernel's 64-bit sets;
// kact/koldact are struct kernel_sigaction (handler, flags, restorer, mask).
struct KSigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  uint64_t mask;
};
int rt_sigaction(int sig, const KSigaction* act, KSigaction* old);
int rt_sigprocmask(int how, const uint64_t* set, uint64_t* old);
int tgkill(pid_t pid, pid_t tid, int sig);
int kill(pid_t pid, int sig);
int rt_tgsigqueueinfo(pid_t pid, pid_t tid, int sig, const siginfo_t* info);
int rt_sigtimedwait(const uint64_t* set, siginfo_t* info, const timespec* ts);
// syscall6 issues any system call raw (-errno on failure).
long syscall6(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0);
void usleep(int64_t us);  // raw nanosleep, restarts on EINTR
int sched_getaffinity_count();  // CPUs in this thread's affinity mask (>=1)

int epoll_create();
int epoll_ctl(int epfd, int op, int fd, void* ev);
int epoll_wait(int epfd, void* events, int max, int timeout_ms);
int eventfd();

// fd helpers for the netpoller (runtime/pollfd.cpp). fcntl takes an int or
// long argument (F_GETFL, F_SETFL, F_GETFD); fstat_type returns st_mode's
// S_IFMT bits; poll1 polls one fd without blocking and returns its revents.
int fcntl(int fd, int cmd, long arg);

// The runtime's own descriptors (the epoll set, its eventfd): moved to a high
// number (move_fd_high: the first free from 1000, or 100 under a lower fd
// limit) so they never take a number the program expects open() to return,
// and registered (own_fd) so that close(), close_range() and closefrom()
// from a program that closes "every fd from 3 up" leave them alone: to the
// program they are numbers it never opened (EBADF), as natively.
int move_fd_high(int fd);
void own_fd(int fd);
void disown_fd(int fd);
bool is_own_fd(int fd);
// own_fd_in returns the lowest runtime fd in [lo, hi], or -1.
int own_fd_in(unsigned lo, unsigned hi);
int fstat_type(int fd, uint32_t* ifmt);
int getsockopt(int fd, int level, int name, void* val, uint32_t* len);
int poll1(int fd, short events);

// Non-blocking socket and pipe I/O for the netpoller's attempts (fdio.cpp):
// the program's call made as a raw syscall, with MSG_DONTWAIT or RWF_NOWAIT
// already in flags. They stand where libc's send/recv would, so they live in
// their own section, which the signal trampoline treats as program code: a
// signal the call itself raises (SIGPIPE from a send) runs its handler before
// the call returns, as natively (user_io_text says where the section is).
ssize_t recvfrom(int fd, void* buf, size_t n, int flags, void* from, void* fromlen);
ssize_t sendto(int fd, const void* buf, size_t n, int flags, const void* to, uint32_t tolen);
ssize_t recvmsg(int fd, void* msg, int flags);
ssize_t sendmsg(int fd, const void* msg, int flags);
ssize_t preadv2(int fd, const void* iov, int cnt, int flags);   // at the file position
ssize_t pwritev2(int fd, const void* iov, int cnt, int flags);  // at the file position
void user_io_text(uintptr_t* lo, uintptr_t* hi);

// getenv_raw scans environ without allocating; safe before libc init ends.
const char* getenv_raw(const char* name);

[[noreturn]] void exit_group(int code);

}  // namespace gmp::os
