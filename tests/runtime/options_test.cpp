#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "runtime/options.h"
#include "runtime/rawlog.h"

using namespace gmp;

TEST_SUITE("runtime/options") {
  TEST_CASE("parse_int accepts integers in range, rejects everything else") {
    int64_t v = 0;
    CHECK(parse_int("4", 1, 1024, &v));
    CHECK(v == 4);
    CHECK(parse_int("+7", 1, 1024, &v));
    CHECK(v == 7);
    for (const char* bad : {"0", "-3", "abc", "1e9", "", "4x", "1025", "99999999999999999999999"})
      CHECK_MESSAGE(!parse_int(bad, 1, 1024, &v), bad);
  }

  TEST_CASE("parse_size understands K/M/G suffixes") {
    size_t v = 0;
    CHECK(parse_size("65536", 1, SIZE_MAX, &v));
    CHECK(v == 65536);
    CHECK(parse_size("256K", 1, SIZE_MAX, &v));
    CHECK(v == 256u << 10);
    CHECK(parse_size("8M", 1, SIZE_MAX, &v));
    CHECK(v == 8u << 20);
    CHECK(parse_size("1GiB", 1, SIZE_MAX, &v));
    CHECK(v == 1u << 30);
    CHECK(parse_size("2mb", 1, SIZE_MAX, &v));
    CHECK(v == 2u << 20);
    for (const char* bad : {"", "K", "12Q", "-1", "1.5M", "99999999999999999999G"})
      CHECK_MESSAGE(!parse_size(bad, 1, SIZE_MAX, &v), bad);
    CHECK_FALSE(parse_size("1K", 16 << 10, SIZE_MAX, &v));  // below the minimum
  }

  TEST_CASE("parse_bool") {
    bool b = false;
    CHECK(parse_bool("yes", &b));
    CHECK(b);
    CHECK(parse_bool("OFF", &b));
    CHECK_FALSE(b);
    CHECK_FALSE(parse_bool("maybe", &b));
  }

  TEST_CASE("parse_debug: schedtrace and scheddetail, one bad item rejects it all") {
    Options o{};
    const char* bad = nullptr;
    CHECK(parse_debug("schedtrace=1000,scheddetail=1", &o, &bad));
    CHECK(o.schedtrace_ms == 1000);
    CHECK(o.scheddetail);
    CHECK(parse_debug("", &o, &bad));
    const char* s1 = "schedtrace=abc";
    CHECK_FALSE(parse_debug(s1, &o, &bad));
    CHECK(bad == s1);
    const char* s2 = "scheddetail=1,nosuch=2";
    CHECK_FALSE(parse_debug(s2, &o, &bad));
    CHECK(std::string(bad) == "nosuch=2");
    CHECK_FALSE(parse_debug("schedtrace", &o, &bad));
    CHECK_FALSE(parse_debug("schedtrace=-5", &o, &bad));
  }

  TEST_CASE("cgroup cpu.max: ceil(quota/period), no limit for max") {
    CHECK(cgroup_cpu_limit("max 100000\n") == 0);
    CHECK(cgroup_cpu_limit("150000 100000\n") == 2);
    CHECK(cgroup_cpu_limit("100000 100000") == 1);
    CHECK(cgroup_cpu_limit("50000 100000") == 1);
    CHECK(cgroup_cpu_limit("400000 100000") == 4);
    CHECK(cgroup_cpu_limit("garbage") == 0);
  }

  TEST_CASE("every option is documented in docs/configuration.md") {
    std::ifstream f(GMP_SOURCE_DIR "/docs/configuration.md");
    REQUIRE(f.good());
    std::stringstream ss;
    ss << f.rdbuf();
    std::string doc = ss.str();
    for (const char* const* n = kOptionNames; *n; n++)
      CHECK_MESSAGE(doc.find(std::string("`") + *n) != std::string::npos, *n);
  }

  TEST_CASE("rawfmt formats without allocating") {
    char buf[64];
    rawfmt(buf, sizeof buf, "%s=%d %u %lx %zu %c%%", "x", -42, 7u, 0xbeefUL, size_t(9), 'z');
    CHECK(std::string(buf) == "x=-42 7 beef 9 z%");
    rawfmt(buf, 8, "%s", "truncate me");
    CHECK(std::string(buf) == "truncat");
  }
}
