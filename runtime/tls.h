// tls.h — per-G thread-local storage: the glibc contract.
//
// Each G owns a static TLS block and TCB made by glibc's own allocator
// (_dl_allocate_tls), so errno, thread_local/__thread variables, C++
// exception state and glibc's per-thread buffers belong to the G and keep
// their addresses when it moves between kernel threads: the context switch
// loads the G's TCB into the FS base (wrfsbase, or arch_prctl without
// FSGSBASE). The scheduler (g0) runs on its M's own TCB. G1 keeps the main
// thread's TCB, which its M (M0) shares while G1 is off the CPU.
//
// A hand-made TCB skipped glibc's start_thread and is on none of its thread
// lists; every field glibc reads from THREAD_SELF for a running thread is set
// here (tls.cpp, one comment per field). The offsets are glibc 2.36's on
// x86_64, checked against the main thread's TCB at start: on another glibc
// libgmp refuses to start, naming the version.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gmp {

struct G;

// tls_init checks the contract and learns the layout; on M0 before any G.
void tls_init();
bool tls_enabled();
// tls_tp returns the calling kernel thread's current thread pointer (%fs:0).
void* tls_tp();
// tls_set_tp loads tp into the FS base of the calling kernel thread.
void tls_set_tp(void* tp);
// tls_alloc gives g a fresh (or recycled) TCB; false when out of memory.
bool tls_alloc(G* g);
// tls_release keeps g's TCB for reuse by the next G in the same struct.
void tls_release(G* g);
// tls_switch_in / tls_switch_out lend the M's malloc state (tcache, arena)
// to the G it runs and take it back: see tls.cpp.
void tls_switch_in(void* m_tp, void* g_tp);
void tls_switch_out(void* m_tp, void* g_tp);
// tls_set_slot stores g in the current-G slot of the TLS block at tp.
void tls_set_slot(void* tp, G* g);
// tls_thread_start does glibc's per-thread setup that start_thread would
// (the ctype table pointers); on the new G, before its start routine.
void tls_thread_start();
// tls_thread_exit runs glibc's per-thread exit work that a G needs
// (thread_local destructors); on the exiting G.
void tls_thread_exit();

}  // namespace gmp
