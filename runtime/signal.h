// signal.h — signals for green threads (see signal.cpp for the design).
#pragma once
#include <csignal>
#include <cstdint>

#include "runtime/g.h"

namespace gmp {

struct M;

// sig_pending: g has a pending signal that its mask does not block.
bool sig_pending(G* g);

// sig_after_interrupt runs, on the current G, the handlers of its pending
// unblocked signals, after one of its parks was interrupted (or when a
// blocking call notices them). Returns true when the interrupted call must
// be restarted: restartable (the call is one signal(7) lets SA_RESTART
// restart) and every handler that ran had SA_RESTART, or no handler ran at
// all (the signal went elsewhere). Returns false when it must fail with
// EINTR.
bool sig_after_interrupt(bool restartable);

// sigwait_interrupt wakes g out of a sigwait-family park (interrupt.h).
void sigwait_interrupt(G* g);

// --- runtime plumbing ---
// sig_init: on M0 at runtime start, G1 current: adopt the dispositions and
// mask the program already has, install the trampolines.
void sig_init();
// sig_m_start: on a new M's own thread before it runs any G.
void sig_m_start(M* m);
// sig_sysmon_start: on the sysmon thread (it accepts every signal and never
// runs program code; see signal.cpp).
void sig_sysmon_start();
// sig_poll: sysmon's turn: route queued signals, retry deliveries. Returns
// true while deliveries are outstanding (sysmon keeps its short tick).
bool sig_poll();
// sig_switch_in: on g0 before g runs on m: the kernel mask follows the G.
void sig_switch_in(M* m, G* g);
// sig_spawn: a new G inherits its creator's mask; sig_exit drops what is
// still pending for an exiting G.
void sig_spawn(G* child);
void sig_exit(G* g);
// sig_set_default_hook: a runtime handler for signal s while the program
// keeps SIG_DFL (the SIGQUIT dump).
void sig_set_default_hook(int s, void (*fn)(int, siginfo_t*, void*));
// sig_fork_child: in a fork child on the forking G: nothing is pending.
void sig_fork_child();

// sig_mask_swap gives the current G the mask *mask for the length of a call
// (ppoll, pselect, epoll_pwait) and returns the old one; sig_mask_restore
// puts it back. A signal the temporary mask unblocks interrupts the call.
uint64_t sig_mask_swap(const sigset_t* mask);
void sig_mask_restore(uint64_t old);

// --- the hooks' entry points (return 0 or an errno value unless noted) ---
int sig_action(int s, const struct sigaction* act, struct sigaction* old);
int sig_procmask(int how, const sigset_t* set, sigset_t* old);
int sig_pending_set(sigset_t* out);
// sig_async_handler: the program has a handler function installed for some
// signal other than the synchronous faults (deadlock.cpp, condition 4).
bool sig_async_handler();
// sig_signalfd: a signalfd now reads these signals (hooks/io.cpp).
void sig_signalfd(const sigset_t* mask);
// sig_fd_read: the current G is about to read fd (a stream). If fd is a
// signalfd for signals the G blocks and has pending — thread-directed ones
// (pthread_kill, pthread_sigqueue), which libgmp keeps on the G — they are
// moved to the queue of the G's kernel thread, where the read right after
// finds them, as a native signalfd returns its reader's own signals.
void sig_fd_read(int fd);
// sig_fd_wake_take: whether g's fd wait must end once for such a signal
// (G.sig_fd_wake), clearing the request; the fd wait's interrupt check.
bool sig_fd_wake_take(G* g);
// sig_altstack: sigaltstack for the current G (0 or an errno value).
int sig_altstack(const stack_t* ss, stack_t* old);
// g_of_tid: the live G whose gettid() identity is tid (main: the process
// id), or nullptr.
G* g_of_tid(pid_t tid);
// sig_kill_g: pthread_kill / pthread_sigqueue to a G (value: SI_QUEUE).
int sig_kill_g(G* g, int s, const union sigval* value);
// sig_kill_self: kill / sigqueue from a G to its own process, routed at once
// by the caller (as sysmon routes what the trampoline queues), so the signal
// is where sigpending and a zero-timeout sigtimedwait look as soon as the
// call returns; a handler it makes due on the caller runs before the return.
// Returns 0 or an errno, or -1 when the kernel must do it (signal 0,
// SIGKILL, SIGSTOP, glibc's own, one a signalfd reads, runtime not ready)
// or pid is not ours.
int sig_kill_self(pid_t pid, int s, const union sigval* value);
// sig_wait: sigwaitinfo/sigtimedwait (deadline 0: none). Returns the signal
// number or -errno.
int sig_wait(const sigset_t* set, siginfo_t* info, int64_t deadline);
// sig_suspend: sigsuspend/pause. Always returns -EINTR (or -EFAULT).
int sig_suspend(const sigset_t* mask);
// sig_longjmp: the current G is about to longjmp to env (a
// struct __jmp_buf_tag): if that leaves the handlers it is in, it is in none
// any more; a mask sigsetjmp saved becomes the G's mask (hooks/signal.cpp).
void sig_longjmp(const void* env);
// sig_wrap_glibc: once glibc has installed its SIGSETXID handler (its first
// pthread_create), run it on the kernel thread's own TCB (signal.cpp).
void sig_wrap_glibc();
// POSIX timers with SIGEV_THREAD_ID naming a green thread: the kernel tid
// such a timer is created for (sysmon's; 0 if there is none), and the
// timer's routing to its G (sig_timer_route: 0 or EAGAIN when the table is
// full), removed by timer_delete.
pid_t sig_timer_tid();
int sig_timer_route(intptr_t id, G* g);
void sig_timer_unroute(intptr_t id);
// sig_setxid: the set*id family for every thread of the process (glibc's
// own broadcast reads the thread pointer, which is a G's). Returns the raw
// syscall result (-errno on failure).
long sig_setxid(long nr, long a, long b, long c);

}  // namespace gmp
