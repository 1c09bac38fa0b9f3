#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "runtime/p.h"
#include "runtime/timer.h"

using namespace gmp;

TEST_SUITE("runtime/timer") {
  TEST_CASE("heap pops in deadline order") {
    P p;
    std::vector<Timer> ts(500);
    std::mt19937 rng(42);
    for (auto& t : ts) {
      t.when = 1 + rng() % 100000;
      heap_push(&p.timers, &t, &p);
    }
    int64_t last = 0;
    int n = 0;
    while (Timer* t = heap_pop(&p.timers)) {
      CHECK(t->when >= last);
      last = t->when;
      n++;
    }
    CHECK(n == 500);
  }

  TEST_CASE("removing from the middle keeps the heap ordered") {
    P p;
    std::vector<Timer> ts(200);
    for (int i = 0; i < 200; i++) {
      ts[i].when = (i * 7919) % 1000 + 1;
      heap_push(&p.timers, &ts[i], &p);
    }
    for (int i = 0; i < 200; i += 3) heap_remove(&p.timers, &ts[i]);
    int64_t last = 0;
    int n = 0;
    while (Timer* t = heap_pop(&p.timers)) {
      CHECK(t->when >= last);
      last = t->when;
      n++;
    }
    CHECK(n == 200 - 67);
  }

  TEST_CASE("check_timers runs expired timers only, in order, and reports the next") {
    P p;
    static std::vector<int> fired;
    fired.clear();
    std::vector<Timer> ts(5);
    for (int i = 0; i < 5; i++) {
      ts[i].when = (5 - i) * 100;  // 500, 400, ..., 100
      ts[i].fn = [](void* arg, uint64_t) { fired.push_back(int(reinterpret_cast<intptr_t>(arg))); };
      ts[i].arg = reinterpret_cast<void*>(intptr_t((5 - i) * 100));
      CHECK(timer_add(&p, &ts[i]) == (i == 4 || i == 0 ? true : true));
    }
    CHECK(p.timer0.load() == 100);
    int64_t next = check_timers(&p, 300);
    CHECK(fired == std::vector<int>{100, 200, 300});
    CHECK(next == 400);
    CHECK(ts[4].state.load() == Timer::kIdle);
    CHECK(timer_del(&ts[0]));         // 500 still armed
    CHECK_FALSE(timer_del(&ts[4]));   // 100 already fired
    CHECK(check_timers(&p, 1000) == 0);
    CHECK(fired.size() == 4);
  }
}
