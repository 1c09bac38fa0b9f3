// Synchronisation that libstdc++ (GCC 12) implements with raw
// syscall(SYS_futex, ...) rather than pthreads: std::promise/std::future
// waits (__atomic_futex_unsigned in libstdc++.so), and the header-inline
// C++20 std::counting_semaphore, binary_semaphore, latch, barrier and
// std::atomic<T>::wait / atomic_flag::wait.
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <latch>
#include <semaphore>
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
  // promise / future across threads
  {
    std::promise<int> p;
    auto f = p.get_future();
    auto t0 = Clock::now();
    check("future wait_for 50ms before set -> timeout",
          f.wait_for(50ms) == std::future_status::timeout && Clock::now() - t0 >= 50ms);
    std::thread t([&] { std::this_thread::sleep_for(20ms); p.set_value(99); });
    check("future::get woken by set_value in another thread", f.get() == 99);
    t.join();
    std::promise<void> go;
    std::shared_future<void> sf = go.get_future().share();
    std::atomic<int> woke{0};
    std::vector<std::thread> ws;
    for (int i = 0; i < 8; i++) ws.emplace_back([&] { sf.wait(); woke++; });
    std::this_thread::sleep_for(20ms);
    check("shared_future: 8 waiters still blocked", woke == 0);
    go.set_value();
    for (auto &w : ws) w.join();
    check("shared_future: set_value woke 8 waiters", woke == 8);
  }
  // counting_semaphore bounding concurrency
  std::counting_semaphore<8> sem(3);
  std::atomic<int> inside{0}, max_inside{0}, done{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 12; i++)
    ts.emplace_back([&] {
      for (int k = 0; k < 200; k++) {
        sem.acquire();
        int n = ++inside;
        int m = max_inside.load();
        while (n > m && !max_inside.compare_exchange_weak(m, n)) {}
        std::this_thread::yield();
        --inside;
        sem.release();
        done++;
      }
    });
  for (auto &t : ts) t.join();
  check("counting_semaphore(3): at most 3 holders at once, 2400 acquisitions", max_inside <= 3 && done == 2400);
  for (int i = 0; i < 3; i++)
    if (!sem.try_acquire()) fail("try_acquire with count");
  check("try_acquire on 0 fails", !sem.try_acquire());
  auto t0 = Clock::now();
  check("try_acquire_for 50ms on 0 times out", !sem.try_acquire_for(50ms) && Clock::now() - t0 >= 50ms);
  t0 = Clock::now();
  check("try_acquire_until now+50ms on 0 times out",
        !sem.try_acquire_until(Clock::now() + 50ms) && Clock::now() - t0 >= 50ms);
  std::thread r([&] { std::this_thread::sleep_for(20ms); sem.release(2); });
  check("blocked acquire satisfied by release(2) from another thread", sem.try_acquire_for(5s) && sem.try_acquire_for(5s));
  r.join();
  check("count back to 0", !sem.try_acquire());

  // binary_semaphore ping-pong
  std::binary_semaphore ping(0), pong(0);
  int trips = 0;
  std::thread pp([&] { for (int i = 0; i < 5000; i++) { ping.acquire(); pong.release(); } });
  for (int i = 0; i < 5000; i++) { ping.release(); pong.acquire(); trips++; }
  pp.join();
  std::printf("binary_semaphore ping-pong round trips: %d\n", trips);

  // latch
  std::latch l(8);
  std::atomic<int> before{0}, bad{0};
  std::vector<std::thread> ls;
  for (int i = 0; i < 8; i++) ls.emplace_back([&] { before++; l.arrive_and_wait(); if (before != 8) bad++; });
  for (auto &t : ls) t.join();
  check("latch: everyone arrived before anyone left", bad == 0 && l.try_wait());
  std::latch gate(1);
  std::atomic<int> passed{0};
  std::vector<std::thread> gs;
  for (int i = 0; i < 6; i++) gs.emplace_back([&] { gate.wait(); passed++; });
  std::this_thread::sleep_for(20ms);
  check("latch(1): waiters held before count_down", passed == 0 && !gate.try_wait());
  gate.count_down();
  for (auto &t : gs) t.join();
  check("latch(1): count_down released 6 waiters", passed == 6);

  // barrier with completion function, then arrive_and_drop
  std::atomic<int> phases{0};
  std::barrier bar(6, [&]() noexcept { phases++; });
  std::atomic<int> phase_bad{0};
  std::vector<std::thread> bs;
  for (int i = 0; i < 6; i++)
    bs.emplace_back([&, i] {
      for (int k = 0; k < 50; k++) {
        bar.arrive_and_wait();
        if (phases.load() < k + 1) phase_bad++;
      }
      if (i >= 3) { bar.arrive_and_drop(); return; }
      for (int k = 0; k < 10; k++) bar.arrive_and_wait(); // 1st meets the drops
    });
  for (auto &t : bs) t.join();
  std::printf("barrier phases completed: %d\n", phases.load());
  check("barrier: completion ran once per phase, nobody left early", phases == 60 && phase_bad == 0);

  // atomic wait / notify_one / notify_all
  std::atomic<int> flag{0};
  std::thread w([&] { flag.wait(0); });
  std::this_thread::sleep_for(20ms);
  flag = 1;
  flag.notify_one();
  w.join();
  check("atomic<int>::wait woken by notify_one", true);
  std::atomic<int> gen{0}, woke{0};
  std::vector<std::thread> ws;
  for (int i = 0; i < 10; i++) ws.emplace_back([&] { gen.wait(0); woke++; });
  std::this_thread::sleep_for(20ms);
  gen = 1;
  gen.notify_all();
  for (auto &t : ws) t.join();
  check("atomic<int>::wait: notify_all woke 10 waiters", woke == 10);
  std::atomic_flag af;
  std::thread fw([&] { af.wait(false); });
  std::this_thread::sleep_for(10ms);
  af.test_and_set();
  af.notify_one();
  fw.join();
  check("atomic_flag::wait", true);
  return 0;
}
