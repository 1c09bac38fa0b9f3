// thrd_exit (glibc's own exit path, which no hook sees) unwinds C++ frames:
// live objects' destructors run innermost first, catch(...) blocks that
// rethrow run, and thread_local destructors follow, in a thread made by
// thrd_create and in one made by std::thread (pthread_create); both after
// blocking calls that may move the thread to another kernel thread.
#include <threads.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

static std::mutex log_mu;
static std::string log_text;
static void say(const std::string& s) {
  std::lock_guard<std::mutex> l(log_mu);
  if (!log_text.empty()) log_text += ' ';
  log_text += s;
}

struct Noisy {
  std::string name;
  explicit Noisy(std::string n) : name(std::move(n)) {}
  ~Noisy() { say("~" + name); }
};

struct TlsNoisy {
  ~TlsNoisy() { say("~thread_local"); }
  void touch() {}
};
thread_local TlsNoisy tl;

static void deepest(int code) {
  Noisy n("deepest");
  usleep(100);
  say("thrd_exit");
  thrd_exit(code);
}

static void middle(int code) {
  Noisy n("middle");
  try {
    deepest(code);
  } catch (...) {
    say("catch(...)");
    throw;  // forced unwinding must go on
  }
}

static int c11_body(void*) {
  tl.touch();
  Noisy n("outer");
  std::this_thread::yield();
  middle(5);
  say("not reached");
  return 0;
}

int main() {
  thrd_t t;
  thrd_create(&t, c11_body, nullptr);
  int res = -1;
  thrd_join(t, &res);
  std::printf("thrd_create thread: result %d, %s\n", res, log_text.c_str());

  log_text.clear();
  std::thread st([] {
    tl.touch();
    Noisy n("lambda");
    usleep(100);
    middle(9);
  });
  st.join();
  std::printf("std::thread thread: %s\n", log_text.c_str());
  return 0;
}
