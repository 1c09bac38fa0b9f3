// C++ standard library synchronisation built on pthreads: std::mutex,
// timed/recursive mutex, condition_variable, shared_mutex, call_once,
// std::async (its futures complete by joining the task thread), jthread.
// promise/future waits and the C++20 semaphore/latch/barrier/atomic wait,
// which libstdc++ builds on raw futex syscalls, are in cpp_futex_sync.cpp.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

static void fail(const char *what) { std::printf("FAIL: %s\n", what); std::exit(1); }
static void check(const char *what, bool ok) {
  std::printf("%s: %s\n", what, ok ? "ok" : "FAILED");
  if (!ok) fail(what);
}

int main() {
  // std::mutex counter
  {
    std::mutex m;
    long counter = 0;
    std::vector<std::thread> ts;
    for (int i = 0; i < 8; i++)
      ts.emplace_back([&] { for (int k = 0; k < 20000; k++) { std::lock_guard<std::mutex> g(m); counter++; } });
    for (auto &t : ts) t.join();
    std::printf("std::mutex counter: %ld\n", counter);
    if (counter != 160000) fail("mutex counter");
    std::timed_mutex tm;
    tm.lock();
    bool got = true;
    auto t0 = Clock::now();
    std::thread([&] { got = tm.try_lock_for(50ms); }).join();
    check("timed_mutex try_lock_for 50ms on held mutex times out", !got && Clock::now() - t0 >= 50ms);
    tm.unlock();
    std::recursive_mutex rm;
    rm.lock(); rm.lock();
    bool other = true;
    std::thread([&] { other = rm.try_lock(); if (other) rm.unlock(); }).join();
    rm.unlock(); rm.unlock();
    check("recursive_mutex held twice, try_lock from other thread fails", !other);
  }
  // condition_variable
  {
    std::mutex m;
    std::condition_variable cv;
    std::unique_lock<std::mutex> lk(m);
    auto t0 = Clock::now();
    auto st = cv.wait_for(lk, 100ms);
    // a spurious wakeup would be legal but is not expected here
    check("wait_for 100ms returns cv_status::timeout", st == std::cv_status::timeout && Clock::now() - t0 >= 100ms);
    bool ready = false;
    std::thread t([&] { std::this_thread::sleep_for(30ms); { std::lock_guard<std::mutex> g(m); ready = true; } cv.notify_one(); });
    bool ok = cv.wait_for(lk, 5s, [&] { return ready; });
    lk.unlock();
    t.join();
    check("wait_for with predicate, notified in time", ok);
    int gen = 0, woke = 0;
    std::vector<std::thread> ws;
    for (int i = 0; i < 10; i++)
      ws.emplace_back([&] { std::unique_lock<std::mutex> l(m); cv.wait(l, [&] { return gen == 1; }); woke++; });
    { std::lock_guard<std::mutex> g(m); gen = 1; }
    cv.notify_all();
    for (auto &w : ws) w.join();
    check("notify_all woke 10 waiters", woke == 10);
  }
  // shared_mutex
  {
    std::shared_mutex sm;
    long a = 0, b = 0;
    std::atomic<long> torn{0}, reads{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 2; i++)
      ts.emplace_back([&] { for (int k = 0; k < 5000; k++) { std::unique_lock g(sm); a++; std::this_thread::yield(); b++; } });
    for (int i = 0; i < 6; i++)
      ts.emplace_back([&] { for (int k = 0; k < 5000; k++) { std::shared_lock g(sm); if (a != b) torn++; reads++; } });
    for (auto &t : ts) t.join();
    std::printf("shared_mutex: a=%ld b=%ld reads=%ld torn=%ld\n", a, b, reads.load(), torn.load());
    if (a != 10000 || b != 10000 || torn != 0 || reads != 30000) fail("shared_mutex");
    sm.lock_shared();
    bool excl = true, shr = false;
    std::thread([&] { excl = sm.try_lock(); if (excl) sm.unlock(); shr = sm.try_lock_shared(); if (shr) sm.unlock_shared(); }).join();
    sm.unlock_shared();
    check("shared held: try_lock fails, try_lock_shared succeeds", !excl && shr);
  }
  // call_once
  {
    std::once_flag flag;
    std::atomic<int> runs{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 16; i++)
      ts.emplace_back([&] { std::call_once(flag, [&] { std::this_thread::sleep_for(20ms); runs++; }); if (runs != 1) fail("call_once early return"); });
    for (auto &t : ts) t.join();
    check("call_once ran exactly once", runs == 1);
  }
  // async / future
  {
    std::vector<std::future<long>> fs;
    for (long i = 0; i < 100; i++)
      fs.push_back(std::async(std::launch::async, [i] { long s = 0; for (long k = 0; k <= i; k++) s += k * k; return s; }));
    long total = 0;
    for (auto &f : fs) total += f.get();
    std::printf("100 async tasks: sum=%ld\n", total);
    if (total != 8332500) fail("async sum");
    auto thrower = std::async(std::launch::async, [] () -> int { throw std::runtime_error("from task"); });
    bool caught = false;
    try { thrower.get(); } catch (std::runtime_error &e) { caught = std::string(e.what()) == "from task"; }
    check("exception propagates through future", caught);
  }
  // jthread with stop_token
  {
    long iters = 0;
    {
      std::jthread jt([&](std::stop_token st) { while (!st.stop_requested()) { iters++; std::this_thread::sleep_for(1ms); } });
      std::this_thread::sleep_for(30ms);
    } // destructor requests stop and joins
    check("jthread stopped and joined", iters > 0);
  }
  auto t0 = Clock::now();
  std::this_thread::sleep_for(30ms);
  check("sleep_for 30ms", Clock::now() - t0 >= 30ms && Clock::now() - t0 < 2030ms);
  return 0;
}
