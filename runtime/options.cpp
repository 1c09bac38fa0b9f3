// options.cpp — see options.h. Keep this table and docs/configuration.md in step.
#include "runtime/options.h"

#include <cstring>
#include <strings.h>

#include <dlfcn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

const char* const kDebugKeys[] = {"schedtrace", "scheddetail", "dump", "deadlock", "options", nullptr};

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

int parse_debug(const char* s, Options* o, DebugError* errs, int max) {
  // items: key[=value] separated by commas; no allocation.
  int nbad = 0;
  auto bad = [&](const char* item, size_t len, const char* why) {
    if (nbad < max) errs[nbad] = DebugError{item, len, why};
    nbad++;
  };
  while (*s) {
    const char* item = s;
    const char* eq = nullptr;
    const char* end = s;
    while (*end && *end != ',') {
      if (*end == '=' && !eq) eq = end;
      end++;
    }
    s = *end ? end + 1 : end;
    size_t ilen = size_t(end - item);
    if (ilen == 0) continue;  // "a,,b" or a trailing comma: nothing to apply
    size_t klen = eq ? size_t(eq - item) : ilen;
    // A bare key means key=1 (GODEBUG takes only key=value; a switch named
    // alone is what people type).
    char val[32] = "1";
    if (eq) {
      size_t vlen = size_t(end - eq - 1);
      if (vlen == 0 || vlen >= sizeof val) {
        bad(item, ilen, vlen == 0 ? "empty value" : "value too long");
        continue;
      }
      for (size_t i = 0; i < vlen; i++) val[i] = eq[1 + i];
      val[vlen] = 0;
    }
    auto key_is = [&](const char* k) {
      size_t n = 0;
      while (k[n]) n++;
      if (n != klen) return false;
      for (size_t i = 0; i < n; i++)
        if (item[i] != k[i]) return false;
      return true;
    };
    int64_t v;
    if (key_is("schedtrace")) {
      if (!eq)
        bad(item, ilen, "schedtrace needs a period: schedtrace=MS");
      else if (parse_int(val, 0, 3600000, &v))
        o->schedtrace_ms = int(v);
      else
        bad(item, ilen, "want milliseconds from 0 to 3600000");
    } else if (key_is("scheddetail") || key_is("dump") || key_is("options")) {
      if (!parse_int(val, 0, 1, &v)) {
        bad(item, ilen, "want 0 or 1");
      } else {
        bool* b = key_is("scheddetail") ? &o->scheddetail : key_is("dump") ? &o->dump_at_exit : &o->print_options;
        *b = v != 0;
      }
    } else if (key_is("deadlock")) {
      if (str_eq(val, "exit"))
        o->deadlock = kDeadlockExit;
      else if (parse_int(val, 0, 1, &v))
        o->deadlock = int(v);
      else
        bad(item, ilen, "want 0, 1 or exit");
    } else {
      bad(item, ilen, "unknown key");
    }
  }
  return nbad;
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

size_t format_options(const Options& o, char* buf, size_t cap) {
  static const char* const kDeadlock[] = {"0", "1", "exit"};
  size_t n = 0;
  auto add = [&](const char* fmt, auto... a) { n += rawfmt(buf + n, cap - n, fmt, a...); };
  add("libgmp: GOMAXPROCS=%d\n", o.gomaxprocs);
  add("libgmp: GMP_STACK_SIZE=%lu\n", (unsigned long)o.stack_size);
  add("libgmp: GMP_MAX_THREADS=%ld\n", (long)o.max_threads);
  add("libgmp: GMP_LOCK_MAIN=%d\n", o.lock_main ? 1 : 0);
  add("libgmp: GMP_TLS=%d\n", o.tls ? 1 : 0);
  add("libgmp: GMP_INHERIT=%d\n", o.inherit ? 1 : 0);
  add("libgmp: GMP_DEBUG=schedtrace=%d,scheddetail=%d,dump=%d,deadlock=%s,options=%d\n", o.schedtrace_ms,
      o.scheddetail ? 1 : 0, o.dump_at_exit ? 1 : 0, kDeadlock[o.deadlock], o.print_options ? 1 : 0);
  add("libgmp: GMP_STATS=%s\n", o.stats_file);
  add("libgmp: GMP_LOG=%s\n", kLogLevelNames[o.log_level]);
  add("libgmp: GMP_LOG_FILE=%s\n", o.log_file);
  return n;
}

// print_options (GMP_DEBUG=options=1) prints the effective table, one line
// per option, in the form the environment takes.
static void print_options(const Options& o) {
  char buf[2 * 4096 + 1024];
  size_t n = format_options(o, buf, sizeof buf);
  os::write(2, buf, n);
}

// --- warnings, once per process tree -----------------------------------------
// A bad value is usually inherited: every program a preloaded shell script
// runs would print the same warning again. A process stays quiet about
// NAME=VALUE when its parent runs this same libgmp.so (its memory maps show
// our file's device and inode) and started with NAME=VALUE in its
// environment (/proc/PPID/environ is the block the parent parsed at its
// start): the parent printed the warning. Whatever cannot be read (another
// user's process, a parent that already exited) means "not seen": warn.
namespace {

// ProcStream reads a /proc file in pieces into a fixed buffer.
struct ProcStream {
  int fd;
  char buf[4096];
  long len = 0, pos = 0;
  explicit ProcStream(const char* path) : fd(os::open_rdonly(path)) {}
  ~ProcStream() {
    if (fd >= 0) os::close(fd);
  }
  int next() {  // the next byte, or -1 at the end
    if (pos == len) {
      if (fd < 0) return -1;
      len = os::read(fd, buf, sizeof buf);
      pos = 0;
      if (len <= 0) return len = 0, -1;
    }
    return (unsigned char)buf[pos++];
  }
};

// stream_has_entry: the NUL- or newline-separated stream has a record equal
// to want (sep 0), or containing want (sep '\n').
bool stream_has(ProcStream& ps, const char* want, char sep) {
  size_t wlen = strlen(want);
  size_t k = 0;        // chars of want matched at the current place
  bool alive = true;   // sep 0: this record still matches want's prefix
  for (int c; (c = ps.next()) >= 0;) {
    if (sep == 0) {
      if (c == 0) {
        if (alive && k == wlen) return true;
        k = 0, alive = true;
      } else if (alive) {
        if (k < wlen && char(c) == want[k])
          k++;
        else
          alive = false;
      }
    } else {
      if (c == '\n') {
        k = 0;
        continue;
      }
      // Substring search; want (" MAJ:MIN INODE ") has no repeated prefix
      // that could make the naive restart miss a match starting at ' '.
      if (char(c) == want[k]) {
        if (++k == wlen) return true;
      } else {
        k = char(c) == want[0] ? 1 : 0;
      }
    }
  }
  return false;
}

bool parent_warned(const char* name, const char* value) {
  pid_t pp = getppid();
  if (pp <= 1) return false;
  Dl_info info;
  struct stat st;
  if (dladdr(reinterpret_cast<void*>(&options_init), &info) == 0 || info.dli_fname == nullptr ||
      stat(info.dli_fname, &st) != 0)
    return false;
  char path[64], want[4096 + 64];
  rawfmt(path, sizeof path, "/proc/%d/environ", int(pp));
  rawfmt(want, sizeof want, "%s=%s", name, value);
  {
    ProcStream env(path);
    if (env.fd < 0 || !stream_has(env, want, 0)) return false;
  }
  rawfmt(path, sizeof path, "/proc/%d/maps", int(pp));
  rawfmt(want, sizeof want, " %02x:%02x %lu ", major(st.st_dev), minor(st.st_dev), (unsigned long)st.st_ino);
  ProcStream maps(path);
  return maps.fd >= 0 && stream_has(maps, want, '\n');
}

}  // namespace

static void warn_bad(const char* name, const char* value, const char* what) {
  if (parent_warned(name, value)) return;
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
    else if (!parent_warned("GOMAXPROCS", v))
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
    // The good items apply; each bad one is one line, naming the item and
    // the whole variable.
    DebugError errs[8];
    int nbad = parse_debug(v, &o, errs, 8);
    if (nbad > 0 && !parent_warned("GMP_DEBUG", v)) {
      for (int i = 0; i < nbad && i < 8; i++) {
        char item[128];
        size_t n = errs[i].len < sizeof item - 1 ? errs[i].len : sizeof item - 1;
        memcpy(item, errs[i].item, n);
        item[n] = 0;
        rawlog("libgmp: GMP_DEBUG=%s: ignoring \"%s\" (%s); any other items apply (keys: "
               "schedtrace=MS, scheddetail=0/1, dump=0/1, deadlock=0/1/exit, options=0/1; a bare "
               "key means key=1)\n",
               v, item, errs[i].why);
      }
      if (nbad > 8) rawlog("libgmp: GMP_DEBUG=%s: %d more bad items ignored\n", v, nbad - 8);
    }
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
