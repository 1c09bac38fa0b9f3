// hooks/start.cpp — main() runs as G1.
//
// The program's _start calls __libc_start_main(main, ...). We pass glibc our
// own main, which turns the original thread into M0 running G1 (keeping its
// stack and TCB, so what constructors captured stays right), then calls the
// program's main as G1. Returning from it returns to glibc, which calls exit:
// the same path as native.
#include "hooks/hook.h"
#include "runtime/thread.h"

using namespace gmp;

namespace {
int (*g_user_main)(int, char**, char**);

int gmp_main(int argc, char** argv, char** envp) {
  runtime_start();
  set_main_handle(real::pthread_self(), getg());
  return thread_run_main(g_user_main, argc, argv, envp);
}
}  // namespace

GMP_HOOK int __libc_start_main(int (*main)(int, char**, char**), int argc, char** argv, void (*init)(),
                               void (*fini)(), void (*rtld_fini)(), void* stack_end) {
  g_user_main = main;
  return real::__libc_start_main(gmp_main, argc, argv, init, fini, rtld_fini, stack_end);
}
