// options.h — the one table of user-facing settings.
//
// Every knob is read once, from the environment, in the preload constructor,
// without allocating (os::getenv_raw scans environ). A bad value prints one
// line naming the variable, the value and the default used, then the default
// applies. docs/configuration.md documents every row; a test checks that.
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

// parse_debug parses a GMP_DEBUG value into o; returns false (and names the
// bad item in *bad, a pointer into s) at the first item it does not accept.
bool parse_debug(const char* s, Options* o, const char** bad);

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

// Names of every option in the table (nullptr-terminated), for the doc test.
extern const char* const kOptionNames[];

}  // namespace gmp
