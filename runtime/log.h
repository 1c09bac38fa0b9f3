// log.h — leveled logging (GMP_LOG, GMP_LOG_FILE) through spdlog, kept off
// the runtime's hot paths and out of its critical sections. See "Logging" in
// log.cpp for the protocol.
//
// Who may call what:
//   - GMP_LOGF (logf): any runtime code, on g0 or on a G, under runtime
//     locks, before or after start; it never allocates, never blocks and
//     takes no lock (it is even async-signal-safe, but signal handlers should
//     not log).
//   - log_sysmon_tick: sysmon only.
//   - log_drain: any thread except sysmon, outside runtime locks (it waits
//     for sysmon, boundedly).
//
// A problem that must be seen even if the process dies right after (the
// deadlock report, an unwritable stats file) is printed on stderr by the
// caller with rawlog: a record waits in a queue, and exit_group or a crash
// can come before sysmon writes it. Its copy in the log is logged at info,
// so that the default level (warn) on stderr does not say it twice.
#pragma once
#include <cstdarg>
#include <cstddef>
#include <cstdint>

namespace gmp {

// LogLevel: spdlog's order (trace = spdlog::level::trace ... error). GMP_LOG
// names them: trace, debug, info, warn, error, off.
enum LogLevel : int { kLogTrace = 0, kLogDebug, kLogInfo, kLogWarn, kLogError, kLogOff };

// kLogLevelNames[level] is the name GMP_LOG takes for level (kLogOff too).
extern const char* const kLogLevelNames[];

// log_level is the effective GMP_LOG level (options()).
int log_level();
// log_on reports whether records at level are kept.
inline bool log_on(int level) { return level >= log_level(); }

// kLogText is the most text one record holds (with its NUL).
constexpr size_t kLogText = 228;

// logf formats one record (rawfmt's subset of printf: %s %d %u %ld %lu %zu
// %x %p %c; at most kLogText bytes, longer text is cut) and queues it for
// sysmon. A full queue drops the record and counts it; the count is logged.
// Use GMP_LOGF so a disabled level costs one comparison.
void logf(int level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
#define GMP_LOGF(level, ...)                                    \
  do {                                                          \
    if (::gmp::log_on(level)) ::gmp::logf(level, __VA_ARGS__); \
  } while (0)

// log_sysmon_start tells the log that this process has a sysmon now; sysmon
// calls it first thing (a fork child starts one only when it needs it).
void log_sysmon_start();

// log_sysmon_tick hands every queued record of this process to spdlog, in
// the order they were made. Called by sysmon each tick (a plain kernel
// thread, never a G, holding no runtime lock): the only place spdlog runs.
void log_sysmon_tick();

// log_quiet reports whether no record was posted since the last
// log_sysmon_tick; sysmon checks it (after announcing that it sleeps) before
// its deep sleep, so a record posted meanwhile is not left for a minute.
bool log_quiet();

// log_drain returns once the records queued before the call are written:
// it wakes sysmon and waits for it (at most kLogDrainWaitMs). Without a
// sysmon in this process, or after that wait, it writes what is left itself,
// in the same format, with one raw write per line and no spdlog.
// Called at exit (an atexit handler from log_start) and by paths that are
// about to end the process. Never on sysmon.
void log_drain();
constexpr int kLogDrainWaitMs = 200;

// log_start opens the sink named by GMP_LOG_FILE (stderr by default; an
// unopenable file prints one line and falls back to stderr), registers the
// exit drain and logs the effective options. On M0 in runtime_start, before
// sysmon starts.
void log_start();

}  // namespace gmp
