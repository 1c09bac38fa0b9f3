// tls.cpp — see tls.h. The glibc contract: every fact about glibc's
// internals that per-G TLS relies on, pinned to glibc 2.36 on x86_64.
//
// Where the facts come from: `ptype /o struct pthread` and `ptype /o struct
// rtld_global` with libc6-dbg, and glibc 2.36's sources (nptl/, elf/dl-tls.c,
// sysdeps/nptl/). tls_init checks every offset it can at start: against
// glibc's own libthread_db descriptors (_thread_db_*, GLIBC_PRIVATE data in
// libc.so.6 that give the offset of each struct pthread and rtld_global
// field a debugger needs), against the symbol size of _rtld_global, and
// against the main thread's TCB. A mismatch refuses to start.
//
// The TLS arena
//
// A G's TLS block and TCB are not malloc'd: they are carved from one
// MAP_NORESERVE reservation that is never unmapped, in fixed-size slots,
// each laid out as glibc's _dl_allocate_tls_storage lays out its blocks
// (static TLS blocks below the TCB, the TCB at the top, aligned to the
// static TLS alignment), followed by a small header of ours:
//
//   slot i:  [ static TLS of every initial-exec module ... | struct pthread ][ SlotHeader ]
//                                                         ^ tcb = pthread_t
//
// So (1) a pthread_t is a TCB address and mapping one back to its G is a
// range check, a modulus and a look at the header — a stale or foreign value
// never faults; (2) blocks are recycled (free list) rather than freed, which
// bounds what glibc's per-thread buffers that outlive a thread (strerror_l's
// and strsignal's, kept in the TCB's tls_state) cost by the peak number of
// live Gs instead of growing with every thread ever created; (3) glibc's
// _dl_allocate_tls(mem) initialises a block we own (it allocates only the
// dtv), and _dl_deallocate_tls(tcb, false) frees only the dtv and dynamic
// TLS, exactly as for a glibc thread with a user stack.
//
// Being a glibc thread
//
// glibc keeps two lists of threads, GL(dl_stack_used) (stacks it allocated)
// and GL(dl_stack_user) (user stacks, and the main thread), guarded by the
// low-level lock GL(dl_stack_cache_lock). Three things walk them and must
// see our Gs:
//   - dlopen of a module with initial-exec TLS (_dl_init_static_tls) copies
//     the module's TLS image into every listed thread's static block;
//   - dlclose (__thread_gscope_wait) waits for every listed thread that is
//     in the middle of a symbol lookup (header.gscope_flag);
//   - set*id (__nptl_setxid) signals every listed thread by tid: a G's tid is
//     above PID_MAX_LIMIT, so tgkill fails and glibc skips it (the M that
//     runs the G is listed too, with its real tid).
// and a fourth must not hurt them:
//   - fork's child (reclaim_stacks) re-initialises dl_stack_user with only
//     the forking thread; a G's node left out is detected by unlink (below).
// So tls_alloc links each G's TCB into dl_stack_user, under the lock and
// with glibc's in-flight marker (GL(dl_in_flight_stack)) that lets a forked
// child repair an interrupted list operation, exactly as glibc's
// allocate_stack does for a thread with a user stack; tls_release unlinks it.
// A TCB on that list is never freed by glibc: only fork's child touches the
// list wholesale, and it drops (not frees) the user-stack entries.
//
// Per-field setup (tls_alloc; the rest of struct pthread is zero):
//   header.tcb, header.self    the TCB itself (THREAD_SELF, pthread_self()).
//   multiple_threads = 1       else x86 catomic_* drop the lock prefix.
//   sysinfo, feature_1         copied from the creating thread.
//   stack_guard, pointer_guard copied: %fs:0x28 is the stack-protector canary
//                              checked in frames that outlive a switch, and
//                              %fs:0x30 mangles setjmp buffers and atexit.
//   tid                        0x400000 + goid: above PID_MAX_LIMIT (never a
//                              real task, so tgkill/sched_* fail with ESRCH)
//                              and inside FUTEX_TID_MASK; glibc's recursive
//                              internal locks (dl_load_lock, ...) record it.
//   robust_head                an empty list and glibc's futex_offset.
//   stackblock, _size, guardsize, reported_guardsize
//                              the G's stack: glibc's alloca limit and the
//                              CFA comparisons of its unwinder use them.
//   user_stack = 1             it is on dl_stack_user.
//   rseq_area.cpu_id = -2      "registration failed": sched_getcpu() then
//                              asks the kernel instead of reading 0.
//   __resp (libc TLS)          the TCB's own res: each thread's resolver
//                              state is its own, as start_thread sets it.
//   __ctype_init()             on the G before its start routine (isspace
//                              and friends crash without it).
//   cleanup_jmp_buf            set by thread_main (thread.cpp) from a
//                              _setjmp, as start_thread does: glibc's own
//                              pthread_exit, thrd_exit and cancellation
//                              unwind to it.
// At exit (thread.cpp): __call_tls_dtors, the key destructors, then
// tls_thread_freeres (resolver sockets, a pending dlerror result); g0 then
// unlinks the TCB and frees its dtv. On reuse the TCB is cleared except
// tls_state, and _dl_allocate_tls re-initialises every module's TLS.
#include "runtime/tls.h"

#include <asm/prctl.h>
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <new>
#include <cstdlib>
#include <cstring>

#include "runtime/g.h"
#include "runtime/lock.h"
#include "runtime/m.h"
#include "runtime/options.h"
#include "runtime/os.h"
#include "runtime/rawlog.h"

extern "C" void __call_tls_dtors(void);
extern "C" void __ctype_init(void);
extern "C" void __res_nclose(void* statp);  // res_nclose (<resolv.h> renames p_type & co)

namespace gmp {

G** current_g_slot();  // sched.cpp: the address of this thread's tls_g

namespace {

// --- struct pthread (glibc 2.36, x86_64) --------------------------------
// tcbhead_t, its first 704 bytes, is ABI (compilers read %fs:0x28).
constexpr size_t kTcb = 0;
constexpr size_t kSelf = 16;
constexpr size_t kMultipleThreads = 24;
constexpr size_t kSysinfo = 32;
constexpr size_t kStackGuard = 40;
constexpr size_t kPointerGuard = 48;
constexpr size_t kFeature1 = 72;
constexpr size_t kList = 704;            // list_t: dl_stack_used/user link
constexpr size_t kTid = 720;
constexpr size_t kRobustPrev = 728;
constexpr size_t kRobustHead = 736;      // {list, futex_offset, list_op_pending}
constexpr size_t kCleanupJmpBuf = 768;
constexpr size_t kCancelhandling = 776;
constexpr size_t kReportEvents = 1553;
constexpr size_t kUserStack = 1554;
constexpr size_t kResult = 1576;
constexpr size_t kSchedpolicy = 1588;
constexpr size_t kStartRoutine = 1592;
constexpr size_t kStackblock = 1680;
constexpr size_t kStackblockSize = 1688;
constexpr size_t kGuardsize = 1696;
constexpr size_t kReportedGuardsize = 1704;
constexpr size_t kRes = 1720;            // struct __res_state res
constexpr size_t kResNscount = kRes + 16;
constexpr size_t kResOptions = kRes + 8;
constexpr size_t kTlsState = 2304;       // {strsignal_buf, strerror_l_buf}
constexpr size_t kRseqCpuId = 2340;
constexpr size_t kTcbSize = 2368;        // TLS_TCB_SIZE = sizeof (struct pthread)
constexpr int kExitingBitmask = 1 << 4;  // cancelhandling EXITING_BIT
constexpr long kFutexOffset = -32;       // robust_head.futex_offset: __lock - __list.__next

// --- struct rtld_global (glibc 2.36, x86_64; exported by ld.so) ---------
constexpr size_t kRtldStackUsed = 4264;
constexpr size_t kRtldStackUser = 4280;
constexpr size_t kRtldInFlight = 4320;
constexpr size_t kRtldStackCacheLock = 4328;
constexpr size_t kRtldSize = 4336;

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
void (*dl_get_tls_static_info)(size_t*, size_t*);
ptrdiff_t g_slot_off, g_resp_off, g_dlerror_off;
bool g_fsgsbase, g_enabled, g_contract;

struct ListT {
  ListT* next;
  ListT* prev;
};
ListT* g_stack_user;           // &GL(dl_stack_user)
uintptr_t* g_in_flight;        // &GL(dl_in_flight_stack)
std::atomic<uint32_t>* g_stack_lock;  // &GL(dl_stack_cache_lock), an lll lock

template <class T>
T& at(void* tp, size_t off) {
  return *reinterpret_cast<T*>(static_cast<char*>(tp) + off);
}

// raw_syscall: the few calls here that os.h does not offer (arch_prctl,
// shared and PI futex operations), made without libc (whose syscall() is
// hooked) and without touching errno.
long raw_syscall(long n, long a, long b, long c, long d = 0) {
  long ret;
  register long r10 asm("r10") = d;
  asm volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return ret;
}

// --- the TLS arena ------------------------------------------------------

// SlotHeader follows each slot's TCB (where glibc's own blocks keep the
// pointer that _dl_deallocate_tls(tcb, true) frees; we never pass true).
struct SlotHeader {
  std::atomic<G*> g;   // the live owner; nullptr while free or being set up
  SlotHeader* next;    // free-list link; guarded by g_arena_lock
};

constexpr uint64_t kMaxSlots = 1u << 21;  // as many as G structs (g.cpp)
char* g_arena = nullptr;
size_t g_stride = 0;   // bytes per slot
size_t g_tcb_off = 0;  // slot start -> TCB
size_t g_static_size = 0;
std::atomic<uint64_t> g_carved{0};
SpinLock g_arena_lock;       // guards g_free_slots
SlotHeader* g_free_slots = nullptr;

SlotHeader* header_of(void* tcb) { return reinterpret_cast<SlotHeader*>(static_cast<char*>(tcb) + kTcbSize); }
void* tcb_of(SlotHeader* h) { return reinterpret_cast<char*>(h) - kTcbSize; }

// --- glibc's low-level lock and list, as nptl uses them -----------------

// lll_lock / lll_unlock: glibc's private three-state futex lock (0 free, 1
// held, 2 held with waiters). The holder never parks, so a waiter blocks
// its kernel thread, as a glibc thread would.
void lll_lock(std::atomic<uint32_t>* f) {
  uint32_t z = 0;
  if (f->compare_exchange_strong(z, 1, std::memory_order_acquire)) return;
  if (f->load(std::memory_order_relaxed) == 2) os::futex_wait(reinterpret_cast<uint32_t*>(f), 2, nullptr);
  while (f->exchange(2, std::memory_order_acquire) != 0) os::futex_wait(reinterpret_cast<uint32_t*>(f), 2, nullptr);
}
void lll_unlock(std::atomic<uint32_t>* f) {
  if (f->exchange(0, std::memory_order_release) > 1) os::futex_wake(reinterpret_cast<uint32_t*>(f), 1);
}

// linked: both neighbours point back at the node. After a fork, the child's
// glibc re-initialised dl_stack_user without our nodes; a dropped node's
// neighbours no longer point back (the list head was reset) or are dropped
// nodes too, so unlinking only what passes this test never changes the live
// list, although it may splice dropped nodes out of each other.
bool linked(ListT* n) { return n->next && n->prev && n->next->prev == n && n->prev->next == n; }

// list_link / list_unlink: glibc's list_add / list_del bracketed by the
// in-flight marker of __nptl_stack_list_add / _del (bit 0: an add).
// Caller holds the stack lock.
void list_link(ListT* n) {
  *g_in_flight = uintptr_t(n) | 1;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  ListT* head = g_stack_user;
  n->next = head->next;
  n->prev = head;
  std::atomic_thread_fence(std::memory_order_release);  // glibc's atomic_write_barrier
  head->next->prev = n;
  head->next = n;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  *g_in_flight = 0;
}
void list_unlink(ListT* n) {
  *g_in_flight = uintptr_t(n);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  n->next->prev = n->prev;
  n->prev->next = n->next;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  *g_in_flight = 0;
}

void link_tcb(void* tcb) {
  lll_lock(g_stack_lock);
  list_link(&at<ListT>(tcb, kList));
  lll_unlock(g_stack_lock);
}

void unlink_tcb(void* tcb) {
  ListT* n = &at<ListT>(tcb, kList);
  if (n->next == nullptr) return;  // never linked, or unlinked already
  lll_lock(g_stack_lock);
  if (linked(n)) list_unlink(n);
  lll_unlock(g_stack_lock);
  n->next = n->prev = nullptr;
}

// fork_child is an atfork child handler (libgmp runs them on the forking G
// once the child's runtime is rebuilt): the arena lock may have been held by
// a kernel thread that does not exist in the child, and glibc's fork, made
// on the M's own TCB, re-initialised dl_stack_user with that TCB only, so the
// forking G's goes back on the list.
void fork_child() {
  if (!g_enabled) return;
  new (&g_arena_lock) SpinLock();
  G* g = *current_g_slot();
  if (g == nullptr || g->is_g0 || g->tcb == nullptr || !tls_in_arena(uintptr_t(g->tcb))) return;
  ListT* n = &at<ListT>(g->tcb, kList);
  lll_lock(g_stack_lock);
  // A walk, not linked(): stale neighbours may still point at each other.
  // The child's list holds a thread or two.
  bool found = false;
  for (ListT* p = g_stack_user->next; p != g_stack_user && !found; p = p->next) found = p == n;
  if (!found) list_link(n);
  lll_unlock(g_stack_lock);
}

// --- start-up checks ----------------------------------------------------

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

// db_offset reads a libthread_db field descriptor {bits, count, offset}.
long db_offset(const char* name) {
  auto* d = static_cast<const uint32_t*>(dlsym(RTLD_DEFAULT, name));
  return d ? long(d[2]) : -1;
}

// check_contract verifies the pinned layout against this process's glibc;
// returns the first mismatch, or nullptr.
const char* check_contract(void* tp, void* rtld) {
  if (strcmp(gnu_get_libc_version(), "2.36") != 0) return "glibc version";
  auto* sz = static_cast<const uint32_t*>(dlsym(RTLD_DEFAULT, "_thread_db_sizeof_pthread"));
  if (!sz || *sz != kTcbSize) return "sizeof (struct pthread)";
  struct {
    const char* name;
    size_t off;
  } fields[] = {
      {"_thread_db_pthread_list", kList},
      {"_thread_db_pthread_tid", kTid},
      {"_thread_db_pthread_cancelhandling", kCancelhandling},
      {"_thread_db_pthread_report_events", kReportEvents},
      {"_thread_db_pthread_schedpolicy", kSchedpolicy},
      {"_thread_db_pthread_start_routine", kStartRoutine},
      {"_thread_db_rtld_global__dl_stack_used", kRtldStackUsed},
      {"_thread_db_rtld_global__dl_stack_user", kRtldStackUser},
  };
  for (auto& f : fields)
    if (db_offset(f.name) != long(f.off)) return f.name;
  if (!rtld) return "_rtld_global";
  Dl_info info;
  void* extra = nullptr;
  if (!dladdr1(rtld, &info, &extra, RTLD_DL_SYMENT) || !extra ||
      static_cast<const ElfW(Sym)*>(extra)->st_size != kRtldSize)
    return "sizeof (struct rtld_global)";
  if (at<void*>(tp, kSelf) != tp || at<void*>(tp, kTcb) != tp) return "header.self";
  if (at<int>(tp, kTid) != os::getpid()) return "tid";
  if (at<long>(tp, kRobustHead + 8) != kFutexOffset) return "robust_head.futex_offset";
  // The main thread is on dl_stack_user (__tls_init_tp put it there).
  auto* head = &at<ListT>(rtld, kRtldStackUser);
  bool found = false;
  int n = 0;
  for (ListT* p = head->next; p != head && n < 100000; p = p->next, n++)
    if (p == &at<ListT>(tp, kList)) found = true;
  if (!found) return "dl_stack_user";
  return nullptr;
}

}  // namespace

bool tls_enabled() { return g_enabled; }
bool tls_contract_ok() { return g_contract; }

void* tls_tp() {
  void* tp;
  asm volatile("mov %%fs:0, %0" : "=r"(tp));
  return tp;
}

void tls_set_tp(void* tp) {
  if (g_fsgsbase)
    asm volatile("wrfsbase %0" ::"r"(tp) : "memory");
  else
    raw_syscall(SYS_arch_prctl, ARCH_SET_FS, long(tp), 0);
}

void tls_set_slot(void* tp, G* g) { at<G*>(tp, g_slot_off) = g; }

void tls_switch_in(void* m_tp, void* g_tp) {
  for (int i = 0; i < g_ncarry; i++) at<uintptr_t>(g_tp, g_carry_off[i]) = at<uintptr_t>(m_tp, g_carry_off[i]);
}

void tls_prefetch(void* g_tp) {
  __builtin_prefetch(g_tp, 1);
  for (int i = 0; i < g_ncarry; i++) __builtin_prefetch(static_cast<char*>(g_tp) + g_carry_off[i], 1);
}

void tls_switch_out(void* m_tp, void* g_tp) {
  for (int i = 0; i < g_ncarry; i++) at<uintptr_t>(m_tp, g_carry_off[i]) = at<uintptr_t>(g_tp, g_carry_off[i]);
}

void tls_init() {
  void* tp = tls_tp();
  void* rtld = dlsym(RTLD_DEFAULT, "_rtld_global");
  const char* bad = check_contract(tp, rtld);
  g_contract = bad == nullptr;
  if (!options().tls) return;  // GMP_TLS=0: Gs run on their M's TLS
  if (bad)
    fatal("per-thread storage needs glibc 2.36 internals; this is glibc %s (%s does not match; set GMP_TLS=0 "
          "to run without per-thread TLS)",
          gnu_get_libc_version(), bad);
  dl_allocate_tls = reinterpret_cast<void* (*)(void*)>(dlvsym(RTLD_DEFAULT, "_dl_allocate_tls", "GLIBC_PRIVATE"));
  dl_deallocate_tls =
      reinterpret_cast<void (*)(void*, bool)>(dlvsym(RTLD_DEFAULT, "_dl_deallocate_tls", "GLIBC_PRIVATE"));
  dl_get_tls_static_info = reinterpret_cast<void (*)(size_t*, size_t*)>(
      dlvsym(RTLD_DEFAULT, "_dl_get_tls_static_info", "GLIBC_PRIVATE"));
  void* resp = dlsym(RTLD_DEFAULT, "__resp");
  void* dlerr = dlsym(RTLD_DEFAULT, "__libc_dlerror_result");
  if (!dl_allocate_tls || !dl_deallocate_tls || !dl_get_tls_static_info || !resp || !dlerr)
    fatal("glibc's TLS allocator is not reachable");
  g_slot_off = reinterpret_cast<char*>(current_g_slot()) - static_cast<char*>(tp);
  g_resp_off = static_cast<char*>(resp) - static_cast<char*>(tp);
  g_dlerror_off = static_cast<char*>(dlerr) - static_cast<char*>(tp);
  g_stack_user = &at<ListT>(rtld, kRtldStackUser);
  g_in_flight = &at<uintptr_t>(rtld, kRtldInFlight);
  g_stack_lock = &at<std::atomic<uint32_t>>(rtld, kRtldStackCacheLock);
  g_fsgsbase = getauxval(AT_HWCAP2) & 2;

  // The arena: slots of the static TLS size (which includes the TCB), each
  // aligned to the static TLS alignment, then our header.
  size_t size = 0, align = 0;
  dl_get_tls_static_info(&size, &align);
  if (align < 64) align = 64;
  if (size < kTcbSize || (align & (align - 1)) != 0) fatal("unexpected static TLS layout (size %zu)", size);
  g_static_size = size;
  g_tcb_off = size - kTcbSize;
  g_stride = (size + sizeof(SlotHeader) + align - 1) & ~(align - 1);
  g_arena = static_cast<char*>(os::mmap_anon(g_stride * kMaxSlots, true));
  if (!g_arena) fatal("cannot reserve the TLS arena (%zu bytes)", g_stride * kMaxSlots);

  probe_malloc_words(tp);
  pthread_atfork(nullptr, nullptr, fork_child);
  g_enabled = true;
}

bool tls_in_arena(uintptr_t h) {
  uintptr_t lo = reinterpret_cast<uintptr_t>(g_arena);
  return g_arena != nullptr && h >= lo && h < lo + g_stride * kMaxSlots;
}

G* tls_g_of_handle(uintptr_t h) {
  if (g_arena == nullptr) return nullptr;
  uintptr_t lo = reinterpret_cast<uintptr_t>(g_arena);
  uintptr_t hi = lo + g_stride * g_carved.load(std::memory_order_acquire);
  if (h < lo || h >= hi || (h - lo) % g_stride != g_tcb_off) return nullptr;
  G* g = header_of(reinterpret_cast<void*>(h))->g.load(std::memory_order_acquire);
  if (g == nullptr || g->magic != kGMagic || g->tcb != reinterpret_cast<void*>(h)) return nullptr;
  return g;
}

bool tls_alloc(G* g) {
  void* cur = tls_tp();
  SlotHeader* h;
  {
    Guard<SpinLock> l(g_arena_lock);
    h = g_free_slots;
    if (h) g_free_slots = h->next;
  }
  void* tcb;
  if (h) {
    // A recycled TCB: clear it but keep the per-thread buffers glibc hangs
    // there (strerror_l, strsignal), which it frees only at a real thread's
    // exit: reused, they cost one set per slot instead of one per thread.
    tcb = tcb_of(h);
    char saved[16];
    memcpy(saved, &at<char>(tcb, kTlsState), sizeof saved);
    memset(tcb, 0, kTcbSize);
    memcpy(&at<char>(tcb, kTlsState), saved, sizeof saved);
  } else {
    uint64_t i = g_carved.load(std::memory_order_relaxed);
    for (;;) {
      if (i >= kMaxSlots) return false;
      if (g_carved.compare_exchange_weak(i, i + 1, std::memory_order_acq_rel)) break;
    }
    tcb = g_arena + i * g_stride + g_tcb_off;  // fresh pages are zero
    h = header_of(tcb);
    h->g.store(nullptr, std::memory_order_relaxed);
  }
  at<void*>(tcb, kTcb) = tcb;
  at<void*>(tcb, kSelf) = tcb;
  at<int>(tcb, kMultipleThreads) = 1;
  at<uintptr_t>(tcb, kSysinfo) = at<uintptr_t>(cur, kSysinfo);
  at<uintptr_t>(tcb, kStackGuard) = at<uintptr_t>(cur, kStackGuard);
  at<uintptr_t>(tcb, kPointerGuard) = at<uintptr_t>(cur, kPointerGuard);
  at<unsigned>(tcb, kFeature1) = at<unsigned>(cur, kFeature1);
  at<int>(tcb, kTid) = g_thread_id(g);
  at<void*>(tcb, kStackblock) = g->stack.lo;
  at<size_t>(tcb, kStackblockSize) = g->stack.size;
  at<size_t>(tcb, kGuardsize) = g->guard_size;
  at<size_t>(tcb, kReportedGuardsize) = g->guard_size;
  at<bool>(tcb, kUserStack) = true;
  at<int>(tcb, kRseqCpuId) = -2;
  at<void*>(tcb, kRobustHead) = static_cast<char*>(tcb) + kRobustHead;
  at<void*>(tcb, kRobustPrev) = static_cast<char*>(tcb) + kRobustHead;
  at<long>(tcb, kRobustHead + 8) = kFutexOffset;
  // Listed before its TLS is initialised: a dlopen that adds a module with
  // static TLS in between initialises it here through the list, one that
  // came before is in the module list _dl_allocate_tls walks.
  link_tcb(tcb);
  if (dl_allocate_tls(tcb) == nullptr) {  // the dtv: ENOMEM
    unlink_tcb(tcb);
    Guard<SpinLock> l(g_arena_lock);
    h->next = g_free_slots;
    g_free_slots = h;
    return false;
  }
  at<void*>(tcb, g_resp_off) = static_cast<char*>(tcb) + kRes;
  tls_set_slot(tcb, g);
  g->tcb = tcb;
  h->g.store(g, std::memory_order_release);
  return true;
}

void tls_retire(G* g) {
  void* tcb = g->tcb;
  if (tcb == nullptr || !tls_in_arena(uintptr_t(tcb))) return;  // G1 keeps the main TCB
  unlink_tcb(tcb);
  // The carried malloc words are the M's, not this block's: forget them
  // before glibc frees the dtv and the module blocks __tls_get_addr made.
  for (int i = 0; i < g_ncarry; i++) at<uintptr_t>(tcb, g_carry_off[i]) = 0;
  dl_deallocate_tls(tcb, false);
}

void tls_release(G* g) {
  void* tcb = g->tcb;
  g->tcb = nullptr;
  if (tcb == nullptr || !tls_in_arena(uintptr_t(tcb))) return;
  SlotHeader* h = header_of(tcb);
  h->g.store(nullptr, std::memory_order_release);
  // Normally retired at exit already; a G a forked child discards was not.
  unlink_tcb(tcb);
  Guard<SpinLock> l(g_arena_lock);
  h->next = g_free_slots;
  g_free_slots = h;
}

void tls_thread_gone(void* pd, int tid) {
  __atomic_compare_exchange_n(&at<int>(pd, kTid), &tid, 0, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

void tls_thread_start() { __ctype_init(); }

void tls_thread_exit() { __call_tls_dtors(); }

void tls_thread_freeres() {
  void* tp = tls_tp();
  // __res_thread_freeres: close the resolver's sockets of this thread and
  // forget its configuration, so the slot's next thread starts fresh.
  if (at<int>(tp, kResNscount) != 0) {
    __res_nclose(static_cast<char*>(tp) + kRes);
    at<unsigned long>(tp, kResOptions) = 0;
  }
  // __libc_dlerror_result_free: a dlerror message not yet fetched (or
  // fetched but not released) is freed by the next two dlerror() calls.
  if (at<void*>(tp, g_dlerror_off) != nullptr) {
    dlerror();
    dlerror();
  }
}

void* tls_push_exit_buf(GlibcUnwindBuf* buf) {
  void* tp = tls_tp();
  void* prev = at<void*>(tp, kCleanupJmpBuf);
  buf->prev = nullptr;
  buf->cleanup = nullptr;
  at<void*>(tp, kCleanupJmpBuf) = buf;
  return prev;
}

void tls_pop_exit_buf(void* prev) { at<void*>(tls_tp(), kCleanupJmpBuf) = prev; }

void* tls_exit_value() {
  void* tp = tls_tp();
  reinterpret_cast<std::atomic<int>*>(&at<int>(tp, kCancelhandling))
      ->fetch_and(~kExitingBitmask, std::memory_order_relaxed);
  return at<void*>(tp, kResult);
}

void* tls_enter_m(G* g) {
  M* m = g->m;
  void* gt = g->tcb;
  if (gt == nullptr || gt == m->tcb) return nullptr;
  tls_switch_out(m->tcb, gt);  // malloc inside glibc uses the same tcache
  tls_set_slot(m->tcb, g);     // getg() still names g meanwhile
  tls_set_tp(m->tcb);
  return gt;
}

void tls_leave_m(G* g, void* token) {
  if (token == nullptr) return;
  M* m = g->m;
  tls_set_tp(token);
  tls_switch_in(m->tcb, token);
  tls_set_slot(m->tcb, m->g0);
}

int tls_robust_owner_died(M* m) {
  if (!g_contract || m->tcb == nullptr) return 0;
  void* tp = m->tcb;
  auto* head = &at<uintptr_t>(tp, kRobustHead);
  long futex_off = at<long>(tp, kRobustHead + 8);
  uint32_t tid = uint32_t(m->tid);
  int marked = 0;
  uintptr_t entry = *head;
  // The kernel stops after ROBUST_LIST_LIMIT (2048) entries, as we do.
  for (int n = 0; (entry & ~uintptr_t(1)) != uintptr_t(head) && n < 2048; n++) {
    bool pi = entry & 1;
    uintptr_t e = entry & ~uintptr_t(1);
    entry = *reinterpret_cast<uintptr_t*>(e);  // next, read before the mutex can be reused
    auto* word = reinterpret_cast<std::atomic<uint32_t>*>(e + futex_off);
    uint32_t v = word->load(std::memory_order_relaxed);
    for (;;) {
      if ((v & FUTEX_TID_MASK) != tid) break;
      if (pi && (v & FUTEX_WAITERS)) {
        // Waiters sleep in the kernel on the rt-mutex the M owns; only its
        // unlock releases them (they get the mutex without EOWNERDEAD: the
        // kernel clears the bit on hand-off; see compatibility.md).
        raw_syscall(SYS_futex, long(word), FUTEX_UNLOCK_PI, 0);
        marked++;
        break;
      }
      uint32_t nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
      if (word->compare_exchange_strong(v, nv, std::memory_order_acq_rel)) {
        // Robust futexes are shared futexes (the kernel wakes them so too).
        if (!pi && (v & FUTEX_WAITERS)) raw_syscall(SYS_futex, long(word), FUTEX_WAKE, 1);
        marked++;
        break;
      }
    }
  }
  *head = uintptr_t(head);
  at<void*>(tp, kRobustHead + 16) = nullptr;  // list_op_pending
  return marked;
}

}  // namespace gmp
