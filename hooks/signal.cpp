// hooks/signal.cpp — signal actions, masks, waits and thread-directed
// signals act on green threads (runtime/signal.h); set*id runs its
// all-threads broadcast in the runtime.
//
// The guard differs from the other hooks: a G running a signal handler is
// still the thread the handler interrupted, so masks and pthread_kill act on
// it there too; only the waits (sigwait, sigsuspend, pause), which park, pass
// straight through from a handler.
#include <sys/syscall.h>

#include <cerrno>
#include <csignal>
#include <ctime>

#include "hooks/hook.h"
#include "runtime/os.h"
#include "runtime/signal.h"
#include "runtime/thread.h"

using namespace gmp;

namespace {

// on_a_g: the runtime is up and the caller is a G (maybe in a handler).
inline bool on_a_g() {
  if (!runtime_started()) return false;
  G* g = getg();
  return g != nullptr && !g->is_g0;
}

int fail(int e) {
  errno = e;
  return -1;
}

// Signals whose signal() actions do not restart calls (siginterrupt).
uint64_t g_sigintr = 0;

sighandler_t set_handler(int s, sighandler_t h, int flags, bool self_in_mask) {
  struct sigaction act {}, old{};
  act.sa_handler = h;
  act.sa_flags = flags;
  sigemptyset(&act.sa_mask);
  if (self_in_mask && s >= 1 && s <= 64) sigaddset(&act.sa_mask, s);
  int e = sig_action(s, &act, &old);
  if (e) {
    errno = e;
    return SIG_ERR;
  }
  return old.sa_handler;
}

}  // namespace

GMP_HOOK int sigaction(int s, const struct sigaction* act, struct sigaction* old) noexcept {
  if (!runtime_started()) return real::sigaction(s, act, old);
  int e = sig_action(s, act, old);
  return e ? fail(e) : 0;
}

GMP_HOOK sighandler_t signal(int s, sighandler_t h) noexcept {
  if (!runtime_started()) return real::signal(s, h);
  bool intr = s >= 1 && s <= 64 && (g_sigintr & (1ull << (s - 1)));
  return set_handler(s, h, intr ? 0 : SA_RESTART, true);
}

GMP_HOOK sighandler_t bsd_signal(int s, sighandler_t h) noexcept { return signal(s, h); }

GMP_HOOK sighandler_t sysv_signal(int s, sighandler_t h) noexcept {
  if (!runtime_started()) return real::sysv_signal(s, h);
  return set_handler(s, h, SA_RESETHAND | SA_NODEFER, false);
}

GMP_HOOK sighandler_t __sysv_signal(int s, sighandler_t h) noexcept { return sysv_signal(s, h); }

GMP_HOOK int siginterrupt(int s, int flag) noexcept {
  if (!runtime_started()) return real::siginterrupt(s, flag);
  struct sigaction act;
  int e = sig_action(s, nullptr, &act);
  if (e) return fail(e);
  if (flag) {
    g_sigintr |= 1ull << (s - 1);
    act.sa_flags &= ~SA_RESTART;
  } else {
    g_sigintr &= ~(1ull << (s - 1));
    act.sa_flags |= SA_RESTART;
  }
  e = sig_action(s, &act, nullptr);
  return e ? fail(e) : 0;
}

GMP_HOOK int pthread_sigmask(int how, const sigset_t* set, sigset_t* old) noexcept {
  if (!on_a_g()) return real::pthread_sigmask(how, set, old);
  return sig_procmask(how, set, old);
}

GMP_HOOK int sigprocmask(int how, const sigset_t* set, sigset_t* old) noexcept {
  if (!on_a_g()) return real::sigprocmask(how, set, old);
  int e = sig_procmask(how, set, old);
  return e ? fail(e) : 0;
}

GMP_HOOK int sigpending(sigset_t* set) noexcept {
  if (!on_a_g()) return real::sigpending(set);
  return sig_pending_set(set);
}

GMP_HOOK int sigaltstack(const stack_t* ss, stack_t* old) noexcept {
  if (!on_a_g()) return real::sigaltstack(ss, old);
  int e = sig_altstack(ss, old);
  return e ? fail(e) : 0;
}

// waited: the result of sigwaitinfo/sigtimedwait as glibc 2.36 returns it:
// its wrapper reports a signal sent with tkill/tgkill (raise, pthread_kill)
// as SI_USER, hiding that raise uses tgkill; a handler still sees SI_TKILL.
static int waited(int r, siginfo_t* info) {
  if (r < 0) return fail(-r);
  if (info != nullptr && info->si_code == SI_TKILL) info->si_code = SI_USER;
  return r;
}

GMP_HOOK int sigwaitinfo(const sigset_t* set, siginfo_t* info) {
  if (!green()) return real::sigwaitinfo(set, info);
  return waited(sig_wait(set, info, 0), info);
}

GMP_HOOK int sigtimedwait(const sigset_t* set, siginfo_t* info, const struct timespec* ts) {
  if (!green()) return real::sigtimedwait(set, info, ts);
  int64_t deadline = 0;
  if (ts) {
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000) return fail(EINVAL);
    deadline = os::nanotime() + int64_t(ts->tv_sec) * 1000000000 + ts->tv_nsec;
  }
  return waited(sig_wait(set, info, deadline), info);
}

GMP_HOOK int sigwait(const sigset_t* set, int* sig) {
  if (!green()) return real::sigwait(set, sig);
  for (;;) {  // glibc's sigwait is not interrupted by handlers
    siginfo_t info;
    int r = sig_wait(set, &info, 0);
    if (r > 0) {
      *sig = r;
      return 0;
    }
    if (r != -EINTR) return -r;
  }
}

GMP_HOOK int sigsuspend(const sigset_t* mask) {
  if (!green()) return real::sigsuspend(mask);
  return fail(-sig_suspend(mask));
}

GMP_HOOK int pause() {
  if (!green()) return real::pause();
  sigset_t cur;
  sig_procmask(SIG_BLOCK, nullptr, &cur);
  return fail(-sig_suspend(&cur));
}

GMP_HOOK int pthread_kill(pthread_t t, int s) noexcept {
  if (!runtime_started()) return real::pthread_kill(t, s);
  G* g = g_of_thread(t);
  if (!g) return g_in_arena(uintptr_t(t)) ? ESRCH : real::pthread_kill(t, s);
  return sig_kill_g(g, s, nullptr);
}

GMP_HOOK int pthread_sigqueue(pthread_t t, int s, const union sigval value) noexcept {
  if (!runtime_started()) return real::pthread_sigqueue(t, s, value);
  G* g = g_of_thread(t);
  if (!g) return g_in_arena(uintptr_t(t)) ? ESRCH : real::pthread_sigqueue(t, s, value);
  return sig_kill_g(g, s, &value);
}

// kill and sigqueue aimed at the caller's own process are routed by the
// runtime on the spot (sig_kill_self); anything else is the kernel's.
GMP_HOOK int kill(pid_t pid, int s) noexcept {
  if (!on_a_g()) return real::kill(pid, s);
  int e = sig_kill_self(pid, s, nullptr);
  if (e < 0) return real::kill(pid, s);
  return e ? fail(e) : 0;
}

GMP_HOOK int sigqueue(pid_t pid, int s, const union sigval value) noexcept {
  if (!on_a_g()) return real::sigqueue(pid, s, value);
  int e = sig_kill_self(pid, s, &value);
  if (e < 0) return real::sigqueue(pid, s, value);
  return e ? fail(e) : 0;
}

GMP_HOOK int raise(int s) noexcept {
  if (!on_a_g()) return real::raise(s);
  int e = sig_kill_g(getg(), s, nullptr);
  return e ? fail(e) : 0;
}

// --- the System V calls: sighold, sigrelse, sigignore, sigset, sigpause ---
//
// glibc makes these from its internal sigprocmask, sigaction and sigsuspend,
// which no hook sees: they would change the kernel thread's mask (not the
// G's) and sigpause would block the kernel thread. So each is the same
// operation on the G here (POSIX/XSI semantics, as glibc 2.36 implements
// them: an invalid number is EINVAL from sigaddset/sigdelset).

namespace {

// only: *set = {s}; false (errno EINVAL) if s is not a valid signal.
bool only(int s, sigset_t* set) {
  sigemptyset(set);
  return sigaddset(set, s) == 0;
}

// pause_mask: the mask sigpause waits with. XSI (is_sig): the caller's mask
// without sig. BSD: exactly the old-style int mask (bit i = signal i+1).
bool pause_mask(int v, bool is_sig, bool green_mask, sigset_t* set) {
  if (is_sig) {
    if (green_mask)
      sig_procmask(SIG_BLOCK, nullptr, set);
    else
      real::sigprocmask(SIG_BLOCK, nullptr, set);
    return sigdelset(set, v) == 0;
  }
  sigemptyset(set);
  for (int i = 0; i < 32; i++)
    if (unsigned(v) & (1u << i)) sigaddset(set, i + 1);  // glibc's own signals stay out
  return true;
}

int any_sigpause(int v, bool is_sig) {
  sigset_t set;
  bool g = green();
  if (!pause_mask(v, is_sig, g, &set)) return -1;
  if (!g) return real::sigsuspend(&set);
  return fail(-sig_suspend(&set));
}

}  // namespace

GMP_HOOK int sighold(int s) noexcept {
  if (!on_a_g()) return real::sighold(s);
  sigset_t set;
  if (!only(s, &set)) return -1;
  int e = sig_procmask(SIG_BLOCK, &set, nullptr);
  return e ? fail(e) : 0;
}

GMP_HOOK int sigrelse(int s) noexcept {
  if (!on_a_g()) return real::sigrelse(s);
  sigset_t set;
  if (!only(s, &set)) return -1;
  int e = sig_procmask(SIG_UNBLOCK, &set, nullptr);
  return e ? fail(e) : 0;
}

GMP_HOOK int sigignore(int s) noexcept {
  if (!runtime_started()) return real::sigignore(s);
  struct sigaction act {};
  act.sa_handler = SIG_IGN;
  sigemptyset(&act.sa_mask);
  int e = sig_action(s, &act, nullptr);
  return e ? fail(e) : 0;
}

// sigset: SIG_HOLD adds s to the mask and returns SIG_HOLD if it was there
// already, else the current action; any other disposition becomes the
// action (no flags, empty sa_mask) and s leaves the mask; the result is
// SIG_HOLD if s was blocked, else the previous action.
GMP_HOOK sighandler_t sigset(int s, sighandler_t disp) noexcept {
  if (!on_a_g()) return real::sigset(s, disp);
  sigset_t one, before;
  if (!only(s, &one)) return SIG_ERR;
  struct sigaction act {}, prev{};
  int e;
  if (disp == SIG_HOLD) {
    e = sig_procmask(SIG_BLOCK, &one, &before);
    if (e == 0 && !sigismember(&before, s)) e = sig_action(s, nullptr, &prev);
  } else {
    act.sa_handler = disp;
    sigemptyset(&act.sa_mask);
    e = sig_action(s, &act, &prev);
    if (e == 0) e = sig_procmask(SIG_UNBLOCK, &one, &before);
  }
  if (e) {
    errno = e;
    return SIG_ERR;
  }
  return sigismember(&before, s) ? SIG_HOLD : prev.sa_handler;
}

// sigpause has three symbols: __xpg_sigpause (what <signal.h> binds
// sigpause to for GCC), the BSD sigpause (glibc's default symbol, a mask),
// and __sigpause(value, is_sig) behind both.
GMP_HOOK int __xpg_sigpause(int s) { return any_sigpause(s, true); }
GMP_HOOK int __sigpause(int v, int is_sig) { return any_sigpause(v, is_sig != 0); }
GMP_HOOK int gmp_sigpause(int mask) __asm__("sigpause");
GMP_HOOK int gmp_sigpause(int mask) { return any_sigpause(mask, false); }

// --- longjmp out of a handler ---
//
// glibc's siglongjmp (longjmp, _longjmp and siglongjmp are one function;
// __longjmp_chk is the fortified one) restores a saved mask with its internal
// sigprocmask, which changes the kernel thread's mask and not the G's: a
// handler that jumps out (a SIGSEGV handler's siglongjmp) left the G
// blocking the signal and whatever sa_mask added, and, jumping to the frame
// the fault came from, still counted as inside the handler (so its hooks
// would never park). sig_longjmp settles both first — the mask may deliver
// what it unblocks, as the kernel would at the same point — and glibc's then
// sets the same mask on the kernel thread.
namespace {
inline void jump_mask(struct __jmp_buf_tag* env) {
  if (on_a_g()) sig_longjmp(env);
}
}  // namespace

GMP_HOOK void gmp_longjmp(struct __jmp_buf_tag* env, int val) __asm__("longjmp");
GMP_HOOK void gmp_longjmp(struct __jmp_buf_tag* env, int val) {
  jump_mask(env);
  real::longjmp(env, val);
}
GMP_HOOK void gmp__longjmp(struct __jmp_buf_tag* env, int val) __asm__("_longjmp");
GMP_HOOK void gmp__longjmp(struct __jmp_buf_tag* env, int val) {
  jump_mask(env);
  real::_longjmp(env, val);
}
GMP_HOOK void gmp_siglongjmp(struct __jmp_buf_tag* env, int val) __asm__("siglongjmp");
GMP_HOOK void gmp_siglongjmp(struct __jmp_buf_tag* env, int val) {
  jump_mask(env);
  real::siglongjmp(env, val);
}
GMP_HOOK void gmp___longjmp_chk(struct __jmp_buf_tag* env, int val) __asm__("__longjmp_chk");
GMP_HOOK void gmp___longjmp_chk(struct __jmp_buf_tag* env, int val) {
  jump_mask(env);
  real::__longjmp_chk(env, val);
}

// --- POSIX timers aimed at a green thread (SIGEV_THREAD_ID) ---
//
// The kernel takes only a kernel task's id, and a green thread's gettid()
// names none (EINVAL). Such a timer is made for sysmon's kernel thread
// instead, which runs no program code, and its signals are handed to the
// green thread as thread-directed ones (runtime/signal.cpp, route).
GMP_HOOK int timer_create(clockid_t clk, struct sigevent* sev, timer_t* id) noexcept {
  if (!runtime_started() || sev == nullptr || sev->sigev_notify != SIGEV_THREAD_ID)
    return real::timer_create(clk, sev, id);
  G* g = g_of_tid(sev->_sigev_un._tid);
  pid_t to = g != nullptr && g->goid != 1 ? sig_timer_tid() : 0;
  if (to == 0) return real::timer_create(clk, sev, id);
  struct sigevent mine = *sev;
  mine._sigev_un._tid = to;
  timer_t t;
  if (real::timer_create(clk, &mine, &t) != 0) return -1;
  int e = sig_timer_route(reinterpret_cast<intptr_t>(t), g);
  if (e != 0) {
    real::timer_delete(t);
    return fail(e);
  }
  *id = t;
  return 0;
}
GMP_HOOK int timer_delete(timer_t id) noexcept {
  if (runtime_started()) sig_timer_unroute(reinterpret_cast<intptr_t>(id));
  return real::timer_delete(id);
}

// --- set*id: every thread of the process changes credentials ---

namespace {
int setxid(long nr, long a, long b = 0, long c = 0) {
  long r = sig_setxid(nr, a, b, c);
  return r < 0 ? fail(int(-r)) : 0;
}
}  // namespace

GMP_HOOK int setuid(uid_t u) noexcept {
  if (!runtime_started()) return int(real::syscall(SYS_setuid, u));
  return setxid(SYS_setuid, u);
}
GMP_HOOK int setgid(gid_t g) noexcept {
  if (!runtime_started()) return int(real::syscall(SYS_setgid, g));
  return setxid(SYS_setgid, g);
}
GMP_HOOK int seteuid(uid_t u) noexcept {
  if (!runtime_started()) return int(real::syscall(SYS_setresuid, -1, u, -1));
  if (u == uid_t(-1)) return fail(EINVAL);
  return setxid(SYS_setresuid, -1, u, -1);
}
GMP_HOOK int setegid(gid_t g) noexcept {
  if (!runtime_started()) return int(real::syscall(SYS_setresgid, -1, g, -1));
  if (g == gid_t(-1)) return fail(EINVAL);
  return setxid(SYS_setresgid, -1, g, -1);
}
GMP_HOOK int setreuid(uid_t r, uid_t e) noexcept {
  if (!runtime_started()) return int(real::syscall(SYS_setreuid, r, e));
  return setxid(SYS_setreuid, r, e);
}
GMP_HOOK int setregid(gid_t r, gid_t e) noexcept {
  if (!runtime_started()) return int(real::syscall(SYS_setregid, r, e));
  return setxid(SYS_setregid, r, e);
}
GMP_HOOK int setresuid(uid_t r, uid_t e, uid_t s) noexcept {
  if (!runtime_started()) return int(real::syscall(SYS_setresuid, r, e, s));
  return setxid(SYS_setresuid, r, e, s);
}
GMP_HOOK int setresgid(gid_t r, gid_t e, gid_t s) noexcept {
  if (!runtime_started()) return int(real::syscall(SYS_setresgid, r, e, s));
  return setxid(SYS_setresgid, r, e, s);
}
GMP_HOOK int setgroups(size_t n, const gid_t* list) noexcept {
  if (!runtime_started()) return int(real::syscall(SYS_setgroups, n, list));
  return setxid(SYS_setgroups, long(n), long(list));
}
