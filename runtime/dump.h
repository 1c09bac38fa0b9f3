// dump.h — print every G: on SIGQUIT, at exit (GMP_DEBUG=dump=1) and with
// the deadlock report.
#pragma once
#include <ucontext.h>

namespace gmp {

struct G;

enum class DumpWhy { kSigquit, kExit, kDeadlock };

// dump_all writes every live G to stderr, Go-style:
//
//   G12 [waiting mutex, 3 s]: m=-1
//     #0 0x7f... pthread_mutex_lock+0x1c (libgmp.so)
//     #1 0x55... worker+0x2a (server)
//
// cur is the G running on this thread (or null), uc the registers it was
// interrupted with (SIGQUIT) or null (then they are taken here). Runs on a
// dedicated stack; takes no runtime lock; one dump at a time.
void dump_all(DumpWhy why, G* cur, const ucontext_t* uc = nullptr);

// dump_start installs the SIGQUIT handler if the program left SIGQUIT at its
// default disposition, and the exit dump if GMP_DEBUG=dump=1. Called once by
// runtime_start.
void dump_start();

}  // namespace gmp
