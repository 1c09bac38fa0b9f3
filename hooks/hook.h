// hook.h — what every hook file needs.
//
// A hook is thin: a guard (is the runtime up, is the caller a G?), one call
// into the runtime, and the exact return value and errno glibc would give.
// Scheduling logic never lives here.
#pragma once
#include "preload/real.h"
#include "runtime/sched.h"

// GMP_HOOK marks a function libgmp.so exports in place of glibc's. Every name
// must also appear in preload/exports.map (a test checks both ways).
#define GMP_HOOK extern "C" __attribute__((visibility("default")))

namespace gmp {
// green: the caller is a G of a running runtime, so it may park.
inline bool green() { return runtime_started() && on_g(); }
}  // namespace gmp
