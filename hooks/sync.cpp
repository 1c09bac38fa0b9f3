// hooks/sync.cpp — mutexes, condition variables, rwlocks, barriers,
// semaphores and once. Green for every caller (the runtime falls back to the
// kernel futex for callers that are not Gs); pthread_*_init stays glibc's.
#include <threads.h>

#include <cerrno>

#include "hooks/hook.h"
#include "runtime/sync.h"

using namespace gmp;

GMP_HOOK int pthread_mutex_lock(pthread_mutex_t* m) noexcept { return mutex_lock(m); }
GMP_HOOK int pthread_mutex_trylock(pthread_mutex_t* m) noexcept { return mutex_trylock(m); }
GMP_HOOK int pthread_mutex_timedlock(pthread_mutex_t* m, const struct timespec* abs) noexcept {
  return mutex_timedlock(m, CLOCK_REALTIME, abs, false);
}
GMP_HOOK int pthread_mutex_clocklock(pthread_mutex_t* m, clockid_t clk, const struct timespec* abs) noexcept {
  return mutex_timedlock(m, clk, abs, true);
}
GMP_HOOK int pthread_mutex_unlock(pthread_mutex_t* m) noexcept { return mutex_unlock(m); }
GMP_HOOK int pthread_mutex_destroy(pthread_mutex_t* m) noexcept { return mutex_destroy(m); }
GMP_HOOK int pthread_mutex_consistent(pthread_mutex_t* m) noexcept { return mutex_consistent(m); }
// glibc's header redirects pthread_mutex_consistent_np to the standard name;
// old binaries still reference it, so define that symbol by its asm name.
GMP_HOOK int gmp_pthread_mutex_consistent_np(pthread_mutex_t* m) noexcept __asm__("pthread_mutex_consistent_np");
GMP_HOOK int gmp_pthread_mutex_consistent_np(pthread_mutex_t* m) noexcept { return mutex_consistent(m); }

GMP_HOOK int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) { return cond_wait(c, m); }
GMP_HOOK int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const struct timespec* abs) {
  return cond_timedwait(c, m, -1, abs);
}
GMP_HOOK int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clk,
                                    const struct timespec* abs) {
  return cond_timedwait(c, m, clk, abs);
}
GMP_HOOK int pthread_cond_signal(pthread_cond_t* c) noexcept { return cond_signal(c); }
GMP_HOOK int pthread_cond_broadcast(pthread_cond_t* c) noexcept { return cond_broadcast(c); }
GMP_HOOK int pthread_cond_destroy(pthread_cond_t* c) noexcept { return cond_destroy(c); }

GMP_HOOK int pthread_rwlock_rdlock(pthread_rwlock_t* l) noexcept {
  return rwlock_rdlock(l, CLOCK_REALTIME, nullptr, false);
}
GMP_HOOK int pthread_rwlock_wrlock(pthread_rwlock_t* l) noexcept {
  return rwlock_wrlock(l, CLOCK_REALTIME, nullptr, false);
}
GMP_HOOK int pthread_rwlock_timedrdlock(pthread_rwlock_t* l, const struct timespec* abs) noexcept {
  return rwlock_rdlock(l, CLOCK_REALTIME, abs, false);
}
GMP_HOOK int pthread_rwlock_timedwrlock(pthread_rwlock_t* l, const struct timespec* abs) noexcept {
  return rwlock_wrlock(l, CLOCK_REALTIME, abs, false);
}
GMP_HOOK int pthread_rwlock_clockrdlock(pthread_rwlock_t* l, clockid_t clk, const struct timespec* abs) noexcept {
  return rwlock_rdlock(l, clk, abs, true);
}
GMP_HOOK int pthread_rwlock_clockwrlock(pthread_rwlock_t* l, clockid_t clk, const struct timespec* abs) noexcept {
  return rwlock_wrlock(l, clk, abs, true);
}
GMP_HOOK int pthread_rwlock_tryrdlock(pthread_rwlock_t* l) noexcept { return rwlock_tryrdlock(l); }
GMP_HOOK int pthread_rwlock_trywrlock(pthread_rwlock_t* l) noexcept { return rwlock_trywrlock(l); }
GMP_HOOK int pthread_rwlock_unlock(pthread_rwlock_t* l) noexcept { return rwlock_unlock(l); }
GMP_HOOK int pthread_rwlock_destroy(pthread_rwlock_t* l) noexcept { return rwlock_destroy(l); }

GMP_HOOK int pthread_barrier_wait(pthread_barrier_t* b) noexcept { return barrier_wait(b); }
GMP_HOOK int pthread_barrier_destroy(pthread_barrier_t* b) noexcept { return barrier_destroy(b); }

GMP_HOOK int sem_wait(sem_t* s) { return gmp::sem_wait(s, CLOCK_REALTIME, nullptr, false); }
GMP_HOOK int sem_timedwait(sem_t* s, const struct timespec* abs) {
  return gmp::sem_wait(s, CLOCK_REALTIME, abs, false);
}
GMP_HOOK int sem_clockwait(sem_t* s, clockid_t clk, const struct timespec* abs) {
  return gmp::sem_wait(s, clk, abs, true);
}
GMP_HOOK int sem_trywait(sem_t* s) noexcept { return gmp::sem_trywait(s); }
GMP_HOOK int sem_post(sem_t* s) noexcept { return gmp::sem_post(s); }
GMP_HOOK int sem_getvalue(sem_t* s, int* v) noexcept { return gmp::sem_getvalue(s, v); }
GMP_HOOK int sem_destroy(sem_t* s) noexcept { return gmp::sem_destroy(s); }

GMP_HOOK int pthread_once(pthread_once_t* o, void (*init)()) { return once(o, init); }

// C11 mutexes, condition variables and call_once are glibc's pthread objects
// under other names (mtx_init and cnd_init are glibc's pthread_*_init), but
// glibc's C11 functions call its pthread functions internally, where no hook
// sees them: route them to the same green implementations.
static int c11_result(int e) {
  switch (e) {
    case 0: return thrd_success;
    case ENOMEM: return thrd_nomem;
    case ETIMEDOUT: return thrd_timedout;
    case EBUSY: return thrd_busy;
    default: return thrd_error;
  }
}
static pthread_mutex_t* pm(mtx_t* m) { return reinterpret_cast<pthread_mutex_t*>(m); }
static pthread_cond_t* pc(cnd_t* c) { return reinterpret_cast<pthread_cond_t*>(c); }

GMP_HOOK int mtx_lock(mtx_t* m) noexcept { return c11_result(mutex_lock(pm(m))); }
GMP_HOOK int mtx_trylock(mtx_t* m) noexcept { return c11_result(mutex_trylock(pm(m))); }
GMP_HOOK int mtx_timedlock(mtx_t* __restrict m, const struct timespec* __restrict abs) noexcept {
  return c11_result(mutex_timedlock(pm(m), CLOCK_REALTIME, abs, false));
}
GMP_HOOK int mtx_unlock(mtx_t* m) noexcept { return c11_result(mutex_unlock(pm(m))); }
GMP_HOOK void mtx_destroy(mtx_t* m) noexcept { mutex_destroy(pm(m)); }

GMP_HOOK int cnd_wait(cnd_t* c, mtx_t* m) { return c11_result(cond_wait(pc(c), pm(m))); }
GMP_HOOK int cnd_timedwait(cnd_t* __restrict c, mtx_t* __restrict m, const struct timespec* __restrict abs) {
  return c11_result(cond_timedwait(pc(c), pm(m), -1, abs));
}
GMP_HOOK int cnd_signal(cnd_t* c) noexcept { return c11_result(cond_signal(pc(c))); }
GMP_HOOK int cnd_broadcast(cnd_t* c) noexcept { return c11_result(cond_broadcast(pc(c))); }
GMP_HOOK void cnd_destroy(cnd_t* c) noexcept { cond_destroy(pc(c)); }

GMP_HOOK void call_once(once_flag* flag, void (*func)(void)) {
  once(reinterpret_cast<pthread_once_t*>(flag), func);
}
