// real.h — glibc's own implementations of the functions libgmp interposes.
//
// One table (real_symbols.def), resolved once with dlsym(RTLD_NEXT) — the
// definition that follows libgmp.so in the lookup order, i.e. glibc's. Calls
// made before resolution (a hook reached during early init) resolve on the
// spot. Nothing else in libgmp may call dlsym for a libc symbol.
#pragma once
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <sys/file.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <mqueue.h>
#include <sys/sendfile.h>
#include <netdb.h>
#include <fcntl.h>
#include <cstdlib>

#include "preload/real_io.h"  // types of the fd hooks' rows (real_symbols_io.def)

extern "C" int __libc_start_main(int (*main)(int, char**, char**), int argc, char** argv,
                                 void (*init)(), void (*fini)(), void (*rtld_fini)(), void* stack_end);

// The C cleanup-handler entry points; pthread.h declares them only for C.
// The fortified open forms are declared only under _FORTIFY_SOURCE.
extern "C" {
int __open_2(const char* path, int flags);
int __open64_2(const char* path, int flags);
int __openat_2(int dirfd, const char* path, int flags);
int __openat64_2(int dirfd, const char* path, int flags);
void __pthread_register_cancel(__pthread_unwind_buf_t* buf);
void __pthread_unregister_cancel(__pthread_unwind_buf_t* buf);
void __pthread_unwind_next(__pthread_unwind_buf_t* buf) __attribute__((__noreturn__));
// The fortified longjmp (bits/setjmp2.h declares it only under _FORTIFY_SOURCE).
void __longjmp_chk(struct __jmp_buf_tag env[1], int val) __attribute__((__noreturn__));
}

namespace gmp::real {

void resolve_all();

#define GMP_REAL(name)                                                 \
  extern decltype(&::name) name##_ptr;                                 \
  template <class... A>                                                \
  inline auto name(A... a) {                                           \
    if (__builtin_expect(name##_ptr == nullptr, 0)) resolve_all();     \
    return name##_ptr(a...);                                           \
  }
#include "preload/real_symbols.def"
#include "preload/real_symbols_io.def"
#include "preload/real_symbols_sig.def"
GMP_REAL(__libc_start_main)
#undef GMP_REAL

}  // namespace gmp::real
