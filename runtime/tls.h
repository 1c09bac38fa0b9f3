// tls.h — per-G thread-local storage: the glibc contract.
//
// Each G owns a static TLS block and TCB (a glibc struct pthread), so errno,
// thread_local/__thread variables, C++ exception state and glibc's
// per-thread buffers belong to the G and keep their addresses when it moves
// between kernel threads: the context switch loads the G's TCB into the FS
// base (wrfsbase, or arch_prctl without FSGSBASE). The scheduler (g0) runs
// on its M's own TCB. G1 keeps the main thread's TCB, which its M (M0)
// shares while G1 is off the CPU.
//
// The TCB address is the G's pthread_t, as it is for a glibc thread, so
// glibc's own pthread_self(), thrd_current() and everything else that reads
// the thread pointer agree with what pthread_create returned.
//
// A hand-made TCB skipped glibc's start_thread and is on none of its thread
// lists unless we put it there; every fact about glibc's internals that this
// relies on lives in tls.cpp, one comment per fact. The offsets are glibc
// 2.36's on x86_64, checked at start against glibc's own debugger
// descriptors and the main thread's TCB: on another glibc libgmp refuses to
// start, naming the version.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gmp {

struct G;
struct M;

// tls_init checks the contract and learns the layout; on M0 before any G.
void tls_init();
bool tls_enabled();
// tls_contract_ok: this is the glibc whose internals tls.cpp knows (also
// with GMP_TLS=0, for the robust-mutex and pinning code that needs them).
bool tls_contract_ok();
// tls_tp returns the calling kernel thread's current thread pointer (%fs:0).
void* tls_tp();
// tls_set_tp loads tp into the FS base of the calling kernel thread.
void tls_set_tp(void* tp);

// tls_alloc gives g a TCB from the TLS arena (a recycled one when possible),
// initialised as glibc's start_thread would leave it and linked into glibc's
// list of threads; false when out of memory. On the creating thread.
bool tls_alloc(G* g);
// tls_retire ends g's TCB as a thread, as glibc does when a thread exits:
// off glibc's list, dtv and dynamic TLS freed. The TCB stays g's, so the
// handle of a thread not yet joined still names it. On g0, after g left its
// stack for good.
void tls_retire(G* g);
// tls_release returns g's TCB to the arena for the next G; when the G
// struct itself is recycled (g_release), i.e. after join or detach.
void tls_release(G* g);
// tls_thread_gone tells glibc that the kernel thread tid whose struct
// pthread is pd (one of the runtime's own, made by glibc's pthread_create)
// has exited: the tid field, if it still holds tid, is cleared as the
// kernel clears it at exit, so glibc may reuse or free that thread's stack
// (it does neither while the field is nonzero). For a thread that moved its
// clear-child-tid address elsewhere (mretire in sched.cpp); only under
// tls_contract_ok().
void tls_thread_gone(void* pd, int tid);
// tls_g_of_handle returns the live G whose TCB is handle, or nullptr.
// Never faults, whatever the value.
G* tls_g_of_handle(uintptr_t handle);
// tls_in_arena: handle points into the TLS arena (a TCB libgmp made, live
// or not).
bool tls_in_arena(uintptr_t handle);

// tls_switch_in / tls_switch_out lend the M's malloc state (tcache, arena)
// to the G it runs and take it back: see tls.cpp.
void tls_switch_in(void* m_tp, void* g_tp);
// tls_prefetch asks the CPU to start loading the lines of g_tp's block that
// a switch to it will touch (the carried words, the TCB's first line).
void tls_prefetch(void* g_tp);
void tls_switch_out(void* m_tp, void* g_tp);
// tls_set_slot stores g in the current-G slot of the TLS block at tp.
void tls_set_slot(void* tp, G* g);

// tls_thread_start does glibc's per-thread setup that start_thread would
// (the ctype table pointers); on the new G, before its start routine.
void tls_thread_start();
// tls_thread_exit runs the thread_local destructors; on the exiting G,
// before the key destructors (glibc's order).
void tls_thread_exit();
// tls_thread_freeres releases what glibc's per-thread state holds (resolver
// sockets, a pending dlerror message); on the exiting G, last.
void tls_thread_freeres();

// GlibcUnwindBuf is glibc's struct pthread_unwind_buf: a jmp_buf prefix
// (what _setjmp writes when it saves no signal mask) and the link to the
// enclosing buffer. glibc's pthread_exit, thrd_exit and cancellation unwind
// to the innermost buffer of the chain that starts at the TCB's
// cleanup_jmp_buf; pthread_cleanup_push (without -fexceptions) pushes one.
struct GlibcUnwindBuf {
  long jmp[8];
  int mask_was_saved;
  void* prev;     // priv.data.prev
  void* cleanup;  // priv.data.cleanup
  int canceltype;
  void* pad;
};
static_assert(sizeof(GlibcUnwindBuf) == 104);

// tls_push_exit_buf makes buf (already filled by _setjmp) the outermost
// cleanup buffer of the current thread, as start_thread does; it returns
// the previous one. tls_pop_exit_buf restores it.
void* tls_push_exit_buf(GlibcUnwindBuf* buf);
void tls_pop_exit_buf(void* prev);
// tls_exit_value is the value glibc's pthread_exit stored (THREAD_SELF->
// result) before unwinding to our buffer; it also clears the exiting mark
// glibc set, as the TCB lives on (recycled, or M0's).
void* tls_exit_value();

// Running glibc as the M. A G that holds a mutex the kernel tracks by tid
// (priority inheritance, robust, priority protection) is pinned to its M
// (sync.cpp) and makes those glibc calls on the M's own TCB, so the owner
// id is the M's real tid and the mutex is on the M's robust list, which the
// kernel knows. tls_enter_m switches the FS base to g's M (a no-op when g
// already runs on it: G1, or GMP_TLS=0) and returns what tls_leave_m needs.
// Nothing between them may park.
void* tls_enter_m(G* g);
void tls_leave_m(G* g, void* token);
// tls_robust_owner_died does for m's robust list what the kernel does when
// a thread dies (exit_robust_list): each listed mutex whose lock word holds
// m's tid gets FUTEX_OWNER_DIED and one waiter is woken; then the list is
// emptied. For the pinned G that exits holding robust mutexes (its M lives
// on). Returns the number of mutexes marked.
int tls_robust_owner_died(M* m);

}  // namespace gmp
