#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "runtime/g.h"
#include "runtime/p.h"
#include "runtime/sched_internal.h"

using namespace gmp;

namespace {
std::vector<G>& pool() {
  static std::vector<G> gs(2000);
  return gs;
}
// drain_global takes everything off the global queue (the overflow target).
int drain_global() {
  Guard<Lock> l(sched.lock);
  int n = 0;
  while (globrunq_pop_locked()) n++;
  return n;
}
}  // namespace

TEST_SUITE("runtime/p") {
  TEST_CASE("runq_put then runq_get is FIFO; runnext goes first") {
    P p;
    auto& gs = pool();
    for (int i = 0; i < 10; i++) runq_put(&p, &gs[i], false);
    runq_put(&p, &gs[100], true);
    bool inherit = false;
    CHECK(runq_get(&p, &inherit) == &gs[100]);
    CHECK(inherit);
    for (int i = 0; i < 10; i++) {
      CHECK(runq_get(&p, &inherit) == &gs[i]);
      CHECK_FALSE(inherit);
    }
    CHECK(runq_get(&p, &inherit) == nullptr);
    CHECK(runq_empty(&p));
  }

  TEST_CASE("a second runnext kicks the first to the tail") {
    P p;
    auto& gs = pool();
    runq_put(&p, &gs[0], true);
    runq_put(&p, &gs[1], true);
    bool inherit;
    CHECK(runq_get(&p, &inherit) == &gs[1]);
    CHECK(runq_get(&p, &inherit) == &gs[0]);
  }

  TEST_CASE("overflow moves half of the ring plus one to the global queue") {
    sched.gomaxprocs = 1;
    drain_global();
    P p;
    auto& gs = pool();
    for (uint32_t i = 0; i < kRunqSize + 1; i++) runq_put(&p, &gs[i], false);
    CHECK(runq_size(&p) == kRunqSize / 2);
    CHECK(drain_global() == int(kRunqSize / 2 + 1));
  }

  TEST_CASE("the global queue is FIFO across its ring and its overflow list") {
    drain_global();
    // Small Gs of our own: more than the ring holds.
    constexpr int n = int(Sched::kRingSize) + 500;
    static std::vector<G> many(n);
    {
      Guard<Lock> l(sched.lock);
      for (int i = 0; i < 100; i++) globrunq_put_locked(&many[i]);
    }
    // A batch (a schedlink list) that fills the ring and spills over.
    for (int i = 100; i < n - 1; i++) many[i].schedlink = &many[i + 1];
    globrunq_put_batch(&many[100], &many[n - 2], uint32_t(n - 101));
    {
      Guard<Lock> l(sched.lock);
      globrunq_put_locked(&many[n - 1]);  // behind the overflow, not in a freed ring slot
      CHECK(sched.runqsize.load() == uint32_t(n));
      // Take some, put one back: it must still come last.
      for (int i = 0; i < 10; i++) CHECK(globrunq_pop_locked() == &many[i]);
      globrunq_put_locked(&many[0]);
      bool ok = true;
      for (int i = 10; i < n; i++) ok = ok && globrunq_pop_locked() == &many[i];
      CHECK(ok);
      CHECK(globrunq_pop_locked() == &many[0]);
      CHECK(globrunq_pop_locked() == nullptr);
      CHECK(sched.runqsize.load() == 0);
    }
  }

  TEST_CASE("steal takes half of the victim's queue, nothing lost or duplicated") {
    P p, victim;
    auto& gs = pool();
    for (int i = 0; i < 100; i++) runq_put(&victim, &gs[i], false);
    G* g = runq_steal(&p, &victim, false);
    REQUIRE(g != nullptr);
    CHECK(runq_size(&p) == 49);  // 50 stolen: one returned, 49 queued
    CHECK(runq_size(&victim) == 50);
    std::set<G*> seen{g};
    bool inherit;
    while (G* x = runq_get(&p, &inherit)) CHECK(seen.insert(x).second);
    while (G* x = runq_get(&victim, &inherit)) CHECK(seen.insert(x).second);
    CHECK(seen.size() == 100);
  }

  TEST_CASE("steal of runnext only when asked") {
    P p, victim;
    auto& gs = pool();
    runq_put(&victim, &gs[7], true);
    CHECK(runq_steal(&p, &victim, false) == nullptr);
    CHECK(runq_steal(&p, &victim, true) == &gs[7]);
    CHECK(runq_empty(&victim));
  }

  TEST_CASE("concurrent owner and thieves never lose or duplicate a G") {
    P owner, thief;
    auto& gs = pool();
    std::atomic<int> taken{0};
    std::atomic<bool> done{false};
    std::vector<int> hits(gs.size());
    std::thread t([&] {
      while (!done.load() || !runq_empty(&owner)) {
        if (G* g = runq_steal(&thief, &owner, true)) {
          hits[g - gs.data()]++;
          taken++;
          bool inh;
          while (G* x = runq_get(&thief, &inh)) {
            hits[x - gs.data()]++;
            taken++;
          }
        }
      }
    });
    bool inh;
    for (size_t i = 0; i < gs.size(); i++) {
      runq_put(&owner, &gs[i], i % 7 == 0);
      if (i % 3 == 0)
        if (G* x = runq_get(&owner, &inh)) {
          hits[x - gs.data()]++;
          taken++;
        }
    }
    done = true;
    t.join();
    while (G* x = runq_get(&owner, &inh)) {
      hits[x - gs.data()]++;
      taken++;
    }
    int global = drain_global();
    CHECK(taken.load() + global == int(gs.size()));
    for (int h : hits) CHECK(h <= 1);
  }
}
