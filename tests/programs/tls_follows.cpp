// Thread-local state follows the thread: thread_local values and addresses,
// &errno, pthread_self() stay the same across blocking calls (which may move
// a green thread to another kernel thread), differ between threads, and
// thread_local destructors run once per thread. C++ exceptions thrown and
// caught across blocking calls keep their state (current_exception, nested
// rethrow, uncaught_exceptions).
#include <pthread.h>
#include <unistd.h>

#include <atomic>
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
  }
}

int main() {
  const int n = 64;
  std::vector<Result> results(n);
  std::vector<std::thread> ts;
  for (int i = 0; i < n; i++) ts.emplace_back(worker, i, &results[i]);
  for (auto& t : ts) t.join();
  int stable = 0, exc = 0;
  for (int i = 0; i < n; i++) {
    stable += results[i].stable;
    exc += results[i].exceptions;
  }
  printf("thread_local, errno and pthread_self stable across blocking calls: %d/%d\n", stable, n);
  printf("exceptions intact across blocking calls: %d/%d\n", exc, n);
  printf("thread_local destructors ran once per thread: %s\n", dtors.load() == n ? "yes" : "no");
  return (stable == n && exc == n && dtors.load() == n) ? 0 : 1;
}
