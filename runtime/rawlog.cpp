// rawlog.cpp — see rawlog.h.
#include "runtime/rawlog.h"

#include <cstdint>

#include "runtime/os.h"

namespace gmp {

namespace {
struct Out {
  char* buf;
  size_t cap, len;
  void put(char c) {
    if (len + 1 < cap) buf[len] = c;
    len++;
  }
  void str(const char* s) {
    if (!s) s = "(null)";
    while (*s) put(*s++);
  }
  void num(unsigned long long v, unsigned base, bool neg, int width = 0) {
    char tmp[32];
    int n = 0;
    do {
      tmp[n++] = "0123456789abcdef"[v % base];
      v /= base;
    } while (v);
    if (neg) put('-');
    for (int i = n; i < width; i++) put('0');
    while (n) put(tmp[--n]);
  }
};
}  // namespace

size_t vrawfmt(char* buf, size_t cap, const char* fmt, va_list ap) {
  Out o{buf, cap, 0};
  for (const char* f = fmt; *f; f++) {
    if (*f != '%') {
      o.put(*f);
      continue;
    }
    f++;
    int width = 0;
    while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
    int longs = 0;
    while (*f == 'l') {
      longs++;
      f++;
    }
    if (*f == 'z') {
      longs = 1;
      f++;
    }
    switch (*f) {
      case 'd': {
        long long v = longs ? va_arg(ap, long long) : va_arg(ap, int);
        o.num(v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, 10, v < 0, width);
        break;
      }
      case 'u':
        o.num(longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned), 10, false, width);
        break;
      case 'x':
        o.num(longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned), 16, false, width);
        break;
      case 'p':
        o.str("0x");
        o.num((uintptr_t)va_arg(ap, void*), 16, false);
        break;
      case 's': o.str(va_arg(ap, const char*)); break;
      case 'c': o.put((char)va_arg(ap, int)); break;
      case '%': o.put('%'); break;
      default: o.put('?'); break;
    }
  }
  if (cap) buf[o.len < cap ? o.len : cap - 1] = 0;
  return o.len < cap ? o.len : cap - 1;
}

size_t rawfmt(char* buf, size_t cap, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = vrawfmt(buf, cap, fmt, ap);
  va_end(ap);
  return n;
}

void vrawlog(const char* fmt, va_list ap) {
  char buf[1024];
  size_t n = vrawfmt(buf, sizeof buf, fmt, ap);
  os::write(2, buf, n);
}

void rawlog(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vrawlog(fmt, ap);
  va_end(ap);
}

void fatal(const char* fmt, ...) {
  char buf[1024];
  size_t n = rawfmt(buf, sizeof buf, "libgmp: fatal error: ");
  va_list ap;
  va_start(ap, fmt);
  n += vrawfmt(buf + n, sizeof buf - n - 1, fmt, ap);
  va_end(ap);
  buf[n++] = '\n';
  os::write(2, buf, n);
  os::exit_group(2);
}

}  // namespace gmp
