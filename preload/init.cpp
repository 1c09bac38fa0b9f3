// init.cpp — the preload's constructor.
//
// Init states: Uninit (library mapped, nothing resolved; hooks resolve real
// symbols on demand and pass through) -> Configured (this constructor: options
// read from environ without allocating, real symbols resolved) -> Running
// (hooks/start.cpp: runtime_start made the main thread M0 running G1; hooks
// now schedule Gs). There is no shutdown state: exit() runs with the
// scheduler alive, as native exit runs with the other threads alive.
#include <dlfcn.h>
#include <sys/stat.h>

#include <cstring>

#include "preload/real.h"
#include "runtime/options.h"

extern char** environ;

namespace {

// same_file: path names the object at (dev, ino).
bool same_file(const char* path, size_t len, dev_t dev, ino_t ino) {
  char buf[4096];
  if (len == 0 || len >= sizeof buf) return false;
  memcpy(buf, path, len);
  buf[len] = 0;
  struct stat st;
  return stat(buf, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

// drop_from_preload removes libgmp's own entries from LD_PRELOAD in place
// (GMP_INHERIT=0): the value only shrinks, so no allocation; an empty
// variable is taken out of environ.
void drop_from_preload() {
  Dl_info info;
  struct stat self;
  if (dladdr(reinterpret_cast<void*>(&drop_from_preload), &info) == 0 || info.dli_fname == nullptr ||
      stat(info.dli_fname, &self) != 0)
    return;
  for (char** e = environ; e && *e; e++) {
    if (strncmp(*e, "LD_PRELOAD=", 11) != 0) continue;
    char* v = *e + 11;
    char* out = v;
    // Entries are separated by spaces or colons (ld.so accepts both).
    for (char* p = v; *p;) {
      while (*p == ' ' || *p == ':') p++;
      char* start = p;
      while (*p && *p != ' ' && *p != ':') p++;
      size_t len = size_t(p - start);
      if (len == 0 || same_file(start, len, self.st_dev, self.st_ino)) continue;
      if (out != v) *out++ = ':';
      memmove(out, start, len);
      out += len;
    }
    *out = 0;
    if (out == v) {  // nothing left: remove the variable
      char** d = e;
      do d[0] = d[1]; while (*d++);
      e--;
    }
  }
}

__attribute__((constructor(101))) void gmp_preload_init() {
  gmp::options_init();
  gmp::real::resolve_all();
  if (!gmp::options().inherit) drop_from_preload();
}

}  // namespace
