// log.cpp — GMP_LOG / GMP_LOG_FILE.
//
// The runtime logs from places where spdlog must not run: under its own
// locks, on g0 between two Gs, in hooks on a G's small stack. spdlog
// allocates, formats with fmt and takes its own locks. So logging is split:
//   - logf formats into a fixed record (vsnprintf into the record's buffer:
//     no allocation) and publishes it in a lock-free ring of kRing records
//     (multi-producer; a slot's sequence number says when it is written);
//     a full ring drops the record and counts it;
//   - log_drain, run by sysmon (which never runs program code and holds no
//     runtime lock there) and once more at exit, pops the records and gives
//     them to spdlog with the time they were made, then reports drops.
// The spdlog logger is created on the first drain, with a single-threaded
// sink: g_drain_lock makes sure only one thread drains at a time.
#include "runtime/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sys/syscall.h>

#include <fcntl.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

#include "runtime/lock.h"
#include "runtime/options.h"
#include "runtime/os.h"
#include "runtime/rawlog.h"

namespace gmp {

namespace {

constexpr uint32_t kRing = 256;
constexpr size_t kText = 240;

struct Record {
  std::atomic<uint32_t> seq;
  int level;
  int64_t wall_ns;
  char text[kText];
};

Record g_ring[kRing];
std::atomic<uint32_t> g_head{0};
uint32_t g_tail = 0;                    // [g_drain_lock]
std::atomic<uint64_t> g_dropped{0};
std::atomic<bool> g_ring_ready{false};
SpinLock g_drain_lock;
std::shared_ptr<spdlog::logger>* g_logger = nullptr;  // [g_drain_lock]; never freed

void ring_init() {
  for (uint32_t i = 0; i < kRing; i++) g_ring[i].seq.store(i, std::memory_order_relaxed);
  g_ring_ready.store(true, std::memory_order_release);
}

// FdSink writes formatted lines to an fd we opened ourselves (spdlog's own
// file sink would create missing directories and buffer through stdio).
class FdSink : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  explicit FdSink(int fd) : fd_(fd) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    for (size_t off = 0; off < buf.size();) {
      long w = os::write(fd_, buf.data() + off, buf.size() - off);
      if (w <= 0) break;
      off += size_t(w);
    }
  }
  void flush_() override {}

 private:
  int fd_;
};

int g_fd = 2;  // the sink's fd: GMP_LOG_FILE, or stderr

spdlog::logger* logger_locked() {
  if (g_logger) return g_logger->get();
  auto l = std::make_shared<spdlog::logger>("libgmp", std::make_shared<FdSink>(g_fd));
  l->set_pattern("%Y-%m-%d %H:%M:%S.%e libgmp %l: %v");
  l->set_level(spdlog::level::trace);
  g_logger = new std::shared_ptr<spdlog::logger>(std::move(l));
  return g_logger->get();
}

}  // namespace

int log_level() { return options().log_level; }

void logf(int level, const char* fmt, ...) {
  if (!g_ring_ready.load(std::memory_order_acquire)) return;
  uint32_t pos = g_head.load(std::memory_order_relaxed);
  Record* r;
  for (;;) {
    r = &g_ring[pos % kRing];
    uint32_t seq = r->seq.load(std::memory_order_acquire);
    int32_t dif = int32_t(seq - pos);
    if (dif == 0) {
      if (g_head.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
    } else if (dif < 0) {
      g_dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    } else {
      pos = g_head.load(std::memory_order_relaxed);
    }
  }
  r->level = level;
  r->wall_ns = os::walltime();
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->text, kText, fmt, ap);
  va_end(ap);
  r->seq.store(pos + 1, std::memory_order_release);
}

void log_drain() {
  if (!g_ring_ready.load(std::memory_order_acquire) || options().log_level >= kLogOff) return;
  Guard<SpinLock> l(g_drain_lock);
  spdlog::logger* lg = nullptr;
  for (;;) {
    Record& r = g_ring[g_tail % kRing];
    if (r.seq.load(std::memory_order_acquire) != g_tail + 1) break;
    if (!lg) lg = logger_locked();
    auto when = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(r.wall_ns)));
    lg->log(when, spdlog::source_loc{}, static_cast<spdlog::level::level_enum>(r.level), r.text);
    r.seq.store(g_tail + kRing, std::memory_order_release);
    g_tail++;
  }
  if (uint64_t d = g_dropped.exchange(0, std::memory_order_relaxed)) {
    if (!lg) lg = logger_locked();
    lg->warn("{} log records dropped (the queue was full)", d);
  }
}

void log_start() {
  if (options().log_level >= kLogOff) return;
  const Options& o = options();
  if (*o.log_file) {
    int fd = int(os::syscall6(SYS_openat, AT_FDCWD, long(o.log_file), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (fd < 0)
      rawlog("libgmp: cannot open GMP_LOG_FILE=%s (%s); logging to stderr\n", o.log_file, strerror(-fd));
    else
      g_fd = fd;
  }
  ring_init();
  GMP_LOGF(kLogInfo, "started: pid %d, GOMAXPROCS=%d, GMP_STACK_SIZE=%zu, GMP_MAX_THREADS=%ld", int(os::getpid()),
           o.gomaxprocs, o.stack_size, long(o.max_threads));
  atexit([] { log_drain(); });
}

}  // namespace gmp
