// tls.cpp — see tls.h. Offsets are glibc 2.36 x86_64 (`ptype /o struct
// pthread` with libc6-dbg); tls_init checks the ones it can against the main
// thread before anything relies on them.
#include "runtime/tls.h"

#include <asm/prctl.h>
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "runtime/g.h"
#include "runtime/options.h"
#include "runtime/os.h"
#include "runtime/rawlog.h"

extern "C" void __call_tls_dtors(void);
extern "C" void __ctype_init(void);

namespace gmp {

G** current_g_slot();  // sched.cpp: the address of this thread's tls_g

namespace {

// struct pthread (glibc 2.36, x86_64): tcbhead_t header, then the rest.
constexpr size_t kTcb = 0;             // header.tcb: the TCB itself
constexpr size_t kSelf = 16;           // header.self: THREAD_SELF
constexpr size_t kMultipleThreads = 24;  // 1, else catomic_* drop the lock prefix
constexpr size_t kSysinfo = 32;
constexpr size_t kStackGuard = 40;     // %fs:0x28, the stack-protector canary
constexpr size_t kPointerGuard = 48;   // %fs:0x30, PTR_MANGLE (setjmp, atexit)
constexpr size_t kFeature1 = 72;       // CET feature bits
constexpr size_t kTid = 720;           // owner id in glibc's own locks
constexpr size_t kRobustHead = 736;    // robust_head: list (points to itself when empty), futex_offset
constexpr size_t kRobustPrev = 728;
constexpr size_t kStackblock = 1680;   // glibc's alloca limit, getattr_np
constexpr size_t kStackblockSize = 1688;
constexpr size_t kGuardsize = 1696;
constexpr size_t kRes = 1720;          // this thread's resolver state
constexpr size_t kRseqCpuId = 2340;    // rseq_area.cpu_id: -2 = not registered

// The words of libc's TLS block that a fresh thread's first malloc sets (its
// tcache and its arena), found by probing a scratch block at start. Gs do
// not get their own: switch-in lends the M's to the G, switch-out takes them
// back, so each kernel thread keeps one tcache however many Gs run on it.
// malloc never yields, so one tcache is still used by one G at a time.
constexpr int kMaxCarry = 4;
ptrdiff_t g_carry_off[kMaxCarry];
int g_ncarry = 0;

void* (*dl_allocate_tls)(void*);
void (*dl_deallocate_tls)(void*, bool);
ptrdiff_t g_slot_off, g_resp_off;
bool g_fsgsbase, g_enabled;

template <class T>
T& at(void* tp, size_t off) {
  return *reinterpret_cast<T*>(static_cast<char*>(tp) + off);
}

}  // namespace

bool tls_enabled() { return g_enabled; }

void* tls_tp() {
  void* tp;
  asm volatile("mov %%fs:0, %0" : "=r"(tp));
  return tp;
}

void tls_set_tp(void* tp) {
  if (g_fsgsbase)
    asm volatile("wrfsbase %0" ::"r"(tp) : "memory");
  else
    syscall(SYS_arch_prctl, ARCH_SET_FS, tp);
}

void tls_set_slot(void* tp, G* g) { at<G*>(tp, g_slot_off) = g; }

namespace {
struct LibcTls {
  ptrdiff_t off = 0;  // from the thread pointer
  size_t size = 0;
};

int find_libc_tls(struct dl_phdr_info* info, size_t, void* arg) {
  auto* out = static_cast<LibcTls*>(arg);
  if (!info->dlpi_name || !strstr(info->dlpi_name, "libc.so.6") || !info->dlpi_tls_data) return 0;
  for (int i = 0; i < info->dlpi_phnum; i++)
    if (info->dlpi_phdr[i].p_type == PT_TLS) {
      out->off = static_cast<char*>(info->dlpi_tls_data) - static_cast<char*>(tls_tp());
      out->size = info->dlpi_phdr[i].p_memsz;
      return 1;
    }
  return 0;
}

// probe_malloc_words runs one malloc on a scratch block and records which
// word-aligned slots of libc's TLS changed from zero.
void probe_malloc_words(void* tp) {
  LibcTls libc;
  dl_iterate_phdr(find_libc_tls, &libc);
  if (libc.size == 0 || libc.size > 4096) fatal("cannot locate libc's TLS block");
  void* scratch = dl_allocate_tls(nullptr);
  if (!scratch) fatal("cannot allocate a probe TLS block");
  at<void*>(scratch, kTcb) = scratch;
  at<void*>(scratch, kSelf) = scratch;
  at<int>(scratch, kMultipleThreads) = 1;
  at<uintptr_t>(scratch, kStackGuard) = at<uintptr_t>(tp, kStackGuard);
  at<uintptr_t>(scratch, kPointerGuard) = at<uintptr_t>(tp, kPointerGuard);
  size_t words = libc.size / sizeof(uintptr_t);
  uintptr_t before[512];
  auto* region = reinterpret_cast<uintptr_t*>(static_cast<char*>(scratch) + libc.off);
  memcpy(before, region, words * sizeof(uintptr_t));
  tls_set_tp(scratch);
  void* volatile p = malloc(64);
  free(p);
  tls_set_tp(tp);
  for (size_t i = 0; i < words && g_ncarry < kMaxCarry; i++)
    if (before[i] == 0 && region[i] != 0) g_carry_off[g_ncarry++] = libc.off + ptrdiff_t(i * sizeof(uintptr_t));
  // The scratch block (and the tcache it now owns) stays allocated: once.
}
}  // namespace

void tls_switch_in(void* m_tp, void* g_tp) {
  for (int i = 0; i < g_ncarry; i++) at<uintptr_t>(g_tp, g_carry_off[i]) = at<uintptr_t>(m_tp, g_carry_off[i]);
}

void tls_switch_out(void* m_tp, void* g_tp) {
  for (int i = 0; i < g_ncarry; i++) at<uintptr_t>(m_tp, g_carry_off[i]) = at<uintptr_t>(g_tp, g_carry_off[i]);
}

void tls_init() {
  if (!options().tls) return;  // GMP_TLS=0: Gs run on their M's TLS
  if (strcmp(gnu_get_libc_version(), "2.36") != 0)
    fatal("per-thread storage needs glibc 2.36 internals; this is glibc %s (set GMP_TLS=0 to run "
          "without per-thread TLS)",
          gnu_get_libc_version());
  dl_allocate_tls = reinterpret_cast<void* (*)(void*)>(dlvsym(RTLD_DEFAULT, "_dl_allocate_tls", "GLIBC_PRIVATE"));
  dl_deallocate_tls =
      reinterpret_cast<void (*)(void*, bool)>(dlvsym(RTLD_DEFAULT, "_dl_deallocate_tls", "GLIBC_PRIVATE"));
  void* tp = tls_tp();
  void* resp = dlsym(RTLD_DEFAULT, "__resp");
  if (!dl_allocate_tls || !dl_deallocate_tls || !resp) fatal("glibc's TLS allocator is not reachable");
  if (at<void*>(tp, kSelf) != tp || at<void*>(tp, kTcb) != tp || at<int>(tp, kTid) != os::getpid())
    fatal("glibc 2.36 thread block layout check failed (self/tid)");
  g_slot_off = reinterpret_cast<char*>(current_g_slot()) - static_cast<char*>(tp);
  g_resp_off = static_cast<char*>(resp) - static_cast<char*>(tp);
  g_fsgsbase = getauxval(AT_HWCAP2) & 2;
  probe_malloc_words(tp);
  g_enabled = true;
}

bool tls_alloc(G* g) {
  void* cur = tls_tp();
  void* tcb = dl_allocate_tls(nullptr);
  if (!tcb) return false;
  at<void*>(tcb, kTcb) = tcb;
  at<void*>(tcb, kSelf) = tcb;
  at<int>(tcb, kMultipleThreads) = 1;
  at<uintptr_t>(tcb, kSysinfo) = at<uintptr_t>(cur, kSysinfo);
  at<uintptr_t>(tcb, kStackGuard) = at<uintptr_t>(cur, kStackGuard);
  at<uintptr_t>(tcb, kPointerGuard) = at<uintptr_t>(cur, kPointerGuard);
  at<unsigned>(tcb, kFeature1) = at<unsigned>(cur, kFeature1);
  // A thread identity above PID_MAX_LIMIT: never a real task.
  at<int>(tcb, kTid) = int(0x400000 + (g->goid % 0x3fb00000));
  at<void*>(tcb, kStackblock) = g->stack.lo;
  at<size_t>(tcb, kStackblockSize) = g->stack.size;
  at<size_t>(tcb, kGuardsize) = g->guard_size;
  at<int>(tcb, kRseqCpuId) = -2;
  // An empty robust-mutex list, as pthread_create leaves it (glibc links a
  // locked robust mutex in here; the kernel is never told about it).
  at<void*>(tcb, kRobustHead) = static_cast<char*>(tcb) + kRobustHead;
  at<void*>(tcb, kRobustPrev) = static_cast<char*>(tcb) + kRobustHead;
  at<long>(tcb, kRobustHead + 8) = at<long>(cur, kRobustHead + 8);
  at<void*>(tcb, g_resp_off) = static_cast<char*>(tcb) + kRes;
  tls_set_slot(tcb, g);
  g->tcb = tcb;
  return true;
}

void tls_release(G* g) {
  if (g->tcb && g->goid != 1) dl_deallocate_tls(g->tcb, true);
  g->tcb = nullptr;
}

void tls_thread_start() { __ctype_init(); }

void tls_thread_exit() { __call_tls_dtors(); }

}  // namespace gmp
