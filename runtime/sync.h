// sync.h — green pthread synchronisation objects.
//
// Each object keeps its whole state in the caller's own pthread_*_t bytes, so
// static initializers (all-zero, PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP, ...)
// work and no allocation or registration is ever needed. We keep glibc's own
// field positions for the parts glibc's init functions write (kind, clock,
// pshared flag, barrier count), so pthread_*_init is always glibc's own and
// process-shared, robust and priority-protocol objects pass through to glibc
// untouched. Everything that waits uses the green futex (futex.h), which
// parks a G or, for a caller that is not a G, sleeps in the kernel.
//
// All functions return what the glibc function of the same name returns.
#pragma once
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

namespace gmp {

int mutex_lock(pthread_mutex_t* m);
int mutex_trylock(pthread_mutex_t* m);
int mutex_timedlock(pthread_mutex_t* m, clockid_t clk, const timespec* abs, bool check_clock);
int mutex_unlock(pthread_mutex_t* m);
int mutex_destroy(pthread_mutex_t* m);
// mutex_consistent: pthread_mutex_consistent, as the owner the kernel knows
// (see "Mutexes the kernel sees" in sync.cpp).
int mutex_consistent(pthread_mutex_t* m);
// pin_to_m / unpin_from_m: the current G g holds one more / one less thing
// the kernel ties to its kernel thread (a PI or robust mutex, an affinity);
// while any is held g runs only on its M. On g only.
struct G;
void pin_to_m(G* g);
void unpin_from_m(G* g);

int cond_wait(pthread_cond_t* c, pthread_mutex_t* m);
// clk < 0: use the cond's own clock (pthread_cond_timedwait).
int cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clk, const timespec* abs);
int cond_signal(pthread_cond_t* c);
int cond_broadcast(pthread_cond_t* c);
int cond_destroy(pthread_cond_t* c);

int rwlock_rdlock(pthread_rwlock_t* l, clockid_t clk, const timespec* abs, bool check_clock);
int rwlock_wrlock(pthread_rwlock_t* l, clockid_t clk, const timespec* abs, bool check_clock);
int rwlock_tryrdlock(pthread_rwlock_t* l);
int rwlock_trywrlock(pthread_rwlock_t* l);
int rwlock_unlock(pthread_rwlock_t* l);
int rwlock_destroy(pthread_rwlock_t* l);

int barrier_wait(pthread_barrier_t* b);
int barrier_destroy(pthread_barrier_t* b);

// Semaphores follow errno convention (return -1 and set errno).
int sem_wait(sem_t* s, clockid_t clk, const timespec* abs, bool check_clock);
int sem_trywait(sem_t* s);
int sem_post(sem_t* s);
int sem_getvalue(sem_t* s, int* v);
int sem_destroy(sem_t* s);

int once(pthread_once_t* o, void (*init)());

// deadline_from converts an absolute time on clk to a nanotime deadline.
// Returns 0 and sets *deadline, or EINVAL (bad tv_nsec) / ETIMEDOUT (past).
int deadline_from(clockid_t clk, const timespec* abs, int64_t* deadline);

// self_id is the caller's thread identity as stored in mutex owner fields: a
// G's is above PID_MAX_LIMIT (so it never names a real task), a foreign
// thread's is its kernel tid.
int32_t self_id();

}  // namespace gmp
