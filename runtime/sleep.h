// sleep.h — sleeps that park the G on its own timer.
//
// Sleeps are cancellation points and are interrupted by a signal handler,
// as natively: the handlers run, then the sleep returns what is left (the
// nanosleep family is never restarted, whatever SA_RESTART says).
#pragma once
#include <cstdint>
#include <ctime>

namespace gmp {

// sleep_for sleeps ns; returns 0, or the ns left when a handler interrupted it.
int64_t sleep_for(int64_t ns);
// sleep_until sleeps until abs on clk; returns true if a handler interrupted it.
bool sleep_until(clockid_t clk, const timespec* abs);

}  // namespace gmp
