// init.cpp — the preload's constructor.
//
// Init states: Uninit (library mapped, nothing resolved; hooks resolve real
// symbols on demand and pass through) -> Configured (this constructor: options
// read from environ without allocating, real symbols resolved) -> Running
// (hooks/start.cpp: runtime_start made the main thread M0 running G1; hooks
// now schedule Gs). There is no shutdown state: exit() runs with the
// scheduler alive, as native exit runs with the other threads alive.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cstring>

#include "preload/real.h"
#include "runtime/options.h"
#include "runtime/os.h"
#include "runtime/rawlog.h"

extern char** environ;

namespace {

// GMP_INHERIT=0: leaving the preload out of exec'd programs.
//
// exec, system, popen, posix_spawn and python's subprocess all hand the
// process environment (environ) to the new program, and ld.so preloads what
// its LD_PRELOAD says. So at start, before any program code runs, the
// constructor rewrites LD_PRELOAD without libgmp's own entries:
//   1. find libgmp's file: dladdr on a function of ours names the object as
//      ld.so loaded it; stat gives its device and inode;
//   2. split each LD_PRELOAD value as ld.so does (entries separated by
//      spaces or colons); an entry is ours if it names the same file (any
//      path to it, through symlinks too), or, without a '/', if it is the
//      base name ld.so found us under;
//   3. if some entry is ours, write the other entries, each with the
//      separator that preceded it, into g_env_arena and point the environ
//      slot at the copy; if none is left, take the variable out of environ
//      (later slots move down one).
// No allocation (the arena is static) and no write into the old string: it
// may be on the initial stack, in a setenv'd buffer, or in read-only memory
// handed to putenv. setenv and unsetenv work afterwards: glibc frees only
// the strings it allocated itself. The running process keeps libgmp; only
// programs it starts from now on are native.

// g_env_arena holds rewritten LD_PRELOAD strings; written once, by the
// constructor, before any other thread exists.
char g_env_arena[8192];
size_t g_env_used = 0;

bool is_sep(char c) { return c == ' ' || c == ':'; }

struct Self {
  dev_t dev;
  ino_t ino;
  const char* base;  // the base name of the path ld.so loaded us from
};

// is_self: the LD_PRELOAD entry [p, p+len) names libgmp (Self).
bool is_self(const char* p, size_t len, const Self& self) {
  char path[4096];
  if (len == 0 || len >= sizeof path) return false;
  memcpy(path, p, len);
  path[len] = 0;
  if (memchr(p, '/', len) == nullptr) return strcmp(path, self.base) == 0;
  struct stat st;
  return gmp::os::syscall6(SYS_newfstatat, AT_FDCWD, long(path), long(&st), 0) == 0 && st.st_dev == self.dev &&
         st.st_ino == self.ino;
}

// rewrite returns "LD_PRELOAD=" + value without libgmp's entries, in the
// arena; value itself when no entry is ours; nullptr when nothing is left.
// *full is set when the arena cannot hold the copy (value returned as is).
const char* rewrite(const char* var, const Self& self, bool* full) {
  const char* value = var + 11;
  size_t cap = sizeof g_env_arena - g_env_used;
  size_t need = strlen(var) + 1;
  char* out0 = g_env_arena + g_env_used;
  char* out = out0;
  *full = false;
  if (need <= cap) {
    memcpy(out, "LD_PRELOAD=", 11);
    out += 11;
  }
  char* first = out;
  bool removed = false;
  for (const char* p = value; *p;) {
    while (is_sep(*p)) p++;
    const char* start = p;
    while (*p && !is_sep(*p)) p++;
    size_t len = size_t(p - start);
    if (len == 0) break;
    if (is_self(start, len, self)) {
      removed = true;
      continue;
    }
    if (need > cap) continue;  // only looking for ours
    if (out != first) *out++ = start[-1];
    memcpy(out, start, len);
    out += len;
  }
  if (!removed) return var;
  if (need > cap) {
    *full = true;
    return var;
  }
  if (out == first) return nullptr;
  *out++ = 0;
  g_env_used += size_t(out - out0);
  return out0;
}

// drop_from_preload takes libgmp out of LD_PRELOAD in environ (see above).
void drop_from_preload() {
  Dl_info info;
  struct stat st;
  if (dladdr(reinterpret_cast<void*>(&drop_from_preload), &info) == 0 || info.dli_fname == nullptr ||
      gmp::os::syscall6(SYS_newfstatat, AT_FDCWD, long(info.dli_fname), long(&st), 0) != 0)
    return;
  const char* base = strrchr(info.dli_fname, '/');
  Self self{st.st_dev, st.st_ino, base ? base + 1 : info.dli_fname};
  // Every LD_PRELOAD in environ: ld.so reads the last one, getenv the first.
  for (char** e = environ; e && *e;) {
    if (strncmp(*e, "LD_PRELOAD=", 11) != 0) {
      e++;
      continue;
    }
    bool full;
    const char* v = rewrite(*e, self, &full);
    if (full) gmp::rawlog("libgmp: GMP_INHERIT=0: LD_PRELOAD is too long to rewrite; children keep libgmp\n");
    if (v == nullptr) {
      for (char** d = e; *d; d++) d[0] = d[1];
      continue;  // e now holds the next entry
    }
    *e++ = const_cast<char*>(v);
  }
}

__attribute__((constructor(101))) void gmp_preload_init() {
  gmp::options_init();
  gmp::real::resolve_all();
  if (!gmp::options().inherit) drop_from_preload();
}

}  // namespace
