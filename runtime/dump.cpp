// dump.cpp — the G dump (after Go's traceback.go:goroutineheader and the
// SIGQUIT handling of signal_unix.go).
//
// Triggers:
//   - SIGQUIT, when the program keeps the default disposition: the handler
//     prints the dump, restores SIG_DFL and re-raises, so the process still
//     dies by SIGQUIT (status 131 from a shell, a core if enabled) as it
//     would natively. Go does the same and exits 2; we keep the native
//     status because scripts wait for it.
//   - exit, with GMP_DEBUG=dump=1 (an atexit handler registered before main).
//   - the deadlock report (deadlock.cpp).
//
// Which thread dumps. The dump calls libc and libunwind, which call hooked
// functions (open, read, pthread_mutex_lock). From g0 and from threads that
// are not Gs the hooks pass through to glibc. From a G in normal context
// (exit) they are legitimate. From a signal handler that interrupted a G they
// are not: a hook would enter the scheduler on a G that is in the middle of
// arbitrary code. So for the duration of a SIGQUIT dump the interrupted G is
// marked is_g0, which makes on_g() false on this thread and every hook pass
// through. Nothing else can observe the mark: the G cannot run elsewhere
// while its thread is in our handler, and the process dies right after.
//
// Stack. The dump runs on its own 1 MiB stack (mapped on first use, lowest
// page PROT_NONE), entered with a context switch: the interrupted G may have
// a 16 KiB stack, and dlopen plus the DWARF unwinder want far more.
//
// Consistency. Nothing is stopped: a G read as parked may be resumed while we
// walk its stack. Its status and context are read again after the walk and
// the frames are dropped if they changed; a fault during the walk is caught
// (traceback.h). Gs running on other threads are listed without a stack.
#include "runtime/dump.h"

#include <signal.h>

#include "runtime/signal.h"
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "runtime/m.h"
#include "runtime/options.h"
#include "runtime/os.h"
#include "runtime/pollfd.h"
#include "runtime/rawlog.h"
#include "runtime/sched.h"
#include "runtime/traceback.h"

namespace gmp {

namespace {

constexpr int kMaxFrames = 64;
constexpr size_t kDumpStackSize = 1 << 20;

// g_dumping serializes dumps: 0 free, 1 taken. Taken and released by the
// dumping thread, whose kernel tid is g_dumper (written after taking it,
// cleared before releasing). A SIGQUIT that finds it taken by another
// thread waits a bounded time; one that interrupted the dumping thread
// itself dumps at once, nested, on the stack it interrupted.
std::atomic<int> g_dumping{0};
std::atomic<pid_t> g_dumper{0};
// The dump stack, mapped by the first dump (under g_dumping).
char* g_dump_stack = nullptr;

const char* status_name(GStatus s) {
  switch (s) {
    case GStatus::kIdle: return "idle";
    case GStatus::kRunnable: return "runnable";
    case GStatus::kRunning: return "running";
    case GStatus::kSyscall: return "syscall";
    case GStatus::kWaiting: return "waiting";
    case GStatus::kDead: return "dead";
  }
  return "?";
}

void out(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void out(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  size_t n = vrawfmt(buf, sizeof buf, fmt, ap);
  va_end(ap);
  os::write(2, buf, n);
}

struct DumpArgs {
  DumpWhy why;
  G* cur;
  const ucontext_t* uc;
  bool uc_is_signal;
};

// print_stack walks g from regs r and prints it. The frames are dropped if
// g was resumed meanwhile (its context or wait start moved).
void print_stack(G* g, const Regs& r, bool check_parked, bool elide) {
  static Frame frames[kMaxFrames];  // the dump stack is big, but not shared: one dump at a time
  uintptr_t lo = 0, hi = 0;
  if (g->stack.lo != nullptr && g->stack.size != 0) {
    lo = reinterpret_cast<uintptr_t>(g->stack.lo);
    hi = lo + g->stack.size;
  }
  ctx::Context c0 = g->ctx;
  int64_t since0 = g->wait_since;
  uint8_t seq0 = g->park_seq;
  int n = traceback(r, lo, hi, frames, kMaxFrames);
  if (check_parked) {
    GStatus s = g->status.load(std::memory_order_acquire);
    if ((s != GStatus::kWaiting && s != GStatus::kRunnable) || g->ctx != c0 || g->wait_since != since0 ||
        g->park_seq != seq0) {
      out("  (resumed while its stack was read)\n");
      return;
    }
  }
  if (n < 0) {
    out("  (stack unreadable)\n");
    return;
  }
  print_frames(frames, n, elide);
  if (n == kMaxFrames) out("  ...more frames\n");
}

// fd_of_pd finds the fd number of a descriptor-table entry through
// pd_get: the table is chunks of consecutive entries (a power of two of at
// least 64 each), so one probe per 64 numbers finds the chunk and the
// offset in it names the fd, checked with one more pd_get. -1 if not found.
int fd_of_pd(const PollDesc* pd) {
  constexpr int kStep = 64;
  constexpr int kMaxFd = 1 << 24;  // pollfd.cpp keeps no entries beyond 16M
  for (int fd = 0; fd < kMaxFd; fd += kStep) {
    const PollDesc* p = pd_get(fd);
    if (p == nullptr || pd < p) continue;
    long off = long(pd - p);
    if (off < kStep && pd_get(fd + int(off)) == pd) return fd + int(off);
  }
  return -1;
}

// io_wait_detail: for a G parked in a read or write (its own PollNode
// queued on one descriptor), ", fd N, read" / "... write"; for poll and
// select (nodes on its stack) nothing. Racy reads: the G may wake
// meanwhile, and the dump then says so (print_stack).
void io_wait_detail(G* g, char* buf, size_t cap) {
  buf[0] = 0;
  const PollNode& n = g->ionode;
  if (g->park_kind.load(std::memory_order_relaxed) != kParkFd || !n.io || !n.queued || n.w != &g->pollwait ||
      n.pd == nullptr)
    return;
  int fd = fd_of_pd(n.pd);
  if (fd >= 0) rawfmt(buf, cap, " fd %d, %s", fd, n.dir == kDirRead ? "read" : "write");
}

// A few system calls by number (x86_64), for a G in the syscall path:
// those libgmp's blocking hooks make. first_fd: the first argument is an fd.
struct SyscallName {
  int nr;
  const char* name;
  bool first_fd;
};
constexpr SyscallName kSyscalls[] = {
    {0, "read", true},        {1, "write", true},         {2, "open", false},
    {3, "close", true},       {4, "stat", false},         {5, "fstat", true},
    {7, "poll", false},       {17, "pread64", true},      {18, "pwrite64", true},
    {19, "readv", true},      {20, "writev", true},       {23, "select", false},
    {34, "pause", false},     {35, "nanosleep", false},   {40, "sendfile", true},
    {42, "connect", true},    {43, "accept", true},       {44, "sendto", true},
    {45, "recvfrom", true},   {46, "sendmsg", true},      {47, "recvmsg", true},
    {61, "wait4", false},     {65, "semop", false},       {69, "msgsnd", false},
    {70, "msgrcv", false},    {72, "fcntl", true},        {73, "flock", true},
    {74, "fsync", true},      {75, "fdatasync", true},    {76, "truncate", false},
    {77, "ftruncate", true},  {128, "rt_sigtimedwait", false}, {130, "rt_sigsuspend", false},
    {162, "sync", false},     {202, "futex", false},      {220, "semtimedop", false},
    {230, "clock_nanosleep", false}, {232, "epoll_wait", true}, {242, "mq_timedsend", false},
    {243, "mq_timedreceive", false}, {247, "waitid", false},     {257, "openat", false},
    {262, "newfstatat", false}, {270, "pselect6", false},  {271, "ppoll", false},
    {275, "splice", true},    {281, "epoll_pwait", true}, {285, "fallocate", true},
    {288, "accept4", true},   {299, "recvmmsg", true},    {307, "sendmmsg", true},
    {318, "getrandom", false}, {326, "copy_file_range", true}, {332, "statx", false},
};

// syscall_detail reads which call M's kernel thread is in
// (/proc/self/task/TID/syscall: the number, then the arguments in hex) and
// writes ", read fd 3" or ", syscall 999" into buf; nothing if it is not in
// a call right now (between calls, or the file cannot be read).
void syscall_detail(const M* m, char* buf, size_t cap) {
  buf[0] = 0;
  if (m == nullptr || m->tid <= 0) return;
  char path[64], line[256];
  rawfmt(path, sizeof path, "/proc/self/task/%d/syscall", int(m->tid));
  int fd = os::open_rdonly(path);
  if (fd < 0) return;
  long n = os::read(fd, line, sizeof line - 1);
  os::close(fd);
  if (n <= 0 || line[0] < '0' || line[0] > '9') return;  // "running", or "-1 ..." (not in a call)
  line[n] = 0;
  const char* p = line;
  int nr = 0;
  while (*p >= '0' && *p <= '9') nr = nr * 10 + (*p++ - '0');
  unsigned long arg0 = 0;
  if (p[0] == ' ' && p[1] == '0' && p[2] == 'x')
    for (p += 3; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
      arg0 = arg0 * 16 + unsigned(*p <= '9' ? *p - '0' : *p - 'a' + 10);
  for (const SyscallName& sc : kSyscalls) {
    if (sc.nr != nr) continue;
    if (sc.first_fd)
      rawfmt(buf, cap, ", %s fd %d", sc.name, int(arg0));
    else
      rawfmt(buf, cap, ", %s", sc.name);
    return;
  }
  rawfmt(buf, cap, ", syscall %d", nr);
}

void print_g(G* g, const DumpArgs& a, int64_t now) {
  GStatus s = g->status.load(std::memory_order_acquire);
  M* m = g->m;
  char state[128], detail[64];
  if (s == GStatus::kWaiting) {
    long secs = long((now - g->wait_since) / 1000000000);
    if (secs < 0) secs = 0;
    if (g->wait_reason == WaitReason::kIO) {
      // Go's "IO wait"; with the fd and direction of a read or write.
      io_wait_detail(g, detail, sizeof detail);
      rawfmt(state, sizeof state, "IO wait%s, %ld s", detail, secs);
    } else {
      rawfmt(state, sizeof state, "waiting %s, %ld s", wait_reason_name(g->wait_reason), secs);
    }
  } else if (s == GStatus::kSyscall) {
    // Which call its kernel thread is in, and since when once the call
    // blocked long enough for a hand-off (g.h: syscall_since).
    syscall_detail(m, detail, sizeof detail);
    int64_t since = g->syscall_since.load(std::memory_order_relaxed);
    if (since != 0)
      rawfmt(state, sizeof state, "syscall%s, %ld s", detail, long(since < now ? (now - since) / 1000000000 : 0));
    else
      rawfmt(state, sizeof state, "syscall%s", detail);
  } else {
    rawfmt(state, sizeof state, "%s", status_name(s));
  }
  bool on_m = (s == GStatus::kRunning || s == GStatus::kSyscall) && m != nullptr;
  char name[40] = "";
  if (g->name[0] && strncmp(g->name, program_invocation_short_name, 15) != 0)
    rawfmt(name, sizeof name, " name=%s", g->name);
  out("G%lu [%s%s]: m=%d%s\n", (unsigned long)g->goid, state, g->lockedm ? ", locked to thread" : "",
      on_m ? m->id : -1, name);

  Regs r;
  if (g == a.cur) {
    // This thread's own G: its registers at the signal or at the dump call.
    if (a.uc == nullptr) return;
    regs_of_ucontext(a.uc, a.uc_is_signal, &r);
    print_stack(g, r, false, !a.uc_is_signal);
  } else if (s == GStatus::kWaiting || s == GStatus::kRunnable) {
    if (!regs_of_context(g->ctx, &r)) {
      out("  (no saved context)\n");
      return;
    }
    print_stack(g, r, true, true);
  } else if (on_m) {
    out("  stack unavailable: %s on another thread (M%d)\n",
        s == GStatus::kSyscall ? "in a blocking call" : "running", m->id);
  }
}

void dump_body(void* arg) {
  const DumpArgs& a = *static_cast<DumpArgs*>(arg);
  traceback_begin();
  int64_t now = os::nanotime();
  if (a.why == DumpWhy::kSigquit) {
    const ucontext_t* uc = a.uc;
    out("SIGQUIT: quit\nPC=0x%lx m=%d\n\n", uc ? (unsigned long)uc->uc_mcontext.gregs[REG_RIP] : 0UL,
        a.cur && a.cur->m ? a.cur->m->id : -1);
  } else if (a.why == DumpWhy::kExit) {
    out("libgmp: green threads at exit (GMP_DEBUG=dump=1):\n\n");
  }

  // Every live G, this thread's first, then by id. The list is a snapshot;
  // G structs are never unmapped, so a G that exits meanwhile is still
  // readable (and printed as whatever it became).
  uint64_t cap = g_count();
  size_t bytes = (cap * sizeof(G*) + 4095) & ~size_t(4095);
  G** list = bytes ? static_cast<G**>(os::mmap_anon(bytes, false)) : nullptr;
  uint64_t n = 0;
  if (list != nullptr) {
    g_foreach([&](G* g) {
      if (n >= cap || g->is_g0 || g == a.cur || g->magic != kGMagic) return;
      if (g->status.load(std::memory_order_acquire) == GStatus::kIdle) return;
      list[n++] = g;
    });
    std::sort(list, list + n, [](G* x, G* y) { return x->goid < y->goid; });
  }
  if (a.cur != nullptr) {
    print_g(a.cur, a, now);
    out("\n");
  }
  for (uint64_t i = 0; i < n; i++) {
    print_g(list[i], a, now);
    out("\n");
  }
  if (list != nullptr) os::munmap(list, bytes);
  traceback_end();
}

struct StackCall {
  void (*fn)(void*);
  void* arg;
};

void stack_entry(ctx::Transfer t) {
  auto* c = static_cast<StackCall*>(t.data);
  c->fn(c->arg);
  ctx::jump(t.fctx, nullptr);  // back to run_on_dump_stack; this context is dropped
}

// run_on_dump_stack calls fn(arg) on the dump stack (or here, if it cannot
// be mapped). g_dumping must be held.
void run_on_dump_stack(void (*fn)(void*), void* arg) {
  if (g_dump_stack == nullptr) {
    void* p = os::mmap_anon(kDumpStackSize, true);
    if (p != nullptr) {
      os::mprotect(p, 4096, PROT_NONE);
      g_dump_stack = static_cast<char*>(p);
    }
  }
  if (g_dump_stack == nullptr) {
    fn(arg);
    return;
  }
  StackCall call{fn, arg};
  ctx::Context c = ctx::make(g_dump_stack + kDumpStackSize, kDumpStackSize - 4096, stack_entry);
  ctx::jump(c, &call);
}

// take_dump_lock returns true once the caller holds g_dumping, false when
// it must dump without it: a SIGQUIT on the dumping thread itself, or one
// that waited 5 s for another thread's dump (exit, deadlock) to end.
bool take_dump_lock(bool bounded) {
  for (int i = 0;; i++) {
    int z = 0;
    if (g_dumping.compare_exchange_strong(z, 1, std::memory_order_acquire)) {
      g_dumper.store(os::gettid(), std::memory_order_relaxed);
      return true;
    }
    if (bounded && (g_dumper.load(std::memory_order_relaxed) == os::gettid() || i >= 5000)) return false;
    os::usleep(1000);
  }
}

void sigquit_handler(int sig, siginfo_t*, void* ucv) {
  int saved_errno = errno;
  G* g = getg();
  bool flip = g != nullptr && !g->is_g0;
  if (flip) g->is_g0 = true;  // hooks pass through on this thread (file comment)
  dump_all(DumpWhy::kSigquit, flip ? g : nullptr, static_cast<const ucontext_t*>(ucv));
  if (flip) g->is_g0 = false;
  // Die as natively: default disposition, and the signal again. It stays
  // pending (SIGQUIT is blocked in its own handler) until we return.
  os::KSigaction dfl{};
  dfl.handler = reinterpret_cast<void*>(SIG_DFL);
  os::rt_sigaction(sig, &dfl, nullptr);
  os::tgkill(os::getpid(), os::gettid(), sig);
  errno = saved_errno;
}

void dump_at_exit() {
  G* g = getg();
  dump_all(DumpWhy::kExit, g != nullptr && !g->is_g0 ? g : nullptr, nullptr);
}

}  // namespace

void dump_all(DumpWhy why, G* cur, const ucontext_t* uc) {
  // Take this thread's registers here, on its own stack, before switching:
  // the frames below stay intact while the dump runs on the dump stack.
  ucontext_t self;
  bool is_signal = uc != nullptr;
  if (uc == nullptr && cur != nullptr && getcontext(&self) == 0) uc = &self;
  DumpArgs a{why, cur, uc, is_signal};
  if (!take_dump_lock(why == DumpWhy::kSigquit)) {
    // The dump stack may be in use below us; the process dies right after.
    dump_body(&a);
    return;
  }
  run_on_dump_stack(dump_body, &a);
  g_dumper.store(0, std::memory_order_relaxed);
  g_dumping.store(0, std::memory_order_release);
}

void dump_start() {
  // Used while the program keeps SIGQUIT's default action (signal.cpp).
  sig_set_default_hook(SIGQUIT, sigquit_handler);
  if (options().dump_at_exit) atexit(dump_at_exit);
}

}  // namespace gmp
