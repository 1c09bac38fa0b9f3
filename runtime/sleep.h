// sleep.h — parking a G until a time (nanosleep and friends).
#pragma once
#include <cstdint>
#include <ctime>

namespace gmp {

// sleep_for parks the current G for ns nanoseconds (CLOCK_MONOTONIC).
void sleep_for(int64_t ns);
// sleep_until parks until clk reads *abs (an absolute time).
void sleep_until(clockid_t clk, const timespec* abs);

}  // namespace gmp
