// thread.cpp — see thread.h.
//
// Join/detach states of a G (G.join, a futex word for joiners):
//   Joinable --exit--> Zombie --join--> Recycled (G freed by the joiner)
//   Joinable --detach--> Detached --exit--> Recycled (G freed by g0 at exit)
//   Zombie --detach--> Recycled (freed by the detacher)
// Each arrow is one CAS; whoever makes the transition into Recycled frees the G.
//
// Thread exit. With per-G TLS (the default) a G is, to glibc, a thread with
// a TCB of its own, and exit is glibc's own: thread_main, like glibc's
// start_thread, _setjmp's a struct pthread_unwind_buf on the G's stack and
// makes it the TCB's cleanup_jmp_buf, the outermost buffer of the chain
// that pthread_cleanup_push (without -fexceptions) extends through glibc's
// __pthread_register_cancel. glibc's pthread_exit — reached from our hook,
// from cancellation, or from thrd_exit, which no hook sees — stores the
// value in the TCB and runs _Unwind_ForcedUnwind: C++ destructors and
// catch(...)+rethrow as landing pads, C handlers by longjmp into each
// registered buffer, and finally a longjmp back into thread_main, which
// ends the G. The main G's entry (thread_run_main) does the same on the main
// thread's TCB, so pthread_exit or thrd_exit in main ends G1, not M0.
//
// With GMP_TLS=0 Gs share their M's TCB, so glibc's chain cannot be
// theirs: libgmp then unwinds the same way itself. _Unwind_ForcedUnwind
// through the G's frames, running C++ destructors and
// __attribute__((cleanup)) handlers as landing pads, and catch(...) blocks
// that must rethrow. C handlers pushed with pthread_cleanup_push register a
// jmp_buf with __pthread_register_cancel; we keep that chain per G
// (G.cleanup) and, when the unwind passes the frame that registered one,
// longjmp into it; the handler runs and continues with
// __pthread_unwind_next. When the unwind reaches thread_main's frame we
// longjmp back there and the G exits.
#include "runtime/thread.h"
#include "runtime/kthread.h"

#include <cerrno>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <unwind.h>

#include "preload/real.h"
#include "runtime/cancel.h"
#include "runtime/futex.h"
#include "runtime/os.h"
#include "runtime/sched.h"
#include "runtime/sync.h"
#include "runtime/tls.h"

namespace gmp {

namespace {

std::atomic<int64_t> g_live{1};  // G1
pthread_t g_main_handle{};
G* g_main_g = nullptr;

// Per-G unwind state, kept on the G's own stack in thread_main.
struct EntryFrame {
  jmp_buf jb;
  _Unwind_Exception exc;
};

// glibc's __pthread_unwind_buf_t, as far as we use it: the jmp_buf the
// cleanup macro set, and a private word where we keep the chain link.
struct CancelBuf {
  struct {
    long jmp[8];
    int mask_was_saved;
  } cancel_jmp_buf[1];
  void* prev;  // priv.data.prev
  void* pad[3];
};

}  // namespace

int64_t live_gs() { return g_live.load(std::memory_order_relaxed); }

void set_main_handle(pthread_t main, G* g1) {
  g_main_handle = main;
  g_main_g = g1;
}

G* g_of_thread(pthread_t t) {
  if (g_main_g && t == g_main_handle) return g_main_g;
  return g_from_handle(uintptr_t(t));
}

pthread_t thread_handle(G* g) {
  if (g == g_main_g) return g_main_handle;
  return g->tcb ? pthread_t(g->tcb) : pthread_t(g);
}

G* main_g() { return g_main_g; }

pid_t thread_tid(G* g) { return g == g_main_g ? os::getpid() : g_thread_id(g); }

////////////////////////////////////////////////////////////////////////////
// Keys
////////////////////////////////////////////////////////////////////////////

constexpr int kKeys = PTHREAD_KEYS_MAX;  // 1024
constexpr int kKeyBlock = 32;

struct KeySlot {
  std::atomic<uint64_t> seq{0};  // odd: in use; bumped by create and delete
  std::atomic<void (*)(void*)> dtor{nullptr};
};
KeySlot g_keys[kKeys];

struct KeyEntry {
  void* value;
  uint64_t seq;
};
struct KeyBlock {
  KeyEntry* blocks[kKeys / kKeyBlock];
};

static __thread KeyBlock* tls_foreign_keys;  // threads that are not Gs

static KeyBlock** my_keys() {
  G* g = getg();
  if (g && !g->is_g0) return &g->keys;
  return &tls_foreign_keys;
}

int key_create(pthread_key_t* key, void (*dtor)(void*)) {
  for (int i = 0; i < kKeys; i++) {
    uint64_t s = g_keys[i].seq.load(std::memory_order_relaxed);
    if (s & 1) continue;
    if (g_keys[i].seq.compare_exchange_strong(s, s + 1, std::memory_order_acq_rel)) {
      g_keys[i].dtor.store(dtor, std::memory_order_release);
      *key = pthread_key_t(i);
      return 0;
    }
  }
  return EAGAIN;
}

int key_delete(pthread_key_t key) {
  if (key >= unsigned(kKeys)) return EINVAL;
  uint64_t s = g_keys[key].seq.load(std::memory_order_relaxed);
  if (!(s & 1) || !g_keys[key].seq.compare_exchange_strong(s, s + 1, std::memory_order_acq_rel)) return EINVAL;
  return 0;
}

void* key_get(pthread_key_t key) {
  if (key >= unsigned(kKeys)) return nullptr;
  KeyBlock* kb = *my_keys();
  if (!kb) return nullptr;
  KeyEntry* b = kb->blocks[key / kKeyBlock];
  if (!b) return nullptr;
  KeyEntry& e = b[key % kKeyBlock];
  return e.seq == g_keys[key].seq.load(std::memory_order_acquire) ? e.value : nullptr;
}

int key_set(pthread_key_t key, const void* value) {
  if (key >= unsigned(kKeys)) return EINVAL;
  uint64_t seq = g_keys[key].seq.load(std::memory_order_acquire);
  if (!(seq & 1)) return EINVAL;
  KeyBlock** kbp = my_keys();
  if (!*kbp) {
    if (value == nullptr) return 0;
    *kbp = static_cast<KeyBlock*>(calloc(1, sizeof(KeyBlock)));
    if (!*kbp) return ENOMEM;
  }
  KeyEntry*& b = (*kbp)->blocks[key / kKeyBlock];
  if (!b) {
    if (value == nullptr) return 0;
    b = static_cast<KeyEntry*>(calloc(kKeyBlock, sizeof(KeyEntry)));
    if (!b) return ENOMEM;
  }
  b[key % kKeyBlock] = KeyEntry{const_cast<void*>(value), seq};
  return 0;
}

// run_key_destructors: as glibc, up to PTHREAD_DESTRUCTOR_ITERATIONS rounds
// while destructors keep setting values.
static void run_key_destructors(G* g) {
  KeyBlock* kb = g->keys;
  if (!kb) return;
  for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
    bool any = false;
    for (int bi = 0; bi < kKeys / kKeyBlock; bi++) {
      KeyEntry* b = kb->blocks[bi];
      if (!b) continue;
      for (int i = 0; i < kKeyBlock; i++) {
        int key = bi * kKeyBlock + i;
        KeyEntry& e = b[i];
        if (e.value == nullptr) continue;
        void* v = e.value;
        e.value = nullptr;
        if (e.seq != g_keys[key].seq.load(std::memory_order_acquire)) continue;
        auto dtor = g_keys[key].dtor.load(std::memory_order_acquire);
        if (dtor) {
          any = true;
          dtor(v);
        }
      }
    }
    if (!any) break;
  }
  for (int bi = 0; bi < kKeys / kKeyBlock; bi++) free(kb->blocks[bi]);
  free(kb);
  g->keys = nullptr;
}

////////////////////////////////////////////////////////////////////////////
// Create / exit
////////////////////////////////////////////////////////////////////////////

int thread_create(pthread_t* out, const pthread_attr_t* attr, void* (*start)(void*), void* arg, bool c11) {
  size_t size = default_stack_size();
  void* user_stack = nullptr;
  size_t user_size = 0;
  int detach = PTHREAD_CREATE_JOINABLE;
  size_t guard = 4096;
  if (attr) {
    pthread_attr_getdetachstate(attr, &detach);
    // glibc keeps the stack's top; getstack reports top - size, so an attr
    // with no stack set reports an address of exactly -size.
    void* lo = nullptr;
    size_t sz = 0;
    pthread_attr_getstack(attr, &lo, &sz);
    if (uintptr_t(lo) + sz != 0) {
      user_stack = lo;
      user_size = sz;
    } else {
      size_t s = 0;
      pthread_attr_getstacksize(attr, &s);
      if (s) size = s;
    }
    pthread_attr_getguardsize(attr, &guard);
  }
  G* g = g_alloc();
  if (!g) return EAGAIN;
  if (int e = kt_create(g, attr)) {  // the creator's affinity and policy, or attr's
    g_release(g);
    return e;
  }
  if (user_stack) {
    g->stack.lo = static_cast<char*>(user_stack);
    g->stack.size = user_size;
    g->stack.map = nullptr;
    g->user_stack = true;
  } else if (!stack_alloc(size, &g->stack)) {
    g_release(g);
    return EAGAIN;
  }
  g->guard_size = guard;
  if (tls_enabled() && !tls_alloc(g)) {
    if (!user_stack) stack_free(&g->stack);
    g_release(g);
    return EAGAIN;
  }
  inherit_name(g);
  g->start = start;
  g->arg = arg;
  g->c11 = c11;
  g->join.store(detach == PTHREAD_CREATE_DETACHED ? kDetached : kJoinable, std::memory_order_relaxed);
  prepare_context(g);
  g_live.fetch_add(1, std::memory_order_relaxed);
  *out = thread_handle(g);  // before it runs: the new thread may read it
  spawn(g);
  return 0;
}

// finish_exit runs on g0 once the exiting G is off its stack. The exit is
// published (thread_exit_publish) at once, or, when this M retires, by
// sysmon once its kernel thread is gone (see "Retiring" in sched.cpp).
static void finish_exit(G* g, void*) {
  if (!g->user_stack && g->stack.map) stack_free(&g->stack);
  if (g->tcb) tls_retire(g);
  if (mretire_keep_exit(g)) return;
  thread_exit_publish(g);
}

void thread_exit_publish(G* g) {
  g->status.store(GStatus::kDead, std::memory_order_release);
  uint32_t s = kJoinable;
  if (g->join.compare_exchange_strong(s, kZombie, std::memory_order_acq_rel)) {
    futex_wake(reinterpret_cast<const uint32_t*>(&g->join), INT32_MAX);
    return;
  }
  if (s == kDetached) {
    g->join.store(kRecycled, std::memory_order_relaxed);
    g_release(g);
  }
}

// g_finish ends the current G: the exit work glibc's start_thread does
// after the start routine, in its order, then the G leaves its stack.
[[noreturn]] static void g_finish(G* g, void* retval) {
  if (tls_enabled()) tls_thread_exit();  // thread_local destructors, as glibc: before keys
  run_key_destructors(g);
  if (tls_enabled()) tls_thread_freeres();
  kt_exit(g);           // the M gets its affinity and policy back
  mutex_owner_exit(g);  // robust mutexes still held die with their owner; unpin
  g->retval = retval;
  if (g->lockedm) {  // main thread left through pthread_exit: free M0
    kt_main_exit(g);  // after main's own sched_* calls, M0 gets the defaults back
    g->lockedm->lockedg = nullptr;
    g->lockedm = nullptr;
  }
  // The last thread to exit ends the process with status 0, as glibc does.
  if (g_live.fetch_sub(1, std::memory_order_acq_rel) == 1) exit(0);
  goexit(finish_exit, nullptr);
}

// run_start calls the G's start routine. A C11 thread's returns int, which
// glibc widens to a pointer the same way (thrd_join narrows it back).
static void* run_start(G* g) {
  if (g->c11) {
    auto start = reinterpret_cast<int (*)(void*)>(reinterpret_cast<void (*)()>(g->start));
    return reinterpret_cast<void*>(uintptr_t(start(g->arg)));
  }
  return g->start(g->arg);
}

void thread_main(G* g) {
  // The attributes it was created with (kt_create): before anything runs.
  if (g->kt_pending.load(std::memory_order_relaxed) != 0) kt_apply(g);
  EntryFrame frame;
  g->unwind_jmp = &frame;
  if (tls_enabled()) {
    tls_thread_start();
    // See "Thread exit" above: glibc's forced unwind longjmps here when it
    // reaches this frame (it never unwinds the frame itself).
    GlibcUnwindBuf ub;
    if (_setjmp(reinterpret_cast<__jmp_buf_tag*>(static_cast<void*>(&ub))) == 0) {
      tls_push_exit_buf(&ub);
      g_finish(g, run_start(g));
    }
    g_finish(g, tls_exit_value());
  }
  if (setjmp(frame.jb) == 0) {
    void* r = run_start(g);
    g_finish(g, r);
  }
  // pthread_exit's unwind landed here.
  g_finish(g, g->retval);
  __builtin_unreachable();
}

static _Unwind_Reason_Code exit_stop(int, _Unwind_Action actions, _Unwind_Exception_Class,
                                     _Unwind_Exception*, _Unwind_Context* ctx, void* param) {
  G* g = static_cast<G*>(param);
  auto* frame = static_cast<EntryFrame*>(g->unwind_jmp);
  uintptr_t cfa = (actions & _UA_END_OF_STACK) ? UINTPTR_MAX : _Unwind_GetCFA(ctx);
  if (g->cleanup && cfa > uintptr_t(g->cleanup)) {
    // The frame that registered the innermost C cleanup buffer: run it.
    auto* buf = static_cast<CancelBuf*>(g->cleanup);
    longjmp(reinterpret_cast<__jmp_buf_tag*>(buf->cancel_jmp_buf), 1);
  }
  if (cfa > uintptr_t(frame)) longjmp(frame->jb, 1);
  return _URC_NO_REASON;
}

static void exit_exception_cleanup(_Unwind_Reason_Code, _Unwind_Exception*) {
  // A catch(...) swallowed the unwind of pthread_exit; glibc aborts too.
  static const char msg[] = "FATAL: exception not rethrown\n";
  os::write(2, msg, sizeof msg - 1);
  abort();
}

static void start_unwind(G* g) {
  auto* frame = static_cast<EntryFrame*>(g->unwind_jmp);
  memset(&frame->exc, 0, sizeof frame->exc);
  frame->exc.exception_class = 0x474d500045584954ull;  // "GMP\0EXIT"
  frame->exc.exception_cleanup = exit_exception_cleanup;
  _Unwind_ForcedUnwind(&frame->exc, exit_stop, g);
  // Only reached if the unwinder failed (no unwind info): leave directly.
  longjmp(frame->jb, 1);
}

void thread_exit(void* retval) {
  if (tls_enabled()) {
    real::pthread_exit(retval);  // to thread_main's (or thread_run_main's) buffer
    __builtin_unreachable();
  }
  G* g = getg();
  g->retval = retval;
  start_unwind(g);
  __builtin_unreachable();
}

// The cleanup buffer glibc's __libc_start_call_main had installed for the
// main thread (its own pthread_exit landing), restored when main leaves.
static void* g_main_prev_buf;

int thread_run_main(int (*main)(int, char**, char**), int argc, char** argv, char** envp) {
  G* g = getg();
  EntryFrame frame;
  g->unwind_jmp = &frame;
  if (tls_enabled()) {
    // As thread_main: glibc's pthread_exit/thrd_exit from main lands here
    // and ends G1; without this it would land in glibc's own
    // __libc_start_call_main and end the kernel thread, M0.
    GlibcUnwindBuf ub;
    if (_setjmp(reinterpret_cast<__jmp_buf_tag*>(static_cast<void*>(&ub))) == 0) {
      g_main_prev_buf = tls_push_exit_buf(&ub);
      int r = main(argc, argv, envp);
      tls_pop_exit_buf(g_main_prev_buf);
      return r;
    }
    tls_pop_exit_buf(g_main_prev_buf);
    g_finish(g, tls_exit_value());
  }
  if (setjmp(frame.jb) == 0) return main(argc, argv, envp);
  g_finish(g, g->retval);
  __builtin_unreachable();
}

void main_thread_exit(void* retval) { g_finish(getg(), retval); __builtin_unreachable(); }

void cleanup_register(void* buf) {
  G* g = getg();
  static_cast<CancelBuf*>(buf)->prev = g->cleanup;
  g->cleanup = buf;
}

void cleanup_unregister(void* buf) {
  G* g = getg();
  g->cleanup = static_cast<CancelBuf*>(buf)->prev;
}

void cleanup_unwind_next(void* buf) {
  G* g = getg();
  g->cleanup = static_cast<CancelBuf*>(buf)->prev;
  start_unwind(g);
  __builtin_unreachable();
}

////////////////////////////////////////////////////////////////////////////
// Join / detach
////////////////////////////////////////////////////////////////////////////

int thread_join(G* g, void** ret, int mode, clockid_t clk, const timespec* abs) {
  G* self = getg();
  if (g == self) return EDEADLK;
  if (mode != kJoinTry) test_cancel();
  auto* w = reinterpret_cast<const uint32_t*>(&g->join);
  int64_t deadline = 0;
  bool deadline_set = false;
  for (;;) {
    uint32_t s = g->join.load(std::memory_order_acquire);
    if (s == kDetached && mode == kJoinTry) return EBUSY;
    if (s == kDetached || s == kRecycled) return EINVAL;
    if (s == kZombie) {
      if (!g->join.compare_exchange_strong(s, kRecycled, std::memory_order_acq_rel)) continue;
      if (ret) *ret = g->retval;
      g_release(g);
      return 0;
    }
    if (mode == kJoinTry) return EBUSY;  // glibc: "not finished" wins over EINVAL
    if (mode == kJoinTimed && !deadline_set) {
      if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC) return EINVAL;
      int e = deadline_from(clk, abs, &deadline);
      if (e) return e;
      deadline_set = true;
    }
    g->joiner = self;
    int r = futex_wait(w, s, deadline, WaitReason::kJoin, true);
    if (r == ECANCELED) test_cancel();
    if (r == ETIMEDOUT) {
      if (g->join.load(std::memory_order_acquire) == kZombie) continue;
      return ETIMEDOUT;
    }
  }
}

int thread_detach(G* g) {
  for (;;) {
    uint32_t s = g->join.load(std::memory_order_acquire);
    if (s == kDetached || s == kRecycled) return EINVAL;
    if (s == kJoinable) {
      if (g->join.compare_exchange_strong(s, kDetached, std::memory_order_acq_rel)) return 0;
      continue;
    }
    // Zombie: nobody will join it now; free it.
    if (g->join.compare_exchange_strong(s, kRecycled, std::memory_order_acq_rel)) {
      g_release(g);
      return 0;
    }
  }
}

////////////////////////////////////////////////////////////////////////////
// Attributes and names
////////////////////////////////////////////////////////////////////////////

int thread_getattr(G* g, pthread_attr_t* attr) {
  int e = real::pthread_attr_init(attr);
  if (e) return e;
  pthread_attr_setstack(attr, g->stack.lo, g->stack.size);
  pthread_attr_setguardsize(attr, g->user_stack ? 0 : g->guard_size);
  uint32_t s = g->join.load(std::memory_order_acquire);
  real::pthread_attr_setdetachstate(attr, s == kDetached ? PTHREAD_CREATE_DETACHED : PTHREAD_CREATE_JOINABLE);
  return 0;
}

// The main thread's name (its comm), which threads it creates inherit as
// the kernel's clone does. Read once; kept current by note_main_name.
static char g_main_name[16];
static std::atomic<bool> g_main_name_read{false};

static const char* main_name() {
  if (!g_main_name_read.load(std::memory_order_acquire)) {
    char comm[32] = {};
    int fd = os::open_rdonly("/proc/self/comm");
    if (fd >= 0) {
      long r = os::read(fd, comm, sizeof comm - 1);
      os::close(fd);
      if (r > 0 && comm[r - 1] == '\n') comm[r - 1] = 0;
    }
    comm[15] = 0;
    memcpy(g_main_name, comm, 16);
    g_main_name_read.store(true, std::memory_order_release);
  }
  return g_main_name;
}

void note_main_name(const char* name) {
  char buf[16] = {};
  strncpy(buf, name, 15);
  memcpy(g_main_name, buf, 16);
  g_main_name_read.store(true, std::memory_order_release);
}

void inherit_name(G* child) {
  G* parent = getg();
  const char* n = (parent && !parent->is_g0 && parent != g_main_g) ? parent->name : main_name();
  memcpy(child->name, n, 16);
}

int thread_setname(G* g, const char* name) {
  size_t n = strlen(name);
  if (n > 15) return ERANGE;
  memcpy(g->name, name, n + 1);
  return 0;
}

int thread_getname(G* g, char* buf, size_t len) {
  if (len < 16) return ERANGE;  // glibc insists on room for TASK_COMM_LEN
  memcpy(buf, g->name, 16);
  buf[15] = 0;
  return 0;
}

}  // namespace gmp
