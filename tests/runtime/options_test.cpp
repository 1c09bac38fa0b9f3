#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <regex>
#include <set>
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

  TEST_CASE("parse_debug: schedtrace and scheddetail; a bad item leaves the good ones applied") {
    Options o{};
    DebugError e[4];
    CHECK(parse_debug("schedtrace=1000,scheddetail=1", &o, e, 4) == 0);
    CHECK(o.schedtrace_ms == 1000);
    CHECK(o.scheddetail);
    CHECK(parse_debug("", &o, e, 4) == 0);
    CHECK(parse_debug(",,", &o, e, 4) == 0);
    const char* s1 = "schedtrace=abc";
    CHECK(parse_debug(s1, &o, e, 4) == 1);
    CHECK(e[0].item == s1);
    CHECK(o.schedtrace_ms == 1000);
    Options t{};
    CHECK(parse_debug("scheddetail=1,nosuch=2,dump=1", &t, e, 4) == 1);
    CHECK(std::string(e[0].item, e[0].len) == "nosuch=2");
    CHECK(std::string(e[0].why) == "unknown key");
    CHECK(t.scheddetail);
    CHECK(t.dump_at_exit);
    CHECK(parse_debug("schedtrace=-5,bogus,dump=7", &t, e, 1) == 3);  // errs holds the first only
    CHECK(std::string(e[0].item, e[0].len) == "schedtrace=-5");
  }

  TEST_CASE("cgroup cpu.max: ceil(quota/period), no limit for max") {
    CHECK(cgroup_cpu_limit("max 100000\n") == 0);
    CHECK(cgroup_cpu_limit("150000 100000\n") == 2);
    CHECK(cgroup_cpu_limit("100000 100000") == 1);
    CHECK(cgroup_cpu_limit("50000 100000") == 1);
    CHECK(cgroup_cpu_limit("400000 100000") == 4);
    CHECK(cgroup_cpu_limit("garbage") == 0);
  }

  // The option lists are exact: options.cpp reads exactly kOptionNames from
  // the environment, docs/configuration.md's Variables table has exactly
  // those rows, its GMP_DEBUG section exactly kDebugKeys, and the
  // GMP_DEBUG=options printout a line for every option.
  static std::string read_file(const char* path) {
    std::ifstream f(path);
    REQUIRE_MESSAGE(f.good(), path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  static std::set<std::string> names_of(const char* const* list) {
    std::set<std::string> out;
    for (; *list; list++) out.insert(*list);
    return out;
  }
  static std::string section(const std::string& doc, const std::string& heading) {
    size_t at = doc.find("\n" + heading + "\n");
    REQUIRE_MESSAGE(at != std::string::npos, heading);
    size_t end = doc.find("\n#", at + heading.size() + 2);
    return doc.substr(at, end == std::string::npos ? std::string::npos : end - at);
  }

  TEST_CASE("options.cpp reads exactly the variables of kOptionNames") {
    std::string src = read_file(GMP_SOURCE_DIR "/runtime/options.cpp");
    std::set<std::string> read;
    std::regex re("getenv_raw\\(\"([A-Z_]+)\"\\)");
    for (auto it = std::sregex_iterator(src.begin(), src.end(), re); it != std::sregex_iterator(); ++it)
      read.insert((*it)[1]);
    CHECK(read == names_of(kOptionNames));
  }

  TEST_CASE("docs/configuration.md's Variables table lists exactly kOptionNames") {
    std::string doc = read_file(GMP_SOURCE_DIR "/docs/configuration.md");
    std::string table = section(doc, "## Variables");
    std::set<std::string> rows;
    std::regex re("\n\\| `([A-Z_]+)` \\|");
    for (auto it = std::sregex_iterator(table.begin(), table.end(), re); it != std::sregex_iterator(); ++it)
      rows.insert((*it)[1]);
    CHECK(rows == names_of(kOptionNames));
    // and each has its own section (GMP_LOG and GMP_LOG_FILE share one)
    for (const char* const* n = kOptionNames; *n; n++)
      CHECK_MESSAGE(std::regex_search(doc, std::regex(std::string("\n### (.* )?") + *n + "( .*)?\n")), *n);
  }

  TEST_CASE("docs/configuration.md's GMP_DEBUG section lists exactly kDebugKeys") {
    std::string doc = read_file(GMP_SOURCE_DIR "/docs/configuration.md");
    std::string sec = section(doc, "### GMP_DEBUG");
    std::set<std::string> keys;
    std::regex re("\n- `([a-z]+)[=`]");
    for (auto it = std::sregex_iterator(sec.begin(), sec.end(), re); it != std::sregex_iterator(); ++it)
      keys.insert((*it)[1]);
    CHECK(keys == names_of(kDebugKeys));
  }

  TEST_CASE("GMP_DEBUG=options prints every option, and only those") {
    Options o{};
    o.gomaxprocs = 3;
    char buf[16384];
    size_t n = format_options(o, buf, sizeof buf);
    std::string out(buf, n);
    std::set<std::string> printed;
    std::regex re("libgmp: ([A-Z_]+)=");
    for (auto it = std::sregex_iterator(out.begin(), out.end(), re); it != std::sregex_iterator(); ++it)
      printed.insert((*it)[1]);
    CHECK(printed == names_of(kOptionNames));
    for (const char* const* k = kDebugKeys; *k; k++)
      CHECK_MESSAGE(out.find(std::string(*k) + "=") != std::string::npos, *k);
  }

  TEST_CASE("rawfmt formats without allocating") {
    char buf[64];
    rawfmt(buf, sizeof buf, "%s=%d %u %lx %zu %c%%", "x", -42, 7u, 0xbeefUL, size_t(9), 'z');
    CHECK(std::string(buf) == "x=-42 7 beef 9 z%");
    rawfmt(buf, 8, "%s", "truncate me");
    CHECK(std::string(buf) == "truncat");
  }
}
