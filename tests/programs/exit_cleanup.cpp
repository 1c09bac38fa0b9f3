// pthread_exit from nested frames unwinds C++ stack objects in every frame;
// catch handlers observe the forced unwind and must rethrow it; ordinary
// exceptions work concurrently in many threads; std::thread basics.
#include <cxxabi.h>
#include <pthread.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

static void fail(const char *what) { std::printf("FAIL: %s\n", what); std::exit(1); }

struct Log { std::string s; void add(const std::string &x) { if (!s.empty()) s += ' '; s += x; } };

struct Guard {
  Log *log; std::string name;
  Guard(Log *l, std::string n) : log(l), name(std::move(n)) { log->add("+" + name); }
  ~Guard() { log->add("~" + name); }
};

static void level3(Log *log, int mode) {
  Guard g(log, "L3");
  if (mode == 0) pthread_exit(reinterpret_cast<void *>(intptr_t{42}));
  if (mode == 1) throw std::runtime_error("boom");
}

static void level2(Log *log, int mode) {
  Guard g(log, "L2");
  try {
    level3(log, mode);
  } catch (abi::__forced_unwind &) {
    log->add("forced-unwind-seen");
    throw;  // must rethrow
  } catch (std::runtime_error &e) {
    log->add(std::string("caught:") + e.what());
  }
  log->add("after-try");
}

static void level1(Log *log, int mode) {
  Guard g(log, "L1");
  try {
    level2(log, mode);
  } catch (...) {
    log->add("catch-all");
    throw;
  }
  log->add("L1-returns");
}

static void *thread_main(void *arg) {
  auto *log = static_cast<Log *>(arg);
  Guard g(log, "T");
  level1(log, 0);
  log->add("NOT-REACHED");
  return nullptr;
}

static void *thread_throws(void *arg) {
  auto *log = static_cast<Log *>(arg);
  Guard g(log, "T");
  level1(log, 1);
  return reinterpret_cast<void *>(intptr_t{7});
}

// Many threads throwing and catching concurrently.
static void *exception_storm(void *arg) {
  long caught = 0;
  for (int i = 0; i < 2000; i++) {
    try {
      if (i % 2) throw std::runtime_error("odd");
      throw i;
    } catch (std::runtime_error &) {
      caught += 1;
    } catch (int v) {
      caught += 1000 + (v & 1);
    }
  }
  return reinterpret_cast<void *>(caught);
}

int main() {
  const int N = 8;
  pthread_t th[N];
  Log logs[N];
  for (int i = 0; i < N; i++)
    if (pthread_create(&th[i], nullptr, (i % 2) ? thread_throws : thread_main, &logs[i])) fail("create");
  for (int i = 0; i < N; i++) {
    void *r = nullptr;
    if (pthread_join(th[i], &r)) fail("join");
    std::printf("thread %d returned %ld: %s\n", i, static_cast<long>(reinterpret_cast<intptr_t>(r)),
                logs[i].s.c_str());
  }
  const std::string want_exit = "+T +L1 +L2 +L3 ~L3 forced-unwind-seen ~L2 catch-all ~L1 ~T";
  const std::string want_throw = "+T +L1 +L2 +L3 ~L3 caught:boom after-try ~L2 L1-returns ~L1 ~T";
  for (int i = 0; i < N; i++)
    if (logs[i].s != ((i % 2) ? want_throw : want_exit)) fail("unwind order");

  pthread_t st[16];
  for (int i = 0; i < 16; i++)
    if (pthread_create(&st[i], nullptr, exception_storm, nullptr)) fail("create storm");
  long total = 0;
  for (int i = 0; i < 16; i++) {
    void *r;
    pthread_join(st[i], &r);
    total += reinterpret_cast<long>(r);
  }
  std::printf("exception storm: %ld (expected %ld)\n", total, 16L * (1000 + 1000L * 1000));
  if (total != 16L * (1000 + 1000L * 1000)) fail("exception storm");

  // std::thread: move-only handles, join, hardware_concurrency-independent results
  std::vector<std::thread> ts;
  std::vector<long> out(20);
  for (int i = 0; i < 20; i++)
    ts.emplace_back([i, &out] {
      long s = 0;
      for (int k = 0; k <= i * 1000; k++) s += k;
      out[i] = s;
    });
  for (auto &t : ts) {
    if (!t.joinable()) fail("joinable");
    t.join();
  }
  long sum = 0;
  for (long v : out) sum += v;
  std::printf("std::thread sum: %ld\n", sum);
  std::thread a([] {});
  std::thread::id aid = a.get_id();
  if (aid == std::this_thread::get_id() || aid == std::thread::id()) fail("thread ids");
  a.join();
  if (a.joinable() || a.get_id() != std::thread::id()) fail("joined thread id");
  std::printf("std::thread ids: ok\n");

  // pthread_exit inside a std::thread unwinds through libstdc++'s thread entry
  Log slog;
  std::thread e([&slog] {
    Guard g(&slog, "S");
    level1(&slog, 0);
  });
  e.join();
  std::printf("pthread_exit in std::thread: %s\n", slog.s.c_str());
  if (slog.s != "+S +L1 +L2 +L3 ~L3 forced-unwind-seen ~L2 catch-all ~L1 ~S") fail("std::thread exit");
  return 0;
}
