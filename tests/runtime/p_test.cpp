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
  while (sched.runqhead) {
    sched.runqhead = sched.runqhead->schedlink;
    n++;
  }
  sched.runqtail = nullptr;
  sched.runqsize.store(0);
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
