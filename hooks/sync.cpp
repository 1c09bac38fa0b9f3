// hooks/sync.cpp — mutexes, condition variables, rwlocks, barriers,
// semaphores and once. Green for every caller (the runtime falls back to the
// kernel futex for callers that are not Gs); pthread_*_init stays glibc's.
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
