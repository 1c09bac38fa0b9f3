// hooks/time.cpp — sleeps park the G on a timer of its P.
#include <cerrno>
#include <climits>

#include "hooks/hook.h"
#include "runtime/sleep.h"

using namespace gmp;

GMP_HOOK int nanosleep(const struct timespec* req, struct timespec* rem) {
  if (!green()) return real::nanosleep(req, rem);
  if (req->tv_nsec < 0 || req->tv_nsec >= 1000000000 || req->tv_sec < 0) {
    errno = EINVAL;
    return -1;
  }
  int64_t left = sleep_for(int64_t(req->tv_sec) * 1000000000 + req->tv_nsec);
  if (left > 0) {
    if (rem) *rem = timespec{time_t(left / 1000000000), long(left % 1000000000)};
    errno = EINTR;
    return -1;
  }
  return 0;
}

GMP_HOOK int clock_nanosleep(clockid_t clk, int flags, const struct timespec* req, struct timespec* rem) {
  if (!green() || (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME))
    return real::clock_nanosleep(clk, flags, req, rem);
  if (req->tv_nsec < 0 || req->tv_nsec >= 1000000000) return EINVAL;
  if (flags & TIMER_ABSTIME) return sleep_until(clk, req) ? EINTR : 0;
  if (req->tv_sec < 0) return EINVAL;
  int64_t left = sleep_for(int64_t(req->tv_sec) * 1000000000 + req->tv_nsec);
  if (left > 0) {
    if (rem) *rem = timespec{time_t(left / 1000000000), long(left % 1000000000)};
    return EINTR;
  }
  return 0;
}

GMP_HOOK unsigned int sleep(unsigned int seconds) {
  if (!green()) return real::sleep(seconds);
  int64_t left = sleep_for(int64_t(seconds) * 1000000000);
  if (left > 0) errno = EINTR;  // glibc's sleep is a nanosleep that failed
  return unsigned(left / 1000000000);  // whole seconds not slept, as glibc
}

GMP_HOOK int usleep(useconds_t us) {
  if (!green()) return real::usleep(us);
  if (sleep_for(int64_t(us) * 1000) > 0) {
    errno = EINTR;
    return -1;
  }
  return 0;
}
