// hooks/thread.cpp — pthread and C11 thread life cycle, identity, names,
// keys, yield.
#include <sched.h>
#include <threads.h>

#include <cerrno>

#include "hooks/hook.h"
#include "runtime/cancel.h"
#include "runtime/kthread.h"
#include "runtime/signal.h"
#include "runtime/os.h"
#include "runtime/sleep.h"
#include "runtime/thread.h"
#include "runtime/tls.h"

using namespace gmp;

// A pthread_t that libgmp made but that no longer names a live thread (joined
// or detached and exited): glibc's functions must never see it.
#define GMP_STALE(t) (g_in_arena(uintptr_t(t)))

GMP_HOOK int pthread_create(pthread_t* t, const pthread_attr_t* attr, void* (*start)(void*), void* arg) noexcept {
  if (!runtime_started()) return real::pthread_create(t, attr, start, arg);
  return thread_create(t, attr, start, arg);
}

GMP_HOOK void pthread_exit(void* retval) {
  if (!green()) real::pthread_exit(retval);
  thread_exit(retval);
}

GMP_HOOK pthread_t pthread_self() noexcept {
  G* g = getg();
  if (g == nullptr || g->is_g0 || !runtime_started()) return real::pthread_self();
  return thread_handle(g);
}

GMP_HOOK int pthread_equal(pthread_t a, pthread_t b) noexcept { return a == b; }

GMP_HOOK int pthread_join(pthread_t t, void** ret) {
  G* g = g_of_thread(t);
  if (!g) return GMP_STALE(t) ? ESRCH : real::pthread_join(t, ret);
  return thread_join(g, ret, kJoinBlock, CLOCK_REALTIME, nullptr);
}

GMP_HOOK int pthread_tryjoin_np(pthread_t t, void** ret) noexcept {
  G* g = g_of_thread(t);
  if (!g) return GMP_STALE(t) ? ESRCH : real::pthread_tryjoin_np(t, ret);
  return thread_join(g, ret, kJoinTry, CLOCK_REALTIME, nullptr);
}

GMP_HOOK int pthread_timedjoin_np(pthread_t t, void** ret, const struct timespec* abs) {
  G* g = g_of_thread(t);
  if (!g) return GMP_STALE(t) ? ESRCH : real::pthread_timedjoin_np(t, ret, abs);
  if (abs == nullptr) return thread_join(g, ret, kJoinBlock, CLOCK_REALTIME, nullptr);
  return thread_join(g, ret, kJoinTimed, CLOCK_REALTIME, abs);
}

GMP_HOOK int pthread_clockjoin_np(pthread_t t, void** ret, clockid_t clk, const struct timespec* abs) {
  G* g = g_of_thread(t);
  if (!g) return GMP_STALE(t) ? ESRCH : real::pthread_clockjoin_np(t, ret, clk, abs);
  if (abs == nullptr) return thread_join(g, ret, kJoinBlock, clk, nullptr);
  return thread_join(g, ret, kJoinTimed, clk, abs);
}

GMP_HOOK int pthread_detach(pthread_t t) noexcept {
  G* g = g_of_thread(t);
  if (!g) return GMP_STALE(t) ? ESRCH : real::pthread_detach(t);
  return thread_detach(g);
}

GMP_HOOK int pthread_getattr_np(pthread_t t, pthread_attr_t* attr) noexcept {
  G* g = g_of_thread(t);
  // G1 lives on the original thread's stack: glibc describes it best. (Its
  // handle is the original thread's own pthread_t, whoever asks: here and
  // below, main's goes to glibc as it is.)
  if (!g && GMP_STALE(t)) return ESRCH;
  if (!g || g->goid == 1) return real::pthread_getattr_np(t, attr);
  return thread_getattr(g, attr);
}

GMP_HOOK int pthread_setname_np(pthread_t t, const char* name) noexcept {
  G* g = g_of_thread(t);
  if (!g && GMP_STALE(t)) return ESRCH;
  if (!g || g->goid == 1) {
    int e = real::pthread_setname_np(t, name);
    if (e == 0 && g) note_main_name(name);
    return e;
  }
  return thread_setname(g, name);
}

GMP_HOOK int pthread_getname_np(pthread_t t, char* buf, size_t len) noexcept {
  G* g = g_of_thread(t);
  if (!g && GMP_STALE(t)) return ESRCH;
  if (!g || g->goid == 1) return real::pthread_getname_np(t, buf, len);
  return thread_getname(g, buf, len);
}

GMP_HOOK int pthread_key_create(pthread_key_t* key, void (*dtor)(void*)) noexcept {
  return key_create(key, dtor);
}
GMP_HOOK int pthread_key_delete(pthread_key_t key) noexcept { return key_delete(key); }
GMP_HOOK void* pthread_getspecific(pthread_key_t key) noexcept { return key_get(key); }
// glibc declares the value parameter access(none), so g++ warns that we read it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
GMP_HOOK int pthread_setspecific(pthread_key_t key, const void* v) noexcept { return key_set(key, v); }
#pragma GCC diagnostic pop

GMP_HOOK int sched_yield() noexcept {
  if (!green()) return real::sched_yield();
  yield();
  return 0;
}

// glibc's header redirects pthread_yield to sched_yield; old binaries still
// reference pthread_yield itself, so define that symbol by its asm name.
GMP_HOOK int gmp_pthread_yield() noexcept __asm__("pthread_yield");
GMP_HOOK int gmp_pthread_yield() noexcept { return sched_yield(); }

// C cleanup handlers (the pthread_cleanup_push macro without -fexceptions).
// With per-G TLS a G's TCB is its own, and glibc keeps the chain there
// (see "Thread exit" in runtime/thread.cpp); libgmp keeps it only for
// GMP_TLS=0.
GMP_HOOK void __pthread_register_cancel(__pthread_unwind_buf_t* buf) {
  if (!green() || tls_enabled()) return real::__pthread_register_cancel(buf);
  cleanup_register(buf);
}
GMP_HOOK void __pthread_unregister_cancel(__pthread_unwind_buf_t* buf) {
  if (!green() || tls_enabled()) return real::__pthread_unregister_cancel(buf);
  cleanup_unregister(buf);
}
GMP_HOOK void __pthread_unwind_next(__pthread_unwind_buf_t* buf) {
  if (!green() || tls_enabled()) real::__pthread_unwind_next(buf);
  cleanup_unwind_next(buf);
}

// Cancellation (deferred; see runtime/cancel.h).
GMP_HOOK int pthread_cancel(pthread_t t) {
  G* g = g_of_thread(t);
  if (!g) return GMP_STALE(t) ? ESRCH : real::pthread_cancel(t);
  return thread_cancel(g);
}
GMP_HOOK int pthread_setcancelstate(int state, int* old) {
  if (!green()) return real::pthread_setcancelstate(state, old);
  return set_cancel_state(state, old);
}
GMP_HOOK int pthread_setcanceltype(int type, int* old) {
  if (!green()) return real::pthread_setcanceltype(type, old);
  return set_cancel_type(type, old);
}
GMP_HOOK void pthread_testcancel() {
  if (!green()) return real::pthread_testcancel();
  test_cancel();
}

// Functions that hand a pthread_t's kernel tid to the kernel. glibc would read
// a "tid" out of libgmp's handle and apply it to whatever task has that id, so
// a green thread's handle never reaches them. Affinity and policy are the
// G's own (runtime/kthread.cpp: a G that sets them gets a kernel thread of
// its own, which carries them); the CPU clock of the calling green thread
// is its current kernel thread's.
//
// A thread that has exited but is not joined yet (main too, after its
// pthread_exit): glibc hands the kernel its cleared tid, 0, so the
// affinity calls act on the caller, and the policy calls see an invalid
// thread (ESRCH).
static bool exited(G* g) { return g->status.load(std::memory_order_acquire) == GStatus::kDead; }
GMP_HOOK int pthread_setaffinity_np(pthread_t t, size_t size, const cpu_set_t* set) noexcept {
  G* g = g_of_thread(t);
  if (g && exited(g)) return pthread_setaffinity_np(pthread_self(), size, set);
  if (!g || g->goid == 1) {
    if (GMP_STALE(t)) return ESRCH;
    kt_note_kernel_change();
    return real::pthread_setaffinity_np(t, size, set);
  }
  return kt_set_affinity(g, size, set);
}
GMP_HOOK int pthread_getaffinity_np(pthread_t t, size_t size, cpu_set_t* set) noexcept {
  G* g = g_of_thread(t);
  if (g && exited(g)) return pthread_getaffinity_np(pthread_self(), size, set);
  if (!g || g->goid == 1) return GMP_STALE(t) ? ESRCH : real::pthread_getaffinity_np(t, size, set);
  return kt_get_affinity(g, size, set);
}
GMP_HOOK int pthread_setschedparam(pthread_t t, int policy, const struct sched_param* param) noexcept {
  G* g = g_of_thread(t);
  if (g && exited(g)) return ESRCH;
  if (!g || g->goid == 1) {
    if (GMP_STALE(t)) return ESRCH;
    kt_note_kernel_change();
    return real::pthread_setschedparam(t, policy, param);
  }
  if (policy < 0) return EINVAL;
  return kt_set_sched(g, policy, param->sched_priority);
}
GMP_HOOK int pthread_getschedparam(pthread_t t, int* policy, struct sched_param* param) noexcept {
  G* g = g_of_thread(t);
  if (g && exited(g)) return ESRCH;
  if (!g || g->goid == 1) return GMP_STALE(t) ? ESRCH : real::pthread_getschedparam(t, policy, param);
  int prio;
  kt_get_sched(g, policy, &prio);
  *param = sched_param{};
  param->sched_priority = prio;
  return 0;
}
GMP_HOOK int pthread_setschedprio(pthread_t t, int prio) noexcept {
  G* g = g_of_thread(t);
  if (g && exited(g)) return ESRCH;
  if (!g || g->goid == 1) {
    if (GMP_STALE(t)) return ESRCH;
    kt_note_kernel_change();
    return real::pthread_setschedprio(t, prio);
  }
  return kt_set_sched(g, -1, prio);
}

// The sched_* forms name a thread by its kernel identity: 0 (the caller) or
// a green thread's gettid() value mean that G, as does the process id once
// main has left through pthread_exit (kt_target); anything else (main,
// another process) goes to the kernel.
static G* sched_target(pid_t pid) { return kt_target(pid); }
static int sched_result(int e) {
  if (e == 0) return 0;
  errno = e;
  return -1;
}
GMP_HOOK int sched_setaffinity(pid_t pid, size_t size, const cpu_set_t* set) noexcept {
  G* g = sched_target(pid);
  if (!g) {
    kt_note_kernel_change();
    return real::sched_setaffinity(pid, size, set);
  }
  return sched_result(kt_set_affinity(g, size, set));
}
GMP_HOOK int sched_getaffinity(pid_t pid, size_t size, cpu_set_t* set) noexcept {
  G* g = sched_target(pid);
  if (!g) return real::sched_getaffinity(pid, size, set);
  return sched_result(kt_get_affinity(g, size, set));
}
GMP_HOOK int sched_setscheduler(pid_t pid, int policy, const struct sched_param* param) noexcept {
  G* g = sched_target(pid);
  if (!g) {
    kt_note_kernel_change();
    return real::sched_setscheduler(pid, policy, param);
  }
  if (param == nullptr || policy < 0) return sched_result(EINVAL);
  return sched_result(kt_set_sched(g, policy, param->sched_priority));
}
GMP_HOOK int sched_getscheduler(pid_t pid) noexcept {
  G* g = sched_target(pid);
  if (!g) return real::sched_getscheduler(pid);
  int policy, prio;
  kt_get_sched(g, &policy, &prio);
  return policy;
}
GMP_HOOK int sched_setparam(pid_t pid, const struct sched_param* param) noexcept {
  G* g = sched_target(pid);
  if (!g) {
    kt_note_kernel_change();
    return real::sched_setparam(pid, param);
  }
  if (param == nullptr) return sched_result(EINVAL);
  return sched_result(kt_set_sched(g, -1, param->sched_priority));
}
GMP_HOOK int sched_getparam(pid_t pid, struct sched_param* param) noexcept {
  G* g = sched_target(pid);
  if (!g) return real::sched_getparam(pid, param);
  if (param == nullptr) return sched_result(EINVAL);
  int policy, prio;
  kt_get_sched(g, &policy, &prio);
  *param = sched_param{};
  param->sched_priority = prio;
  return 0;
}
GMP_HOOK int pthread_getcpuclockid(pthread_t t, clockid_t* clk) noexcept {
  G* g = g_of_thread(t);
  if (!g || g->goid == 1) return GMP_STALE(t) ? ESRCH : real::pthread_getcpuclockid(t, clk);
  if (g != getg()) return ENOENT;  // another green thread's CPU time is not tracked
  *clk = CLOCK_THREAD_CPUTIME_ID;
  return 0;
}

// gettid: a green thread's own identity (runtime/g.h: above PID_MAX_LIMIT),
// the same whichever kernel thread runs it; main keeps its real tid (the
// process id), as natively.
GMP_HOOK pid_t gettid() noexcept {
  G* g = getg();
  if (g == nullptr || g->is_g0 || !runtime_started()) return real::gettid();
  return thread_tid(g);
}

// C11 threads. glibc's thrd_create calls its internal pthread_create, which
// no hook sees: without these a C11 thread would be a kernel thread. The
// thread is a G like any other; thrd_exit ends up in glibc's pthread_exit
// (it unwinds to the G's entry, see "Thread exit" in runtime/thread.cpp);
// thrd_current and thrd_equal are glibc's and read the TCB, the G's.
static int thrd_result(int e) {
  switch (e) {
    case 0: return thrd_success;
    case ENOMEM: return thrd_nomem;
    case ETIMEDOUT: return thrd_timedout;
    case EBUSY: return thrd_busy;
    default: return thrd_error;
  }
}

GMP_HOOK int thrd_create(thrd_t* thr, thrd_start_t func, void* arg) noexcept {
  auto start = reinterpret_cast<void* (*)(void*)>(reinterpret_cast<void (*)()>(func));
  // Before the runtime starts (constructors): a kernel thread, whose int
  // result thrd_join narrows back as glibc does.
  if (!runtime_started()) return thrd_result(real::pthread_create(thr, nullptr, start, arg));
  return thrd_result(thread_create(thr, nullptr, start, arg, true));
}

GMP_HOOK int thrd_join(thrd_t thr, int* res) {
  void* r = nullptr;
  G* g = g_of_thread(thr);
  int e;
  if (!g)
    e = GMP_STALE(thr) ? ESRCH : real::pthread_join(thr, &r);
  else
    e = thread_join(g, &r, kJoinBlock, CLOCK_REALTIME, nullptr);
  if (e == 0 && res) *res = int(uintptr_t(r));
  return thrd_result(e);
}

GMP_HOOK int thrd_detach(thrd_t thr) noexcept {
  G* g = g_of_thread(thr);
  if (!g) return thrd_result(GMP_STALE(thr) ? ESRCH : real::pthread_detach(thr));
  return thrd_result(thread_detach(g));
}

// thrd_exit is glibc's pthread_exit with the int widened; with per-G TLS
// glibc's own would do (it unwinds to the G's entry), but with GMP_TLS=0 it
// would unwind the M's kernel thread.
GMP_HOOK void thrd_exit(int res) {
  void* v = reinterpret_cast<void*>(uintptr_t(res));
  if (!green()) real::pthread_exit(v);
  thread_exit(v);
}

GMP_HOOK int thrd_sleep(const struct timespec* d, struct timespec* rem) {
  // glibc: clock_nanosleep(CLOCK_REALTIME, 0, ...) mapped to 0, -1 (EINTR), -2.
  int e = 0;
  if (!green())
    e = real::clock_nanosleep(CLOCK_REALTIME, 0, d, rem);
  else if (d->tv_nsec < 0 || d->tv_nsec >= 1000000000 || d->tv_sec < 0)
    e = EINVAL;
  else
    sleep_for(int64_t(d->tv_sec) * 1000000000 + d->tv_nsec);
  return e == 0 ? 0 : e == EINTR ? -1 : -2;
}

GMP_HOOK void thrd_yield() noexcept {
  if (!green()) {
    real::sched_yield();
    return;
  }
  yield();
}

// C11 thread-specific storage is pthread keys (glibc's are wrappers too).
GMP_HOOK int tss_create(tss_t* key, tss_dtor_t dtor) noexcept {
  return key_create(key, dtor) == 0 ? thrd_success : thrd_error;
}
GMP_HOOK void tss_delete(tss_t key) noexcept { key_delete(key); }
GMP_HOOK void* tss_get(tss_t key) noexcept { return key_get(key); }
GMP_HOOK int tss_set(tss_t key, void* v) noexcept { return key_set(key, v) == 0 ? thrd_success : thrd_error; }
