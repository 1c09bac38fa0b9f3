// options.cpp — see options.h. Keep this table and docs/configuration.md in step.
#include "runtime/options.h"

#include <cstring>
#include <strings.h>

#include <sys/resource.h>
#include <unistd.h>

#include <initializer_list>

#include "runtime/log.h"
#include "runtime/os.h"
#include "runtime/rawlog.h"

namespace gmp {

static Options g_options;

const Options& options() { return g_options; }

const char* const kOptionNames[] = {"GOMAXPROCS",    "GMP_STACK_SIZE", "GMP_MAX_THREADS",
                                    "GMP_LOCK_MAIN", "GMP_DEBUG",      "GMP_STATS",
                                    "GMP_TLS",       "GMP_INHERIT",    "GMP_LOG",
                                    "GMP_LOG_FILE",  nullptr};

bool parse_int(const char* s, int64_t lo, int64_t hi, int64_t* out) {
  if (!s || !*s) return false;
  bool neg = false;
  if (*s == '+' || *s == '-') neg = (*s++ == '-');
  if (!*s) return false;
  int64_t v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return false;
    if (v > (INT64_MAX - 9) / 10) return false;
    v = v * 10 + (*s - '0');
  }
  if (neg) v = -v;
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool parse_size(const char* s, size_t lo, size_t hi, size_t* out) {
  if (!s || !*s) return false;
  uint64_t v = 0;
  const char* p = s;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + (*p - '0');
  }
  if (p == s) return false;
  uint64_t mul = 1;
  switch (*p) {
    case 0: break;
    case 'k': case 'K': mul = 1ull << 10; p++; break;
    case 'm': case 'M': mul = 1ull << 20; p++; break;
    case 'g': case 'G': mul = 1ull << 30; p++; break;
    default: return false;
  }
  if (*p == 'i' || *p == 'I') p++;
  if (*p == 'b' || *p == 'B') p++;
  if (*p) return false;
  if (v > UINT64_MAX / mul) return false;
  v *= mul;
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool parse_bool(const char* s, bool* out) {
  if (!s) return false;
  auto eq = [](const char* a, const char* b) {
    for (; *a && *b; a++, b++)
      if ((*a | 32) != (*b | 32)) return false;
    return *a == *b;
  };
  for (const char* t : {"1", "true", "yes", "on"})
    if (eq(s, t)) return *out = true, true;
  for (const char* f : {"0", "false", "no", "off"})
    if (eq(s, f)) return *out = false, true;
  return false;
}

static bool str_eq(const char* a, const char* b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

bool parse_debug(const char* s, Options* o, const char** bad) {
  // items: key=value separated by commas; no allocation.
  while (*s) {
    const char* item = s;
    const char* eq = nullptr;
    const char* end = s;
    while (*end && *end != ',') {
      if (*end == '=' && !eq) eq = end;
      end++;
    }
    char val[32];
    size_t klen = eq ? size_t(eq - item) : size_t(end - item);
    size_t vlen = eq ? size_t(end - eq - 1) : 0;
    if (!eq || vlen == 0 || vlen >= sizeof val) {
      *bad = item;
      return false;
    }
    for (size_t i = 0; i < vlen; i++) val[i] = eq[1 + i];
    val[vlen] = 0;
    auto key_is = [&](const char* k) {
      size_t n = 0;
      while (k[n]) n++;
      if (n != klen) return false;
      for (size_t i = 0; i < n; i++)
        if (item[i] != k[i]) return false;
      return true;
    };
    int64_t v;
    if (key_is("schedtrace") && parse_int(val, 0, 3600000, &v)) {
      o->schedtrace_ms = int(v);
    } else if (key_is("scheddetail") && parse_int(val, 0, 1, &v)) {
      o->scheddetail = v != 0;
    } else if (key_is("dump") && parse_int(val, 0, 1, &v)) {
      o->dump_at_exit = v != 0;
    } else if (key_is("deadlock") && (val[0] == 'e' ? str_eq(val, "exit") : parse_int(val, 0, 1, &v))) {
      o->deadlock = val[0] == 'e' ? kDeadlockExit : int(v);
    } else if (key_is("options") && parse_int(val, 0, 1, &v)) {
      o->print_options = v != 0;
    } else {
      *bad = item;
      return false;
    }
    s = *end ? end + 1 : end;
  }
  return true;
}

int cgroup_cpu_limit(const char* line) {
  int64_t quota = 0, period = 0;
  const char* p = line;
  if (p[0] == 'm' && p[1] == 'a' && p[2] == 'x') return 0;
  while (*p >= '0' && *p <= '9') quota = quota * 10 + (*p++ - '0');
  if (*p != ' ') return 0;
  p++;
  while (*p >= '0' && *p <= '9') period = period * 10 + (*p++ - '0');
  if (quota <= 0 || period <= 0) return 0;
  return int((quota + period - 1) / period);
}

int default_procs() {
  int n = os::sched_getaffinity_count();
  // cgroup v2: /proc/self/cgroup is "0::/path"; the limit is in cpu.max of
  // that directory under /sys/fs/cgroup.
  char cg[512], path[700], line[128];
  int fd = os::open_rdonly("/proc/self/cgroup");
  if (fd >= 0) {
    long len = os::read(fd, cg, sizeof cg - 1);
    os::close(fd);
    if (len > 3 && cg[0] == '0' && cg[1] == ':' && cg[2] == ':') {
      cg[len] = 0;
      char* rel = cg + 3;
      for (char* c = rel; *c; c++)
        if (*c == '\n') *c = 0;
      rawfmt(path, sizeof path, "/sys/fs/cgroup%s/cpu.max", rel);
      fd = os::open_rdonly(path);
      if (fd >= 0) {
        long l = os::read(fd, line, sizeof line - 1);
        os::close(fd);
        if (l > 0) {
          line[l] = 0;
          int lim = cgroup_cpu_limit(line);
          if (lim > 0 && lim < n) n = lim;
        }
      }
    }
  }
  return n < 1 ? 1 : n;
}

static size_t native_stack_size() {
  // glibc's default thread stack: RLIMIT_STACK, or 2 MiB when unlimited
  // (ARCH_STACK_DEFAULT_SIZE on x86_64), never below 16 KiB.
  rlimit rl;
  if (getrlimit(RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 2 << 20;
  size_t s = rl.rlim_cur;
  if (s < (16 << 10)) s = 16 << 10;
  return (s + 4095) & ~size_t(4095);
}

// abs_path makes a path (GMP_STATS, GMP_LOG_FILE) absolute against the
// starting directory, so a program that changes directory still writes where
// the user pointed.
static bool abs_path(const char* v, char* out, size_t cap) {
  size_t n = 0;
  if (v[0] != '/') {
    if (getcwd(out, cap) == nullptr) return false;
    while (out[n]) n++;
    if (n + 1 >= cap) return false;
    if (n == 0 || out[n - 1] != '/') out[n++] = '/';
  }
  for (; *v; v++) {
    if (n + 1 >= cap) return false;
    out[n++] = *v;
  }
  out[n] = 0;
  return true;
}

// print_options (GMP_DEBUG=options=1) prints the effective table, one line
// per option, in the form the environment takes.
static void print_options(const Options& o) {
  static const char* const kDeadlock[] = {"0", "1", "exit"};
  rawlog("libgmp: GOMAXPROCS=%d\n", o.gomaxprocs);
  rawlog("libgmp: GMP_STACK_SIZE=%lu\n", (unsigned long)o.stack_size);
  rawlog("libgmp: GMP_MAX_THREADS=%ld\n", (long)o.max_threads);
  rawlog("libgmp: GMP_LOCK_MAIN=%d\n", o.lock_main ? 1 : 0);
  rawlog("libgmp: GMP_INHERIT=%d\n", o.inherit ? 1 : 0);
  rawlog("libgmp: GMP_DEBUG=schedtrace=%d,scheddetail=%d,dump=%d,deadlock=%s,options=1\n",
         o.schedtrace_ms, o.scheddetail ? 1 : 0, o.dump_at_exit ? 1 : 0, kDeadlock[o.deadlock]);
  rawlog("libgmp: GMP_STATS=%s\n", o.stats_file);
  rawlog("libgmp: GMP_LOG=%s\n", kLogLevelNames[o.log_level]);
  rawlog("libgmp: GMP_LOG_FILE=%s\n", o.log_file);
}

static void warn_bad(const char* name, const char* value, const char* what) {
  rawlog("libgmp: ignoring %s=%s (%s); using the default\n", name, value, what);
}

void options_init() {
  Options& o = g_options;
  o.gomaxprocs = default_procs();
  o.stack_size = native_stack_size();
  o.max_threads = 10000;
  o.lock_main = true;
  o.tls = true;
  o.inherit = true;
  o.log_level = kLogWarn;
  o.log_file[0] = 0;
  o.schedtrace_ms = 0;
  o.scheddetail = false;
  o.dump_at_exit = false;
  o.deadlock = kDeadlockReport;
  o.print_options = false;
  o.stats_file[0] = 0;

  if (const char* v = os::getenv_raw("GOMAXPROCS")) {
    int64_t n;
    if (parse_int(v, 1, 1024, &n))
      o.gomaxprocs = int(n);
    else
      rawlog("libgmp: ignoring GOMAXPROCS=%s (want an integer from 1 to 1024); using %d\n", v,
             o.gomaxprocs);
  }
  if (const char* v = os::getenv_raw("GMP_STACK_SIZE")) {
    size_t n;
    if (parse_size(v, 16 << 10, size_t(1) << 32, &n))
      o.stack_size = (n + 4095) & ~size_t(4095);
    else
      warn_bad("GMP_STACK_SIZE", v, "want a size from 16K to 4G, e.g. 256K or 8M");
  }
  if (const char* v = os::getenv_raw("GMP_MAX_THREADS")) {
    int64_t n;
    if (parse_int(v, 4, 1000000, &n))
      o.max_threads = n;
    else
      warn_bad("GMP_MAX_THREADS", v, "want an integer from 4 to 1000000");
  }
  if (const char* v = os::getenv_raw("GMP_DEBUG")) {
    Options tmp = o;
    const char* bad = nullptr;
    if (parse_debug(v, &tmp, &bad))
      o = tmp;
    else
      rawlog("libgmp: ignoring GMP_DEBUG=%s (cannot use \"%s\"; want key=value items among "
             "schedtrace=MS, scheddetail=0/1, dump=0/1, deadlock=0/1/exit, options=0/1)\n",
             v, bad);
  }
  if (const char* v = os::getenv_raw("GMP_STATS")) {
    if (*v && !abs_path(v, o.stats_file, sizeof o.stats_file)) {
      o.stats_file[0] = 0;
      warn_bad("GMP_STATS", v, "want a path shorter than 4096 bytes, relative ones from a readable directory");
    }
  }
  if (const char* v = os::getenv_raw("GMP_TLS")) {
    bool b;
    if (parse_bool(v, &b))
      o.tls = b;
    else
      warn_bad("GMP_TLS", v, "want 1/0, true/false, yes/no or on/off");
  }
  if (const char* v = os::getenv_raw("GMP_LOCK_MAIN")) {
    bool b;
    if (parse_bool(v, &b))
      o.lock_main = b;
    else
      warn_bad("GMP_LOCK_MAIN", v, "want 1/0, true/false, yes/no or on/off");
  }
  if (const char* v = os::getenv_raw("GMP_LOG")) {
    int found = -1;
    for (int i = kLogTrace; i <= kLogOff; i++)
      if (strcasecmp(v, kLogLevelNames[i]) == 0) found = i;
    if (found >= 0)
      o.log_level = found;
    else
      warn_bad("GMP_LOG", v, "want off, error, warn, info, debug or trace");
  }
  if (const char* v = os::getenv_raw("GMP_LOG_FILE")) {
    if (*v && !abs_path(v, o.log_file, sizeof o.log_file)) {
      o.log_file[0] = 0;
      warn_bad("GMP_LOG_FILE", v, "want a path shorter than 4096 bytes, relative ones from a readable directory");
    }
  }
  if (const char* v = os::getenv_raw("GMP_INHERIT")) {
    bool b;
    if (parse_bool(v, &b))
      o.inherit = b;
    else
      warn_bad("GMP_INHERIT", v, "want 1/0, true/false, yes/no or on/off");
  }
  if (o.print_options) print_options(o);
}

}  // namespace gmp
