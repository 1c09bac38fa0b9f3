// kthread.h — a green thread's kernel-thread attributes: CPU affinity and
// scheduling policy (pthread_setaffinity_np, pthread_setschedparam, and the
// sched_* calls on the caller's own or a green thread's identity).
//
// All functions return 0 or an errno value, as the pthread_* calls do.
#pragma once
#include <sched.h>

#include <cstddef>

namespace gmp {

struct G;

// kt_init records the process's CPU mask (runtime_start, before any M).
void kt_init();
int kt_set_affinity(G* g, size_t size, const cpu_set_t* set);
int kt_get_affinity(G* g, size_t size, cpu_set_t* set);
// kt_set_sched: policy < 0 keeps the current policy (pthread_setschedprio).
int kt_set_sched(G* g, int policy, int prio);
int kt_get_sched(G* g, int* policy, int* prio);
// kt_apply: on g, at the end of a park — what another thread asked for.
void kt_apply(G* g);
// kt_exit: on the exiting g; gives its M back as it found it.
void kt_exit(G* g);
// kt_release: g is given back (g_release); frees what a change made after
// its exit (a late pthread_setaffinity_np on its handle) left.
void kt_release(G* g);

}  // namespace gmp
