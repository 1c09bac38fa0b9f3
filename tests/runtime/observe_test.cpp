// Unit tests for the observability options (GMP_DEBUG dump/deadlock/options
// keys) and the stats counters.
#include <doctest/doctest.h>

#include <string>

#include "runtime/options.h"
#include "runtime/stats.h"

using namespace gmp;

TEST_SUITE("runtime/options") {
  TEST_CASE("parse_debug: dump, deadlock and options keys") {
    Options o{};
    o.deadlock = kDeadlockReport;
    DebugError e[4];
    CHECK(parse_debug("dump=1,deadlock=exit,options=1", &o, e, 4) == 0);
    CHECK(o.dump_at_exit);
    CHECK(o.deadlock == kDeadlockExit);
    CHECK(o.print_options);
    CHECK(parse_debug("deadlock=0,dump=0", &o, e, 4) == 0);
    CHECK(o.deadlock == kDeadlockOff);
    CHECK_FALSE(o.dump_at_exit);
    CHECK(parse_debug("deadlock=1,schedtrace=5", &o, e, 4) == 0);
    CHECK(o.deadlock == kDeadlockReport);
    CHECK(o.schedtrace_ms == 5);
    for (const char* s : {"deadlock=2", "deadlock=exi", "deadlock=exits", "deadlock=maybe", "dump=2",
                          "dump=yes", "options=-1", "dump="}) {
      Options t{};
      CHECK_MESSAGE(parse_debug(s, &t, e, 4) == 1, s);
      CHECK(std::string(e[0].item, e[0].len) == s);
    }
  }

  TEST_CASE("parse_debug: a bare key is key=1") {
    Options o{};
    DebugError e[4];
    CHECK(parse_debug("dump", &o, e, 4) == 0);
    CHECK(o.dump_at_exit);
    CHECK(parse_debug("options,scheddetail,deadlock", &o, e, 4) == 0);
    CHECK(o.print_options);
    CHECK(o.scheddetail);
    CHECK(o.deadlock == kDeadlockReport);
    CHECK(parse_debug("schedtrace", &o, e, 4) == 1);  // a trace needs its period
  }
}

TEST_SUITE("runtime/stats") {
  TEST_CASE("counters are off until stats_start turns them on, then sum over shards") {
    bool was = g_stats_on;
    auto sum = [](Stat s) {
      uint64_t n = 0;
      for (auto& sh : g_stat_shards) n += sh.v[s].load();
      return n;
    };
    auto parks = [](WaitReason r) {
      uint64_t n = 0;
      for (auto& sh : g_stat_shards) n += sh.parks[uint32_t(r)].load();
      return n;
    };
    g_stats_on = false;
    uint64_t before = sum(kStatYields);
    stats_add(kStatYields, 5);
    CHECK(sum(kStatYields) == before);
    g_stats_on = true;
    stats_add(kStatYields, 5);
    stats_add(kStatYields);
    uint64_t p0 = parks(WaitReason::kMutex);
    stats_park(WaitReason::kMutex);
    g_stats_on = was;
    CHECK(sum(kStatYields) == before + 6);
    CHECK(parks(WaitReason::kMutex) == p0 + 1);
  }
}
