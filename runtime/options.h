// options.h — the one table of user-facing settings.
//
// Every knob is read once, from the environment, in the preload constructor,
// without allocating (os::getenv_raw scans environ). A bad value prints one
// line naming the variable, the value and the default used, then the default
// applies; a child exec'd by a libgmp process that started with the same bad
// value stays quiet (options.cpp, "warnings, once per process tree"). docs/configuration.md documents every row; a test checks that.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gmp {

struct Options {
  int gomaxprocs;          // GOMAXPROCS: Ps that run Gs at once
  size_t stack_size;       // GMP_STACK_SIZE: default G stack, bytes
  int64_t max_threads;     // GMP_MAX_THREADS: cap on kernel threads (Ms)
  bool lock_main;          // GMP_LOCK_MAIN: G1 stays on the original thread
  bool tls;                // GMP_TLS: each G owns a TLS block (tls.h)
  bool inherit;            // GMP_INHERIT: exec'd programs keep the preload
  int log_level;           // GMP_LOG: LogLevel (log.h); warn by default
  // GMP_LOG_FILE: where the log goes (appended); made absolute against the
  // starting directory, as GMP_STATS. Empty: stderr.
  char log_file[4096];
  // GMP_DEBUG=key=value,...: Go's GODEBUG conventions.
  int schedtrace_ms;       // schedtrace=MS: a SCHED line every MS ms (0 = off)
  bool scheddetail;        // scheddetail=1: per-P/M/G lines with each trace
  bool dump_at_exit;       // dump=1: print every G when the process exits
  int deadlock;            // deadlock=0|1|exit: DeadlockMode
  bool print_options;      // options=1: print the effective table at start
  // GMP_STATS=FILE: counters as JSON at exit. Empty: off. A relative path is
  // made absolute against the starting directory; "%p" becomes the pid.
  char stats_file[4096];
};

// DeadlockMode: what the deadlock detector (deadlock.cpp) does.
enum DeadlockMode : int {
  kDeadlockOff = 0,     // deadlock=0: never look
  kDeadlockReport = 1,  // deadlock=1 (default): report once, keep waiting
  kDeadlockExit = 2,    // deadlock=exit: report, then exit with status 2
};

// parse_debug applies a GMP_DEBUG value to o: comma-separated key=value
// items; a bare key means key=1 (not for schedtrace, which needs a period);
// empty items are skipped. Every good item applies even when others are bad.
// Returns the number of bad items and describes the first max of them in
// errs (item points into s, len is its length, why says what is wrong).
struct DebugError {
  const char* item;
  size_t len;
  const char* why;
};
int parse_debug(const char* s, Options* o, DebugError* errs, int max);

// options() is valid after options_init(); read-only afterwards.
const Options& options();
void options_init();

// Parsing helpers, exposed for unit tests. They return false on a bad value.
bool parse_int(const char* s, int64_t lo, int64_t hi, int64_t* out);
bool parse_size(const char* s, size_t lo, size_t hi, size_t* out);
bool parse_bool(const char* s, bool* out);

// default_procs computes GOMAXPROCS's default: CPUs in the affinity mask,
// lowered to ceil(quota/period) of a cgroup v2 cpu.max limit (never below 1).
int default_procs();
// cgroup_cpu_limit parses a cpu.max line ("max 100000" or "150000 100000");
// returns 0 when there is no limit, else ceil(quota/period).
int cgroup_cpu_limit(const char* cpu_max_line);

// Names of every option in the table and of every GMP_DEBUG key
// (nullptr-terminated). A test checks that options.cpp reads exactly these
// variables, that docs/configuration.md documents exactly these, and that
// format_options prints every one.
extern const char* const kOptionNames[];
extern const char* const kDebugKeys[];

// format_options writes the effective table (GMP_DEBUG=options), one
// "libgmp: NAME=VALUE" line per option, into buf; returns the length.
size_t format_options(const Options& o, char* buf, size_t cap);

}  // namespace gmp
