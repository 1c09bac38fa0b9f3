// thread.h — the pthread life cycle of a G: create, run, exit, join, detach;
// thread-specific data (keys); names, attributes, and the C cleanup-handler
// chain used by pthread_exit's forced unwind.
#pragma once
#include <pthread.h>

#include "runtime/g.h"

namespace gmp {

// thread_create: pthread_create for a G (thrd_create's when c11: start
// returns int). Returns 0 or an errno value.
int thread_create(pthread_t* out, const pthread_attr_t* attr, void* (*start)(void*), void* arg,
                  bool c11 = false);
// thread_main runs on the new G's stack: start(arg), then thread exit.
[[noreturn]] void thread_main(G* g);
// thread_exit: pthread_exit from a G: forced unwind to thread_main, which
// then ends the G with retval.
[[noreturn]] void thread_exit(void* retval);
// thread_run_main runs main() as G1, so that pthread_exit from main unwinds
// to here and ends G1 only.
int thread_run_main(int (*main)(int, char**, char**), int argc, char** argv, char** envp);
// main_exit: G1 left main() through pthread_exit; ends G1 (not the process).
[[noreturn]] void main_thread_exit(void* retval);

// thread_exit_publish makes g's exit visible: status Dead, joiners woken
// (Zombie), or g recycled if detached. On the exiting G's g0 after it left
// its stack, or on sysmon for a G whose M retired (sched.cpp: "Retiring").
void thread_exit_publish(G* g);

int thread_join(G* g, void** ret, int mode, clockid_t clk, const struct timespec* abs);
enum JoinMode { kJoinBlock = 0, kJoinTry = 1, kJoinTimed = 2 };
int thread_detach(G* g);

// The G of a pthread_t, or nullptr for one libgmp did not create. The main
// thread's original pthread_t names G1.
G* g_of_thread(pthread_t t);
// thread_handle is g's pthread_t: its TCB (tls.h), main's original one for
// G1, the G* itself with GMP_TLS=0.
pthread_t thread_handle(G* g);
// thread_tid is what gettid() returns on g: the process id for G1 (main's
// tid natively), else g_thread_id(g), never a real task's.
pid_t thread_tid(G* g);
void set_main_handle(pthread_t main, G* g1);
// main_g is G1 (null before the runtime starts).
G* main_g();

int thread_getattr(G* g, pthread_attr_t* attr);
int thread_setname(G* g, const char* name);
// note_main_name records a new name of the main thread (set through glibc).
void note_main_name(const char* name);
void inherit_name(G* child);
int thread_getname(G* g, char* buf, size_t len);

// Keys (pthread_key_*), per G; foreign threads get a per-kernel-thread table.
int key_create(pthread_key_t* key, void (*dtor)(void*));
int key_delete(pthread_key_t key);
void* key_get(pthread_key_t key);
int key_set(pthread_key_t key, const void* value);

// C cleanup handlers (pthread_cleanup_push without -fexceptions).
void cleanup_register(void* buf);
void cleanup_unregister(void* buf);
[[noreturn]] void cleanup_unwind_next(void* buf);

// mutex_owner_exit (sync.cpp) is the exiting G's part of the kernel's work
// at thread death: robust mutexes it still holds get FUTEX_OWNER_DIED, and a
// G pinned to its M by such mutexes is unpinned. On the exiting G.
void mutex_owner_exit(G* g);

// live_gs: pthreads alive (G1 included).
int64_t live_gs();

}  // namespace gmp
