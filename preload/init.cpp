// init.cpp — the preload's constructor.
//
// Init states: Uninit (library mapped, nothing resolved; hooks resolve real
// symbols on demand and pass through) -> Configured (this constructor: options
// read from environ without allocating, real symbols resolved) -> Running
// (hooks/start.cpp: runtime_start made the main thread M0 running G1; hooks
// now schedule Gs). There is no shutdown state: exit() runs with the
// scheduler alive, as native exit runs with the other threads alive.
#include "preload/real.h"
#include "runtime/options.h"

namespace {
__attribute__((constructor(101))) void gmp_preload_init() {
  gmp::options_init();
  gmp::real::resolve_all();
}
}  // namespace
