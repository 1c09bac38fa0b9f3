// log.cpp — GMP_LOG / GMP_LOG_FILE: the runtime's log, through spdlog.
//
// Logging
//
// The runtime wants to log from places where spdlog must not run: under
// sched.lock, on g0 between two Gs, in a hook on a G's stack. spdlog
// allocates, formats with fmt, reads the time zone under glibc's lock and
// may take its own locks. So logging is split in two halves that share only
// a fixed array of slots:
//   - producers (logf) format the text into a slot with rawfmt and publish
//     it: no allocation, no lock, no call into libc;
//   - one consumer, sysmon (log_sysmon_tick), which never runs program code
//     and holds no runtime lock there, hands published slots to spdlog.
// At exit, log_drain makes sysmon finish the queue before the process goes.
//
// Rejected:
//   - A sequence-numbered ring (Vyukov's: claim a position with a CAS on the
//     head, publish by storing the slot's sequence). The consumer must stop
//     at the first claimed but unpublished slot, and after fork() a producer
//     that was between claim and publish in another thread no longer exists:
//     the child's log would stall for good. Here a dead claim costs one slot.
//   - Deferred formatting (a format id and integer arguments, formatted by
//     sysmon). Cheaper for the producer, but %s arguments (paths, names)
//     need not outlive the call, and the events logged are rare (an M
//     created, a rate-limited retake): formatting ~100 bytes with rawfmt is
//     not what costs.
//   - Writing from the producer with one raw write (as rawlog does): a
//     system call per line on scheduler paths. rawlog stays for problems
//     that must reach stderr now (log.h) and for fatal errors.
//
// A slot's state word is (pid << 32) | phase; pid is the process that
// claimed it (see Fork below). Phases, and who owns the slot in each:
//   Free    — nobody; any producer may claim it (state is 0);
//   Writing — the producer that claimed it, which fills it;
//   Ready   — published; the consumer may take it;
//   Taken   — the consumer (sysmon, or log_drain's fallback) writing it out.
//
// Protocol:
//   1. A producer takes a stamp (g_stamp.fetch_add: the records' order) and
//      looks for a Free slot from stamp % kSlots on; it claims one with a CAS
//      Free -> Writing|pid (acquire: pairs with the consumer's release store
//      of Free, so the consumer has finished reading the old text). No Free
//      slot: the record is dropped and g_dropped counts it.
//   2. It fills level, time, stamp and text, stores Ready|pid (release), and
//      bumps g_posted (seq_cst), the consumer's hint that there is work.
//   3. It wakes sysmon if sysmon sleeps deeply (sysmon_wake; every P idle),
//      or at once from any sleep for info and above (sysmon_kick): those are
//      rare, and what a process about to exit wants in its log file. (The
//      increment of g_posted and sysmon_wake's load of g_sysmon_waiting are
//      seq_cst, and so are sysmon's store of that flag and its load of
//      g_posted in log_quiet before the deep sleep: either the producer
//      wakes sysmon or sysmon sees the record.)
//   4. The consumer scans the slots when g_posted moved since its last scan
//      (it reads g_posted first, so a record published during the scan
//      makes the next tick scan again). It collects the Ready|ours slots
//      (acquire), sorts them by stamp, takes each with a CAS Ready -> Taken
//      (log_drain's fallback may race for the same slot), writes it and
//      stores Free (release).
//
// Fork. The child is a copy: slots the parent had published (the parent
// writes those itself), and slots that a thread of the parent was filling
// (that thread does not exist in the child). The child's sysmon sees a pid
// that is not its own in a slot and frees it. It also notices that the pid
// changed (g_pid) and builds a new spdlog logger: the parent's sysmon may
// have been inside the old one at the fork. A child starts its sysmon only
// when it first needs one; until then log_drain (at exit) writes the child's
// records itself (g_consumer_pid). The log fd is shared with the parent
// (O_APPEND: lines do not overwrite each other); exec closes it.
//
// The sink is an fd libgmp opened itself (spdlog's file sink creates missing
// directories, which a typo in GMP_LOG_FILE should not do, and buffers
// through stdio). A program may close it, or close it and get the number
// back for one of its own files (daemons close every fd): before each batch
// sysmon checks that the fd is still the file it opened (fstat: device and
// inode) and otherwise opens the path again, so log lines never land in the
// program's files. The fd is kept at a high number (kLogFdMin), so that a
// program reusing low numbers rarely meets it at all.
#include "runtime/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>

#include "runtime/options.h"
#include "runtime/os.h"
#include "runtime/rawlog.h"
#include "runtime/sched_internal.h"

#ifndef GMP_VERSION  // set by CMake for libgmp.so; not for the unit tests
#define GMP_VERSION "unknown"
#endif

namespace gmp {

const char* const kLogLevelNames[] = {"trace", "debug", "info", "warn", "error", "off"};

namespace {

constexpr uint32_t kSlots = 256;

// Phases of a slot (the low bits of its state word); see "Logging" above.
constexpr uint64_t kFree = 0, kWriting = 1, kReady = 2, kTaken = 3;
constexpr uint64_t kPhaseMask = 3;

uint64_t state_of(uint32_t pid, uint64_t phase) { return (uint64_t(pid) << 32) | phase; }
uint32_t owner_of(uint64_t state) { return uint32_t(state >> 32); }

// Slot is one record. All fields but state are written only by the producer
// that claimed it (phase Writing) and read only by the consumer that took it
// (phase Taken), or read after an acquire load saw Ready.
struct alignas(64) Slot {
  std::atomic<uint64_t> state;  // (pid << 32) | phase; CAS by producer and consumer
  uint64_t stamp;               // the order records were made in
  int64_t wall_ns;              // CLOCK_REALTIME when made
  int32_t level;                // LogLevel
  char text[kLogText];
};
static_assert(sizeof(Slot) == 256, "keep a slot to four cache lines");

// The queue lives in .bss: zero is Free, so it works from the first
// instruction, before any constructor.
Slot g_slots[kSlots];
std::atomic<uint64_t> g_stamp{0};    // next stamp; fetch_add by producers
std::atomic<uint64_t> g_posted{0};   // records published; fetch_add by producers
std::atomic<uint64_t> g_dropped{0};  // records lost to a full queue; reset by the consumer

// g_open: log_start ran and the level is not off; logf is a no-op before.
// Written once by M0 before sysmon and any other M exist.
std::atomic<bool> g_open{false};
// g_consumer_pid: the process whose sysmon consumes the queue; set by
// log_sysmon_start when sysmon starts. A fork child has no sysmon until it
// needs one (sysmon.cpp), and until then this still names the parent, which
// tells log_drain to write the records itself.
std::atomic<uint32_t> g_consumer_pid{0};

// The sink. g_fd is the fd lines go to: 2, the GMP_LOG_FILE fd, or -1 after
// the file was lost and could not be opened again. Written by log_start
// (before sysmon exists) and by the consumer (sink_check); read by the
// consumer and log_drain's fallback.
std::atomic<int> g_fd{2};
dev_t g_dev = 0;  // what g_fd is when it is the GMP_LOG_FILE fd; [consumer]
ino_t g_ino = 0;  // [consumer]
bool g_lost_reported = false;  // [consumer]

// Consumer state. Touched by sysmon only (one sysmon per process).
uint32_t g_pid = 0;             // the process the consumer last ran in
uint64_t g_seen_posted = 0;     // g_posted when the last scan began
std::shared_ptr<spdlog::logger>* g_logger = nullptr;  // leaked on purpose (exit, fork)

long sys_fstat(int fd, struct stat* st) { return os::syscall6(SYS_fstat, fd, long(st)); }

// kLogFdMin: the log file's fd is moved to the first free number from here
// (from kLogFdLow when the fd limit is lower), out of the way of programs
// that expect open() to return a number they have just freed (a daemon that
// closes 0-2 and reopens /dev/null). Below both, it stays where open put it.
constexpr int kLogFdMin = 1000, kLogFdLow = 100;

// open_log_file opens GMP_LOG_FILE for appending (created if missing, its
// directory never) and moves the fd up (kLogFdMin); -errno on failure.
int open_log_file(const char* path) {
  int fd = int(os::syscall6(SYS_openat, AT_FDCWD, long(path), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (fd < 0) return fd;
  for (int min : {kLogFdMin, kLogFdLow}) {
    int high = os::fcntl(fd, F_DUPFD_CLOEXEC, min);
    if (high >= 0) {
      os::close(fd);
      return high;
    }
  }
  return fd;
}

// write_all writes a whole line to fd, restarting after EINTR and partial
// writes; other errors lose the line.
void write_all(int fd, const char* p, size_t n) {
  while (n > 0 && fd >= 0) {
    long w = os::write(fd, p, n);
    if (w == -EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= size_t(w);
  }
}

// sink_check makes sure g_fd is still the GMP_LOG_FILE libgmp opened (see
// "Logging"); if the program closed or replaced it, opens the path again.
// Consumer only. Returns false when there is nowhere to write.
bool sink_check() {
  int fd = g_fd.load(std::memory_order_relaxed);
  if (fd == 2) return true;
  const char* path = options().log_file;
  struct stat st;
  if (fd >= 0 && sys_fstat(fd, &st) == 0 && st.st_dev == g_dev && st.st_ino == g_ino) return true;
  int nfd = open_log_file(path);
  if (nfd >= 0 && sys_fstat(nfd, &st) == 0) {
    g_dev = st.st_dev;
    g_ino = st.st_ino;
    g_fd.store(nfd, std::memory_order_relaxed);
    return true;
  }
  if (nfd >= 0) os::close(nfd);
  g_fd.store(-1, std::memory_order_relaxed);
  if (!g_lost_reported) {
    g_lost_reported = true;
    rawlog("libgmp: GMP_LOG_FILE=%s was closed by the program and cannot be opened again (%s); "
           "log records are dropped\n",
           path, strerrordesc_np(nfd < 0 ? -nfd : EBADF));
  }
  return false;
}

// FdSink writes spdlog's formatted lines to g_fd. spdlog calls it on sysmon
// only, so it needs no mutex.
class FdSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    write_all(g_fd.load(std::memory_order_relaxed), buf.data(), buf.size());
  }
  void flush_() override {}
};

// format_time writes a time in UTC, ISO 8601 with milliseconds
// ("2026-11-22T10:45:02.368Z"), computed with <chrono>'s calendar arithmetic
// alone: no localtime_r or gmtime_r (see UtcTime). No allocation, no lock.
size_t format_time(char* buf, size_t cap, std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  sys_days day = floor<days>(when);
  year_month_day ymd{day};
  hh_mm_ss<milliseconds> t{duration_cast<milliseconds>(when - day)};
  return rawfmt(buf, cap, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ", int(ymd.year()), unsigned(ymd.month()),
                unsigned(ymd.day()), long(t.hours().count()), long(t.minutes().count()), long(t.seconds().count()),
                long(t.subseconds().count()));
}

std::chrono::system_clock::time_point time_of(const Slot& s) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(s.wall_ns)));
}

// kLinePattern: the spdlog pattern of a line; write_raw writes the same.
constexpr const char* kLinePattern = "%* libgmp[%P] %l: %v";
// kSpdlogLevelNames: spdlog's names for the levels (%l), for write_raw.
const char* const kSpdlogLevelNames[] = {"trace", "debug", "info", "warning", "error"};

// UtcTime is the pattern flag %* : the record's time by format_time.
// spdlog's own time flags call localtime_r (gmtime_r for UTC), which takes
// glibc's tzset_lock; if a fork() lands while sysmon holds it, the child's
// sysmon blocks on it for good (seen: a prefork server whose children never
// answered SIGTERM). glibc's fork resets malloc's locks, not that one.
class UtcTime final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    char buf[40];
    size_t n = format_time(buf, sizeof buf, msg.time);
    dest.append(buf, buf + n);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<UtcTime>(); }
};

// logger returns the spdlog logger, creating it on first use. Consumer only.
// Its pattern uses no flag that needs localtime (see UtcTime).
spdlog::logger* logger() {
  if (g_logger == nullptr) {
    auto l = std::make_shared<spdlog::logger>("libgmp", std::make_shared<FdSink>());
    auto f = std::make_unique<spdlog::pattern_formatter>();
    f->add_flag<UtcTime>('*').set_pattern(kLinePattern);
    l->set_formatter(std::move(f));
    l->set_level(spdlog::level::trace);
    g_logger = new std::shared_ptr<spdlog::logger>(std::move(l));
  }
  return g_logger->get();
}

// Ref names a slot to write, in stamp order.
struct Ref {
  uint64_t stamp;
  uint32_t index;
};

// collect frees slots another process left in the queue (see Fork) and
// returns the Ready slots of process pid, sorted by stamp. A slot of ours
// still being filled is skipped: its producer bumps g_posted when it is
// done, which makes the next tick scan again.
uint32_t collect(uint32_t pid, Ref* out) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < kSlots; i++) {
    Slot& s = g_slots[i];
    uint64_t st = s.state.load(std::memory_order_acquire);
    if (st == kFree) continue;
    if (owner_of(st) != pid) {
      // A copy from the parent, or a claim whose producer died in fork.
      s.state.compare_exchange_strong(st, kFree, std::memory_order_release, std::memory_order_relaxed);
      continue;
    }
    if ((st & kPhaseMask) != kReady) continue;
    // Insertion sort: the queue is short and nearly in order already.
    uint32_t j = n++;
    for (; j > 0 && out[j - 1].stamp > s.stamp; j--) out[j] = out[j - 1];
    out[j] = Ref{s.stamp, i};
  }
  return n;
}

// take moves a slot from Ready to Taken; false if someone else took it.
bool take(Slot& s, uint32_t pid) {
  uint64_t want = state_of(pid, kReady);
  return s.state.compare_exchange_strong(want, state_of(pid, kTaken), std::memory_order_acquire,
                                         std::memory_order_relaxed);
}

void release(Slot& s) { s.state.store(kFree, std::memory_order_release); }

// pending_before reports whether a record of process pid made before stamp
// `before` is still waiting or being written.
bool pending_before(uint32_t pid, uint64_t before) {
  for (Slot& s : g_slots) {
    uint64_t st = s.state.load(std::memory_order_acquire);
    uint64_t phase = st & kPhaseMask;
    if (st != kFree && owner_of(st) == pid && (phase == kReady || phase == kTaken) && s.stamp < before)
      return true;
  }
  return false;
}

// write_raw is log_drain's way when this process has no sysmon, or sysmon
// does not answer: it writes the records left itself, without spdlog, in
// the same format (kLinePattern), one raw write per line. A GMP_LOG_FILE fd
// that is no longer the file opened (see sink_check) gets nothing.
void write_raw(uint32_t pid) {
  // One writer at a time (refs is static: a G's stack may be small). The
  // flag holds the writer's pid, so a copy inherited through fork from a
  // parent that was writing does not lock the child out. A second caller
  // meanwhile returns: the first writes everything there is.
  static std::atomic<uint32_t> writer{0};
  static Ref refs[kSlots];  // [writer]
  uint32_t w = writer.load(std::memory_order_relaxed);
  if (w == pid || !writer.compare_exchange_strong(w, pid, std::memory_order_acquire)) return;
  uint32_t n = collect(pid, refs);
  int fd = g_fd.load(std::memory_order_relaxed);
  struct stat st;
  if (fd != 2 && (fd < 0 || sys_fstat(fd, &st) != 0 || st.st_dev != g_dev || st.st_ino != g_ino)) fd = -1;
  char line[kLogText + 96];
  for (uint32_t k = 0; k < n; k++) {
    Slot& s = g_slots[refs[k].index];
    if (!take(s, pid)) continue;
    size_t len = format_time(line, sizeof line, time_of(s));
    len += rawfmt(line + len, sizeof line - len, " libgmp[%u] %s: %s\n", pid, kSpdlogLevelNames[s.level], s.text);
    write_all(fd, line, len);
    release(s);
  }
  writer.store(0, std::memory_order_release);
}

void exit_drain() { log_drain(); }

}  // namespace

int log_level() { return options().log_level; }

void logf(int level, const char* fmt, ...) {
  if (!g_open.load(std::memory_order_acquire)) return;
  uint32_t pid = uint32_t(os::getpid());
  uint64_t stamp = g_stamp.fetch_add(1, std::memory_order_relaxed);
  for (uint32_t i = 0; i < kSlots; i++) {
    Slot& s = g_slots[(stamp + i) % kSlots];
    uint64_t st = s.state.load(std::memory_order_relaxed);
    if (st != kFree ||
        !s.state.compare_exchange_strong(st, state_of(pid, kWriting), std::memory_order_acquire,
                                         std::memory_order_relaxed))
      continue;
    s.stamp = stamp;
    s.wall_ns = os::walltime();
    s.level = level;
    va_list ap;
    va_start(ap, fmt);
    vrawfmt(s.text, sizeof s.text, fmt, ap);
    va_end(ap);
    s.state.store(state_of(pid, kReady), std::memory_order_release);
    // seq_cst, then sysmon_wake's seq_cst load of g_sysmon_waiting: sysmon
    // stores that flag, then checks log_quiet; one of the two sees the other.
    g_posted.fetch_add(1, std::memory_order_seq_cst);
    if (level >= kLogInfo)
      sysmon_kick();
    else
      sysmon_wake();
    return;
  }
  g_dropped.fetch_add(1, std::memory_order_relaxed);
}

void log_sysmon_tick() {
  uint64_t posted = g_posted.load(std::memory_order_acquire);
  uint64_t dropped = g_dropped.load(std::memory_order_relaxed);
  if (posted == g_seen_posted && dropped == 0) return;  // the common case
  g_seen_posted = posted;
  uint32_t pid = uint32_t(os::getpid());
  if (pid != g_pid) {
    // First tick in this process. In a fork child: the parent's logger may
    // have been in use at the fork, and the parent reports its own drops.
    if (g_pid != 0) {
      g_logger = nullptr;
      g_dropped.store(0, std::memory_order_relaxed);
      dropped = 0;
    }
    g_pid = pid;
  }
  static Ref refs[kSlots];  // sysmon only
  uint32_t n = collect(pid, refs);
  if (n == 0 && dropped == 0) return;
  bool sink = sink_check();
  spdlog::logger* lg = logger();
  for (uint32_t k = 0; k < n; k++) {
    Slot& s = g_slots[refs[k].index];
    if (!take(s, pid)) continue;  // log_drain's fallback has it
    if (sink)
      lg->log(time_of(s), spdlog::source_loc{}, static_cast<spdlog::level::level_enum>(s.level),
              spdlog::string_view_t(s.text));
    release(s);
  }
  if (dropped != 0) {
    g_dropped.fetch_sub(dropped, std::memory_order_relaxed);
    if (sink && log_on(kLogWarn)) lg->warn("{} log records dropped: the queue of {} was full", dropped, kSlots);
  }
}

void log_sysmon_start() { g_consumer_pid.store(uint32_t(os::getpid()), std::memory_order_release); }

bool log_quiet() { return g_posted.load(std::memory_order_seq_cst) == g_seen_posted; }

void log_drain() {
  if (!g_open.load(std::memory_order_acquire)) return;
  uint32_t pid = uint32_t(os::getpid());
  uint64_t before = g_stamp.load(std::memory_order_relaxed);
  if (!pending_before(pid, before)) return;  // the common case: nothing queued
  if (g_consumer_pid.load(std::memory_order_acquire) != pid) {
    write_raw(pid);  // a fork child that never needed a sysmon
    return;
  }
  int64_t deadline = os::nanotime() + int64_t(kLogDrainWaitMs) * 1000000;
  do {
    sysmon_kick();
    os::usleep(50);
    if (!pending_before(pid, before)) return;
  } while (os::nanotime() < deadline);
  write_raw(pid);
}

void log_start() {
  const Options& o = options();
  if (o.log_level >= kLogOff) return;
  if (o.log_file[0]) {
    int fd = open_log_file(o.log_file);
    struct stat st;
    if (fd >= 0 && sys_fstat(fd, &st) == 0) {
      g_dev = st.st_dev;
      g_ino = st.st_ino;
      g_fd.store(fd, std::memory_order_relaxed);
    } else {
      if (fd >= 0) os::close(fd);
      rawlog("libgmp: cannot open GMP_LOG_FILE=%s (%s); logging to stderr\n", o.log_file,
             strerrordesc_np(fd < 0 ? -fd : EBADF));
    }
  }
  g_open.store(true, std::memory_order_release);
  atexit(exit_drain);

  static const char* const kDeadlock[] = {"0", "1", "exit"};
  GMP_LOGF(kLogInfo,
           "started: libgmp %s, GOMAXPROCS=%d GMP_STACK_SIZE=%zu GMP_MAX_THREADS=%ld "
           "GMP_LOCK_MAIN=%d GMP_TLS=%d GMP_INHERIT=%d",
           GMP_VERSION, o.gomaxprocs, o.stack_size, long(o.max_threads), o.lock_main ? 1 : 0,
           o.tls ? 1 : 0, o.inherit ? 1 : 0);
  GMP_LOGF(kLogInfo, "options: GMP_LOG=%s GMP_DEBUG=schedtrace=%d,scheddetail=%d,dump=%d,deadlock=%s,options=%d",
           kLogLevelNames[o.log_level], o.schedtrace_ms, o.scheddetail ? 1 : 0, o.dump_at_exit ? 1 : 0,
           kDeadlock[o.deadlock], o.print_options ? 1 : 0);
  if (o.log_file[0]) GMP_LOGF(kLogInfo, "options: GMP_LOG_FILE=%s", o.log_file);
  if (o.stats_file[0]) GMP_LOGF(kLogInfo, "options: GMP_STATS=%s", o.stats_file);
}

}  // namespace gmp
