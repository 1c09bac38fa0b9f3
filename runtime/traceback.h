// traceback.h — symbolized stacks of Gs, for the dumps (dump.cpp).
//
// A parked G's stack is walked from the registers its context saved; the G
// interrupted by a signal, from the signal's ucontext. The walk uses DWARF
// CFI through libunwind, loaded with dlopen("libunwind.so.8", RTLD_LOCAL) the
// first time a dump runs (never linked: a program that never dumps never
// loads it). Without libunwind it follows frame pointers, which stops at the
// first frame compiled without them.
//
// Everything here is for debugging paths: it may allocate (dlopen, the C++
// demangler) and call libc, but it never takes a runtime lock, so it is safe
// while the interrupted code holds one. Memory is read directly; a fault
// (a G resumed and changed its stack while we read it) is caught by a
// SIGSEGV/SIGBUS guard that unwinds to the walk's start (traceback_guard).
#pragma once
#include <ucontext.h>

#include <cstddef>
#include <cstdint>

#include "runtime/context.h"

namespace gmp {

// Regs: where a walk starts. ip and the registers DWARF unwinding needs: the
// stack pointer and the callee-saved ones (exactly what a context switch
// saves). signal_frame: ip is an interrupted instruction, not a return
// address (so ip itself, not ip-1, is looked up).
struct Regs {
  uintptr_t ip = 0, sp = 0, bp = 0, bx = 0, r12 = 0, r13 = 0, r14 = 0, r15 = 0;
  bool signal_frame = false;
};

// regs_of_context reads the registers saved by Boost.Context's
// jump_fcontext (x86_64 SysV) at c. Reads through the fault guard; false if
// the frame is unreadable.
bool regs_of_context(ctx::Context c, Regs* r);
void regs_of_ucontext(const ucontext_t* uc, bool signal_frame, Regs* r);

// Frame: one symbolized return address. runtime: the address is in
// libgmp.so itself (park, the wait table, a hook's body).
struct Frame {
  uintptr_t ip = 0;
  uintptr_t off = 0;    // ip - start of the named function
  uintptr_t modoff = 0;  // ip - load address of the module (for addr2line)
  bool runtime = false;
  char name[192] = {};  // demangled; empty if unknown
  char module[64] = {};  // file name of the module, without directories; empty if none
};

// traceback walks the stack from r, staying inside [lo, hi) when lo != 0,
// and fills at most max frames. Returns the frame count, or -1 if the walk
// faulted. Names are filled for every frame except runtime frames that
// print_frames would elide.
int traceback(const Regs& r, uintptr_t lo, uintptr_t hi, Frame* out, int max);

// print_frames writes frames to fd 2, one line each:
//   "  #0 0x7f12... pthread_mutex_lock+0x1c (libgmp.so)", or, when no symbol
//   covers the address, "  #3 0x7f12... ?? (libc.so.6+0x2724a)".
// With elide, the runtime frames before the first program frame are cut to
// the last one (the hooked call the program made) and those after the last
// program frame are dropped (thread_main, the context trampoline).
void print_frames(const Frame* f, int n, bool elide);

// traceback_begin prepares a dump: loads libunwind once and installs the
// fault guard. traceback_end removes the guard. Only one thread dumps at a
// time (dump.cpp serializes).
void traceback_begin();
void traceback_end();

// traceback_have_unwinder: libunwind was found (else frame pointers only).
bool traceback_have_unwinder();

}  // namespace gmp
