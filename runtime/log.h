// log.h — leveled logging (GMP_LOG, GMP_LOG_FILE) through spdlog, kept off
// the runtime's hot paths and out of its critical sections (see log.cpp).
#pragma once
#include <cstdarg>

namespace gmp {

// LogLevel: spdlog's order. GMP_LOG names them: trace, debug, info, warn,
// error, off.
enum LogLevel : int { kLogTrace = 0, kLogDebug, kLogInfo, kLogWarn, kLogError, kLogOff };

// log_level is the effective GMP_LOG level (options()).
int log_level();
inline bool log_on(int level) { return level >= log_level(); }

// logf formats one record into the log queue. It never allocates, never
// blocks and takes no lock, so any runtime code may call it outside a signal
// handler; spdlog sees the record later, on sysmon (log_drain). Use
// GMP_LOGF so a disabled level costs one comparison.
void logf(int level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
#define GMP_LOGF(level, ...)                       \
  do {                                             \
    if (::gmp::log_on(level)) ::gmp::logf(level, __VA_ARGS__); \
  } while (0)

// log_drain hands queued records to spdlog. Called by sysmon (a plain
// kernel thread, never a G, holding no runtime lock) and at exit.
void log_drain();

// log_start opens the sink named by GMP_LOG_FILE (stderr by default) and
// logs the start line; on M0 at runtime start.
void log_start();

}  // namespace gmp
