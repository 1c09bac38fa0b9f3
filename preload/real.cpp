// real.cpp — see real.h.
#include "preload/real.h"

#include <dlfcn.h>

#include "runtime/rawlog.h"

namespace gmp::real {

#define GMP_REAL(name) decltype(&::name) name##_ptr = nullptr;
#include "preload/real_symbols.def"
#include "preload/real_symbols_io.def"
#include "preload/real_symbols_sig.def"
GMP_REAL(__libc_start_main)
#undef GMP_REAL

void resolve_all() {
#define GMP_REAL(name)                                                          \
  if (name##_ptr == nullptr) {                                                  \
    void* p = dlsym(RTLD_NEXT, #name);                                          \
    if (p == nullptr) fatal("libc symbol %s not found: %s", #name, dlerror());  \
    name##_ptr = reinterpret_cast<decltype(&::name)>(p);                        \
  }
#include "preload/real_symbols.def"
#include "preload/real_symbols_io.def"
#include "preload/real_symbols_sig.def"
  GMP_REAL(__libc_start_main)
#undef GMP_REAL
}

}  // namespace gmp::real
