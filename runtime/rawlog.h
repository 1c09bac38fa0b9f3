// rawlog.h — allocation-free logging for early, fatal and scheduler paths.
//
// rawlog formats into a fixed stack buffer and writes it to fd 2 with one raw
// write(2). It supports %s %d %u %ld %lu %lld %llu %x %lx %p %c and %%, which
// is all the runtime needs. Safe on g0, under runtime locks and in signal
// handlers; never calls malloc or a hooked function.
#pragma once
#include <cstdarg>
#include <cstddef>

namespace gmp {

void rawlog(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void vrawlog(const char* fmt, va_list ap);
// rawfmt formats into buf (always NUL-terminated); returns the length.
size_t rawfmt(char* buf, size_t cap, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
size_t vrawfmt(char* buf, size_t cap, const char* fmt, va_list ap);
// fatal prints "libgmp: fatal error: <msg>" and ends the process with status 2.
[[noreturn]] void fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace gmp

#define GMP_CHECK(cond)                                                        \
  do {                                                                         \
    if (__builtin_expect(!(cond), 0))                                          \
      ::gmp::fatal("check failed: %s (%s:%d)", #cond, __FILE__, __LINE__);     \
  } while (0)
