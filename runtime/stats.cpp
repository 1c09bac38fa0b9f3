// stats.cpp — see stats.h.
//
// Besides the sharded counters, three values are kept here:
//   - the peak of live Gs (thread.cpp:live_gs() sampled at every spawn);
//   - the G stack bytes reserved now and at peak (runtime-owned stacks only:
//     a stack the program passed with pthread_attr_setstack is its memory);
// each a relaxed atomic written by whoever spawns or ends a G.
// Computed at exit: kernel threads (Ms never exit, so their count is also
// the peak; plus sysmon), retakes (sysmon's own counter) and the committed
// stack bytes: resident pages (mincore) of the stacks of Gs still alive and
// of the freed stacks in the pool (stack.cpp), i.e. what G stacks cost in
// memory at exit (not a peak).
#include "runtime/stats.h"

#include <fcntl.h>
#include <sys/mman.h>

#include <cstdlib>

#include "preload/real.h"
#include "runtime/options.h"
#include "runtime/os.h"
#include "runtime/log.h"
#include "runtime/rawlog.h"
#include "runtime/sched_internal.h"
#include "runtime/thread.h"

#ifndef GMP_VERSION  // set by CMake for libgmp.so; not for the unit tests
#define GMP_VERSION "unknown"
#endif

namespace gmp {

uint64_t sysmon_retakes();  // sysmon.cpp

bool g_stats_on = false;
StatShard g_stat_shards[kStatShards];

namespace {

const char* const kStatNames[kStatCount] = {
    "gs_created", "context_switches", "yields", "netpoll_wakeups", "syscalls_entered",
    "exitsyscall_fast", "handoffs",
};

std::atomic<int64_t> g_peak_live{1};        // relaxed; max of live_gs() at spawns
std::atomic<int64_t> g_stack_now{0};        // relaxed; reserved bytes of live Gs
std::atomic<int64_t> g_stack_peak{0};       // relaxed; max of g_stack_now
int64_t g_start_ns = 0;                     // written once by stats_start

void store_max(std::atomic<int64_t>& a, int64_t v) {
  int64_t cur = a.load(std::memory_order_relaxed);
  while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

int64_t reserved_bytes(G* g) { return g->user_stack || g->stack.map == nullptr ? 0 : int64_t(g->stack.map_len); }

// resident_bytes counts the pages of [lo, lo+len) that are in memory.
uint64_t resident_bytes(char* lo, size_t len) {
  constexpr size_t kPage = 4096;
  unsigned char vec[1024];
  uintptr_t a = reinterpret_cast<uintptr_t>(lo) & ~(kPage - 1);
  uintptr_t end = reinterpret_cast<uintptr_t>(lo) + len;
  uint64_t n = 0;
  while (a < end) {
    size_t chunk = end - a;
    if (chunk > sizeof vec * kPage) chunk = sizeof vec * kPage;
    // A stack freed meanwhile makes mincore fail (ENOMEM); it then counts 0.
    if (mincore(reinterpret_cast<void*>(a), chunk, vec) == 0)
      for (size_t i = 0; i < (chunk + kPage - 1) / kPage; i++) n += vec[i] & 1;
    a += chunk;
  }
  return n * kPage;
}

// Out appends to a fixed buffer; the JSON is well under its size.
struct Out {
  char buf[8192];
  size_t len = 0;
  void add(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    va_list ap;
    va_start(ap, fmt);
    len += vrawfmt(buf + len, sizeof buf - len, fmt, ap);
    va_end(ap);
  }
};

// expand_pid copies path into out with each "%p" replaced by the pid.
void expand_pid(const char* path, char* out, size_t cap) {
  size_t n = 0;
  for (const char* s = path; *s && n + 1 < cap; s++) {
    if (s[0] == '%' && s[1] == 'p') {
      char pid[24];
      size_t k = rawfmt(pid, sizeof pid, "%d", int(os::getpid()));
      for (size_t i = 0; i < k && n + 1 < cap; i++) out[n++] = pid[i];
      s++;
    } else {
      out[n++] = *s;
    }
  }
  out[n] = 0;
}

void write_at_exit() { stats_write(); }

}  // namespace

void stats_spawn_slow(G* g) {
  stat_shard().v[kStatGsCreated].fetch_add(1, std::memory_order_relaxed);
  store_max(g_peak_live, live_gs());
  int64_t now = g_stack_now.fetch_add(reserved_bytes(g), std::memory_order_relaxed) + reserved_bytes(g);
  store_max(g_stack_peak, now);
}

void stats_exit_slow(G* g) { g_stack_now.fetch_sub(reserved_bytes(g), std::memory_order_relaxed); }

void stats_start() {
  if (options().stats_file[0] == 0) return;
  g_start_ns = os::nanotime();
  g_stats_on = true;
  // Registered from G1 before main runs: it runs after the program's own
  // atexit handlers and before the destructors of its static objects.
  atexit(write_at_exit);
}

void stats_write() {
  if (!g_stats_on) return;
  uint64_t v[kStatCount] = {};
  uint64_t parks[kMaxReasons] = {};
  for (StatShard& s : g_stat_shards) {
    for (uint32_t i = 0; i < kStatCount; i++) v[i] += s.v[i].load(std::memory_order_relaxed);
    for (uint32_t i = 0; i < kMaxReasons; i++) parks[i] += s.parks[i].load(std::memory_order_relaxed);
  }
  int threads = 1;  // sysmon
  for (M* m = m_list(); m; m = m->alllink) threads++;
  uint64_t committed = 0;
  // Committed stack memory at exit: the stacks of Gs still alive (a dead G
  // not yet joined keeps its stack too) plus the freed stacks the pool
  // keeps for reuse, the warm ones fully, the cold ones' header page.
  g_foreach([&](G* g) {
    GStatus st = g->status.load(std::memory_order_acquire);
    if (g->is_g0 || st == GStatus::kIdle || reserved_bytes(g) == 0 || g->stack.lo == nullptr) return;
    committed += resident_bytes(g->stack.lo, g->stack.size);
  });
  stack_pool_foreach([](char* lo, size_t len, void* arg) { *static_cast<uint64_t*>(arg) += resident_bytes(lo, len); },
                     &committed);

  Out o;
  o.add("{\n  \"libgmp\": \"%s\",\n  \"pid\": %d,\n  \"gomaxprocs\": %d,\n  \"elapsed_ms\": %ld,\n",
        GMP_VERSION, int(os::getpid()), sched.gomaxprocs, long((os::nanotime() - g_start_ns) / 1000000));
  o.add("  \"%s\": %lu,\n", kStatNames[kStatGsCreated], (unsigned long)v[kStatGsCreated]);
  o.add("  \"peak_live_gs\": %ld,\n", long(g_peak_live.load(std::memory_order_relaxed)));
  o.add("  \"peak_kernel_threads\": %d,\n", threads);
  for (uint32_t i = kStatContextSwitches; i < kStatCount; i++)
    o.add("  \"%s\": %lu,\n", kStatNames[i], (unsigned long)v[i]);
  o.add("  \"retakes\": %lu,\n", (unsigned long)sysmon_retakes());
  uint64_t total = 0;
  o.add("  \"parks_by_reason\": {");
  bool first = true;
  for (uint32_t r = 1; r < kMaxReasons; r++) {
    const char* name = wait_reason_name(WaitReason(r));
    if (name[0] == 0 || name[0] == '?' || WaitReason(r) == WaitReason::kYield) continue;
    o.add("%s\"%s\": %lu", first ? "" : ", ", name, (unsigned long)parks[r]);
    first = false;
    total += parks[r];
  }
  o.add("},\n  \"parks\": %lu,\n", (unsigned long)total);
  o.add("  \"stack_bytes_reserved\": %ld,\n", long(g_stack_peak.load(std::memory_order_relaxed)));
  o.add("  \"stack_bytes_committed\": %lu\n}\n", (unsigned long)committed);

  char path[4096 + 32];
  expand_pid(options().stats_file, path, sizeof path);
  int fd = real::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    rawlog("libgmp: cannot write GMP_STATS file %s\n", path);
    GMP_LOGF(kLogInfo, "cannot write GMP_STATS file %s", path);
    log_drain();
    return;
  }
  for (size_t off = 0; off < o.len;) {
    long w = os::write(fd, o.buf + off, o.len - off);
    if (w <= 0) break;
    off += size_t(w);
  }
  os::close(fd);
}

}  // namespace gmp
