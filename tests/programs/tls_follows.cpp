// Thread-local state follows the thread: thread_local values and addresses,
// &errno, pthread_self() stay the same across blocking calls (which may move
// a green thread to another kernel thread), differ between threads, and
// thread_local destructors run once per thread. C++ exceptions thrown and
// caught across blocking calls keep their state (current_exception, nested
// rethrow, uncaught_exceptions).
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

static std::atomic<int> dtors{0};
struct Tracked {
  int value = 0;
  ~Tracked() { dtors++; }
};
thread_local Tracked tl_obj;
thread_local int tl_counter = 100;
static __thread long tl_plain = 7;
static std::mutex mu;
static std::barrier<>* all_here;  // every worker alive at once before any exits

struct Result {
  bool stable = true, exceptions = true;
  const void* tl_addr = nullptr;
  const void* errno_addr = nullptr;
};

static void block_a_bit(int i) {
  if (i % 3 == 0) usleep(200);
  else if (i % 3 == 1) {
    std::lock_guard<std::mutex> l(mu);
    std::this_thread::yield();
  } else {
    std::this_thread::yield();
  }
}

// Blocks while an exception unwinds through it: the count of uncaught
// exceptions must be 1 before and after the park.
struct BlockingDtor {
  Result* r;
  ~BlockingDtor() {
    int before = std::uncaught_exceptions();
    block_a_bit(0);
    if (before != 1 || std::uncaught_exceptions() != 1) r->exceptions = false;
  }
};

static void worker(int id, Result* r) {
  tl_obj.value = id;
  tl_counter = 1000 + id;
  tl_plain = id * 3;
  const void* a0 = &tl_counter;
  const int* e0 = &errno;
  pthread_t self0 = pthread_self();
  r->tl_addr = a0;
  r->errno_addr = e0;
  for (int i = 0; i < 200; i++) {
    errno = id + i;
    block_a_bit(i);
    if (errno != id + i) r->stable = false;
    if (&tl_counter != a0 || &errno != e0 || !pthread_equal(pthread_self(), self0)) r->stable = false;
    if (tl_obj.value != id || tl_counter != 1000 + id + i || tl_plain != id * 3) r->stable = false;
    tl_counter++;
  }
  // Exceptions that live across blocking calls.
  for (int i = 0; i < 20; i++) {
    try {
      throw std::runtime_error("outer " + std::to_string(id));
    } catch (const std::exception& outer) {
      block_a_bit(i);
      try {
        block_a_bit(i + 1);
        throw std::logic_error("inner");
      } catch (const std::logic_error&) {
        block_a_bit(i + 2);
        std::exception_ptr p = std::current_exception();
        if (!p) r->exceptions = false;
      }
      block_a_bit(i);
      if (std::string(outer.what()) != "outer " + std::to_string(id)) r->exceptions = false;
      std::exception_ptr cur = std::current_exception();
      try {
        std::rethrow_exception(cur);
      } catch (const std::runtime_error& again) {
        if (std::string(again.what()) != outer.what()) r->exceptions = false;
      }
      if (std::uncaught_exceptions() != 0) r->exceptions = false;
    }
    try {
      BlockingDtor d{r};
      throw std::runtime_error("unwinding");
    } catch (const std::runtime_error&) {
    }
  }
  // Addresses are compared while every thread is alive (an exited
  // thread's may be reused, natively too).
  all_here->arrive_and_wait();
}

int main() {
  const int n = 64;
  std::vector<Result> results(n);
  std::barrier<> b(n);
  all_here = &b;
  std::vector<std::thread> ts;
  for (int i = 0; i < n; i++) ts.emplace_back(worker, i, &results[i]);
  for (auto& t : ts) t.join();
  int stable = 0, exc = 0;
  for (int i = 0; i < n; i++) {
    stable += results[i].stable;
    exc += results[i].exceptions;
  }
  int same = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++)
      same += results[i].tl_addr == results[j].tl_addr || results[i].errno_addr == results[j].errno_addr;
  printf("thread_local, errno and pthread_self stable across blocking calls: %d/%d\n", stable, n);
  printf("threads sharing a thread_local or errno address: %d\n", same);
  printf("exceptions intact across blocking calls: %d/%d\n", exc, n);
  printf("thread_local destructors ran once per thread: %s\n", dtors.load() == n ? "yes" : "no");
  return (stable == n && exc == n && dtors.load() == n && same == 0) ? 0 : 1;
}
