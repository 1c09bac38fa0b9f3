// kthread.h — a green thread's kernel-thread attributes: CPU affinity and
// scheduling policy (pthread_setaffinity_np, pthread_setschedparam, and the
// sched_* calls on the caller's own or a green thread's identity).
//
// All functions return 0 or an errno value, as the pthread_* calls do.
#pragma once
#include <pthread.h>
#include <sched.h>
#include <sys/types.h>

#include <cstddef>

namespace gmp {

struct G;

// kt_init records the process's CPU mask (runtime_start, before any M).
void kt_init();
// kt_fork_child: the child of fork() (no other thread): the attribute lock
// another thread may have held at the fork is released.
void kt_fork_child();
int kt_set_affinity(G* g, size_t size, const cpu_set_t* set);
int kt_get_affinity(G* g, size_t size, cpu_set_t* set);
// kt_get_affinity_raw: the system call's answer (bytes written, or -errno).
long kt_get_affinity_raw(G* g, size_t size, cpu_set_t* set);
// kt_set_sched: policy < 0 keeps the current policy (pthread_setschedprio).
int kt_set_sched(G* g, int policy, int prio);
int kt_get_sched(G* g, int* policy, int* prio);
// kt_target: the G a sched_* call names by pid (0: the caller; a green
// thread's gettid(); the process id once main has exited), or null when
// the kernel should answer (main while alive, other tasks, non-Gs).
G* kt_target(pid_t pid);
// kt_note_kernel_change: a set call went to the kernel (main's thread,
// another task): from now on kt_create reads main's kernel thread.
void kt_note_kernel_change();
// kt_create: the new thread child starts with its creator's attributes, or
// those attr asks for (pthread_attr_setaffinity_np, PTHREAD_EXPLICIT_SCHED),
// applied on its first run. An errno when the kernel would refuse them.
int kt_create(G* child, const pthread_attr_t* attr);
// kt_apply: on g, at the end of a park or at its start — what another
// thread (or its creator) asked for.
void kt_apply(G* g);
// kt_exit: on the exiting g; gives its M back as it found it, or marks the
// M to retire when the kernel refuses (M.retire).
void kt_exit(G* g);
// kt_main_exit: on G1 leaving through pthread_exit: what main's kernel
// thread carries is recorded as G1's (the sched_* calls on the process id
// now read it), and M0, which will run other Gs, gets the defaults back.
void kt_main_exit(G* g1);
// kt_release: g is given back (g_release); frees what a change made after
// its exit (a late sched_setaffinity on main's pid) left.
void kt_release(G* g);
// kt_thread_attr: for a new kernel thread (an M, sysmon) made by the calling
// one: when the caller carries something other than the defaults (a locked
// G's mask or policy, main's own), attr asks for the defaults explicitly.
// Returns whether it did (an M's creator then leaves it to sysmon:
// sched.cpp, newm_thread).
bool kt_thread_attr(pthread_attr_t* attr);

}  // namespace gmp
