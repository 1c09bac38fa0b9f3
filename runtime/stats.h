// stats.h — scheduler counters, written as JSON at exit (GMP_STATS=FILE).
//
// The counters exist for benchmarking legacy binaries: how many threads the
// program made, how often Gs switched and why they parked, how much the
// syscall path and sysmon had to do. They cost nothing unless GMP_STATS is
// set: every stats_* call first reads g_stats_on (written once in
// stats_start, before the first G is spawned; read-only afterwards).
//
// Counters are relaxed atomics, spread over kStatShards cache-line aligned
// shards so that Ms bumping the same counter rarely share a line. The shard
// is picked from the caller's stack address: every G and every g0 has its own
// stack, so concurrent callers mostly land on different shards without any
// per-thread state (the runtime never reaches its state through TLS, see
// docs/design.md "Thread-local storage follows the G"). Sums are read only
// at exit; they are exact once the counted events stop, approximate while
// other threads still run (as Go's runtime/metrics).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "runtime/g.h"

namespace gmp {

// Stat names one counter. Each appears in the JSON under the name in
// stats.cpp:kStatNames.
enum Stat : uint32_t {
  kStatGsCreated,        // pthreads created (spawn); main not included
  kStatContextSwitches,  // Gs started or resumed on an M (execute)
  kStatYields,           // sched_yield / pthread_yield by Gs
  kStatNetpollWakeups,   // Gs made runnable by the poller
  kStatSyscalls,         // entersyscall + entersyscallblock
  kStatExitsyscallFast,  // exitsyscall that found its P still there
  kStatHandoffs,         // Ps given away by an M that blocks (handoffp)
  kStatCount,
};

// Parks are counted per WaitReason; kMaxReasons bounds the enum.
constexpr uint32_t kMaxReasons = 32;
constexpr uint32_t kStatShards = 16;

struct alignas(64) StatShard {
  std::atomic<uint64_t> v[kStatCount];
  std::atomic<uint64_t> parks[kMaxReasons];
};

extern bool g_stats_on;  // see the file comment
extern StatShard g_stat_shards[kStatShards];

inline StatShard& stat_shard() {
  auto sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  return g_stat_shards[((sp >> 14) * 0x9e3779b97f4a7c15ull) >> 60];
}

// stats_add adds n to counter s (relaxed). Safe anywhere: g0, under runtime
// locks, in a G; never allocates.
inline void stats_add(Stat s, uint64_t n = 1) {
  if (__builtin_expect(g_stats_on, 0)) stat_shard().v[s].fetch_add(n, std::memory_order_relaxed);
}

// stats_park counts one park with reason r.
inline void stats_park(WaitReason r) {
  if (__builtin_expect(g_stats_on, 0))
    stat_shard().parks[uint32_t(r) % kMaxReasons].fetch_add(1, std::memory_order_relaxed);
}

// stats_spawn: g is about to run for the first time (sched.cpp:spawn). Counts
// it, updates the peak of live Gs and of reserved stack bytes.
void stats_spawn_slow(G* g);
inline void stats_spawn(G* g) {
  if (__builtin_expect(g_stats_on, 0)) stats_spawn_slow(g);
}
// stats_exit: g is ending (sched.cpp:goexit); its stack is about to be freed.
void stats_exit_slow(G* g);
inline void stats_exit(G* g) {
  if (__builtin_expect(g_stats_on, 0)) stats_exit_slow(g);
}

// stats_start turns counting on if GMP_STATS is set and registers the exit
// writer. Called once by runtime_start, before any G but G1 exists.
void stats_start();
// stats_write writes the JSON file now (the exit writer; also called before
// a fatal deadlock exit). Safe to call more than once; each call rewrites.
void stats_write();

}  // namespace gmp
