// traceback.cpp — see traceback.h.
//
// Where a parked G's registers are. A G is switched out by Boost.Context's
// jump_fcontext (x86_64 SysV ELF), which pushes a 0x40-byte frame on the G's
// own stack and stores its address as the G's context (G.ctx):
//
//   ctx+0x00  MXCSR (4 bytes), x87 control word (4 bytes)
//   ctx+0x08  r12        ctx+0x10  r13        ctx+0x18  r14
//   ctx+0x20  r15        ctx+0x28  rbx        ctx+0x30  rbp
//   ctx+0x38  return address into the caller of jump_fcontext (mcall)
//
// On resume jump_fcontext reloads those and continues at the return address
// with rsp = ctx+0x40. So {ip = [ctx+0x38], sp = ctx+0x40, rbp, rbx, r12-r15}
// is exactly the caller's state after the call returned — a valid start for
// a DWARF walk (which needs nothing else), and for a frame-pointer walk (the
// runtime is built with -fno-omit-frame-pointer, so rbp is mcall's frame).
// Checked against `objdump -d libboost_context.a` (Boost 1.74, Debian 12);
// context.h is the only other place that knows this is fcontext.
//
// libunwind's ABI is used through dlsym'd pointers; the few types and
// constants below are copied from its public headers (libunwind-common.h,
// libunwind-x86_64.h), stable since 1.0, so libgmp builds without them.
#include "runtime/traceback.h"

#include "preload/real.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <link.h>
#include <setjmp.h>
#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "runtime/os.h"
#include "runtime/rawlog.h"
#include "runtime/thread.h"

namespace gmp {

namespace {

////////////////////////////////////////////////////////////////////////////
// libunwind, loaded at dump time
////////////////////////////////////////////////////////////////////////////

using unw_word_t = uint64_t;
struct unw_cursor_t {
  unw_word_t opaque[127];  // UNW_TDEP_CURSOR_LEN
};
constexpr int kUnwRegIp = 16;  // UNW_X86_64_RIP (UNW_REG_IP)
constexpr int kUnwRegSp = 7;   // UNW_X86_64_RSP (UNW_REG_SP)
constexpr int kUnwCacheNone = 0;
constexpr int kUnwInitSignalFrame = 1;

// unw_proc_info_t; only start_ip is read, the rest is room to spare.
struct unw_proc_info_t {
  unw_word_t start_ip;  // first address of the function (from its FDE)
  unw_word_t end_ip;
  unw_word_t rest[14];
};

struct Unwinder {
  int (*init_local2)(unw_cursor_t*, ucontext_t*, int);
  int (*get_proc_info)(unw_cursor_t*, unw_proc_info_t*);
  int (*step)(unw_cursor_t*);
  int (*get_reg)(unw_cursor_t*, int, unw_word_t*);
  int (*get_proc_name)(unw_cursor_t*, char*, size_t, unw_word_t*);
  int (*set_caching_policy)(void*, int);
  void** local_addr_space;
};

// Written by the dumping thread in traceback_begin (dumps are serialized).
Unwinder g_unw;
int g_unw_state = 0;           // 0 not tried, 1 loaded, -1 unavailable
const void* g_self_base = nullptr;  // load address of libgmp.so

void load_unwinder() {
  if (g_unw_state != 0) return;
  g_unw_state = -1;
  // RTLD_LOCAL: libunwind also defines _Unwind_*; they must never replace
  // libgcc's for the program's C++ exceptions.
  void* h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    rawlog("libgmp: libunwind.so.8 not found (Debian: libunwind8); stacks follow frame pointers only\n");
    return;
  }
  Unwinder u;
  u.init_local2 = reinterpret_cast<decltype(u.init_local2)>(dlsym(h, "_ULx86_64_init_local2"));
  u.step = reinterpret_cast<decltype(u.step)>(dlsym(h, "_ULx86_64_step"));
  u.get_reg = reinterpret_cast<decltype(u.get_reg)>(dlsym(h, "_ULx86_64_get_reg"));
  u.get_proc_name = reinterpret_cast<decltype(u.get_proc_name)>(dlsym(h, "_ULx86_64_get_proc_name"));
  u.get_proc_info = reinterpret_cast<decltype(u.get_proc_info)>(dlsym(h, "_ULx86_64_get_proc_info"));
  u.set_caching_policy =
      reinterpret_cast<decltype(u.set_caching_policy)>(dlsym(h, "_ULx86_64_set_caching_policy"));
  u.local_addr_space = static_cast<void**>(dlsym(h, "_ULx86_64_local_addr_space"));
  if (!u.init_local2 || !u.step || !u.get_reg || !u.get_proc_name || !u.get_proc_info ||
      !u.set_caching_policy || !u.local_addr_space) {
    rawlog("libgmp: libunwind.so.8 lacks unw_init_local2; stacks follow frame pointers only\n");
    return;
  }
  // No caching: the global cache takes a pthread mutex, which must not be
  // contended from a signal handler.
  u.set_caching_policy(*u.local_addr_space, kUnwCacheNone);
  g_unw = u;
  g_unw_state = 1;
}

////////////////////////////////////////////////////////////////////////////
// Fault guard
////////////////////////////////////////////////////////////////////////////

// While g_guard_jb is set, a SIGSEGV/SIGBUS on the dumping thread (tid
// g_guard_tid) jumps back to the start of the current walk. Faults on any
// other thread go to the program's own disposition. Both written only by the
// dumping thread.
sigjmp_buf* volatile g_guard_jb = nullptr;
volatile pid_t g_guard_tid = 0;
struct sigaction g_old_segv, g_old_bus;

void guard_handler(int sig, siginfo_t* si, void* uc) {
  if (g_guard_jb != nullptr && os::gettid() == g_guard_tid) siglongjmp(*g_guard_jb, 1);
  struct sigaction* old = sig == SIGSEGV ? &g_old_segv : &g_old_bus;
  if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
    old->sa_sigaction(sig, si, uc);
  } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
    old->sa_handler(sig);
  } else {
    // Put the default back; the faulting instruction faults again and the
    // process dies the way it would have without us.
    real::sigaction(sig, old, nullptr);
  }
}

// Reads that may fault (use only inside a guarded walk).
inline uintptr_t peek(uintptr_t addr) { return *reinterpret_cast<const volatile uintptr_t*>(addr); }

////////////////////////////////////////////////////////////////////////////
// Symbols
////////////////////////////////////////////////////////////////////////////

// A direct-mapped cache of names found by libunwind (which reads /proc/self/
// maps and maps the ELF file on every call). Only the dumping thread uses it.
struct NameEntry {
  uintptr_t ip;
  uintptr_t off;
  char name[160];
};
NameEntry g_names[512];

void copy(char* dst, size_t cap, const char* src) {
  size_t i = 0;
  for (; src[i] && i + 1 < cap; i++) dst[i] = src[i];
  dst[i] = 0;
}

void set_name(Frame* f, const char* raw) {
  if (raw[0] == '_' && raw[1] == 'Z') {
    int st = 0;
    char* d = abi::__cxa_demangle(raw, nullptr, nullptr, &st);
    if (d != nullptr && st == 0) {
      copy(f->name, sizeof f->name, d);
      free(d);
      return;
    }
    free(d);
  }
  copy(f->name, sizeof f->name, raw);
}

const char* base_name(const char* path) {
  const char* b = path;
  for (const char* p = path; *p; p++)
    if (*p == '/') b = p + 1;
  return b;
}

// describe fills module, runtime and (from the dynamic symbol table) name.
// lookup is the address to look up: ip-1 for a return address, so a call at
// the very end of a function is not attributed to the next one. Returns
// false if the address is in no loaded module (module is then empty).
bool describe(Frame* f, uintptr_t lookup) {
  Dl_info info;
  void* extra = nullptr;
  if (dladdr1(reinterpret_cast<void*>(lookup), &info, &extra, RTLD_DL_SYMENT) == 0) return false;
  const auto* sym = static_cast<const ElfW(Sym)*>(extra);
  f->runtime = info.dli_fbase == g_self_base;
  f->modoff = f->ip - reinterpret_cast<uintptr_t>(info.dli_fbase);
  const char* mod = info.dli_fname && info.dli_fname[0] ? base_name(info.dli_fname) : program_invocation_short_name;
  copy(f->module, sizeof f->module, mod);
  if (info.dli_sname && info.dli_saddr && sym) {
    uintptr_t start = reinterpret_cast<uintptr_t>(info.dli_saddr);
    if (lookup >= start && lookup < start + sym->st_size) {
      set_name(f, info.dli_sname);
      f->off = f->ip - start;
    }
  }
  return true;
}

// name_from_unwinder names f from the ELF symbol tables (static functions,
// executables not linked with -rdynamic, libgmp's hidden functions).
// libunwind answers with the nearest symbol below the address, which in a
// stripped library is often some other function; the name is kept only if
// that symbol starts where the function's unwind entry (FDE) starts.
void name_from_unwinder(unw_cursor_t* c, Frame* f) {
  NameEntry& e = g_names[(f->ip >> 2) % (sizeof g_names / sizeof g_names[0])];
  if (e.ip != f->ip) {
    unw_word_t off = 0;
    char raw[512];
    raw[0] = 0;
    e.ip = 0;
    if (g_unw.get_proc_name(c, raw, sizeof raw, &off) != 0 && raw[0] == 0) return;
    unw_proc_info_t pi;
    memset(&pi, 0, sizeof pi);
    if (g_unw.get_proc_info(c, &pi) == 0 && pi.start_ip != 0 && f->ip - off != pi.start_ip &&
        f->ip - 1 - off != pi.start_ip)
      return;
    Frame tmp;
    set_name(&tmp, raw);
    copy(e.name, sizeof e.name, tmp.name);
    e.off = off;
    e.ip = f->ip;
  }
  copy(f->name, sizeof f->name, e.name);
  f->off = e.off;
}

////////////////////////////////////////////////////////////////////////////
// Walks
////////////////////////////////////////////////////////////////////////////

int walk_frame_pointers(const Regs& r, uintptr_t lo, uintptr_t hi, Frame* out, int max) {
  // Unknown bounds (the main thread's stack): stay within 64 MiB above sp;
  // the guard catches the rest.
  uintptr_t min = r.sp, limit = lo != 0 ? hi : r.sp + (uintptr_t(64) << 20);
  uintptr_t ip = r.ip, fp = r.bp;
  int n = 0;
  while (n < max && ip != 0) {
    Frame& f = out[n];
    f = Frame();
    f.ip = ip;
    // Without unwind tables a "return address" outside every module means
    // the chain went through a frame built without a frame pointer: stop.
    if (!describe(&f, n == 0 && r.signal_frame ? ip : ip - 1) && n > 0) break;
    n++;
    if (fp < min || fp + 16 > limit || (fp & 7) != 0) break;
    uintptr_t next = peek(fp);
    ip = peek(fp + 8);
    min = fp + 16;
    fp = next;
  }
  return n;
}

int walk_unwinder(const Regs& r, uintptr_t lo, uintptr_t hi, Frame* out, int max) {
  ucontext_t uc;
  memset(&uc, 0, sizeof uc);
  greg_t* g = uc.uc_mcontext.gregs;
  g[REG_RIP] = greg_t(r.ip);
  g[REG_RSP] = greg_t(r.sp);
  g[REG_RBP] = greg_t(r.bp);
  g[REG_RBX] = greg_t(r.bx);
  g[REG_R12] = greg_t(r.r12);
  g[REG_R13] = greg_t(r.r13);
  g[REG_R14] = greg_t(r.r14);
  g[REG_R15] = greg_t(r.r15);
  unw_cursor_t c;
  if (g_unw.init_local2(&c, &uc, r.signal_frame ? kUnwInitSignalFrame : 0) < 0)
    return walk_frame_pointers(r, lo, hi, out, max);
  int n = 0;
  while (n < max) {
    unw_word_t ip = 0, sp = 0;
    g_unw.get_reg(&c, kUnwRegIp, &ip);
    g_unw.get_reg(&c, kUnwRegSp, &sp);
    if (ip == 0 || (lo != 0 && (sp < lo || sp > hi))) break;
    Frame& f = out[n];
    f = Frame();
    f.ip = ip;
    describe(&f, n == 0 && r.signal_frame ? ip : ip - 1);
    if (f.name[0] == 0) name_from_unwinder(&c, &f);
    n++;
    // A G's stack starts in thread_main; below it are only the context
    // trampoline and whatever make_fcontext left, which would cost a
    // symbol lookup per G for nothing.
    unw_proc_info_t pi;
    memset(&pi, 0, sizeof pi);
    if (g_unw.get_proc_info(&c, &pi) == 0 && pi.start_ip == reinterpret_cast<uintptr_t>(&thread_main)) break;
    if (g_unw.step(&c) <= 0) break;
  }
  return n;
}

}  // namespace

bool regs_of_context(ctx::Context c, Regs* r) {
  if (c == nullptr) return false;
  sigjmp_buf jb;
  if (sigsetjmp(jb, 1) != 0) {
    g_guard_jb = nullptr;
    return false;
  }
  g_guard_jb = &jb;
  uintptr_t base = reinterpret_cast<uintptr_t>(c);
  r->r12 = peek(base + 0x08);
  r->r13 = peek(base + 0x10);
  r->r14 = peek(base + 0x18);
  r->r15 = peek(base + 0x20);
  r->bx = peek(base + 0x28);
  r->bp = peek(base + 0x30);
  r->ip = peek(base + 0x38);
  r->sp = base + 0x40;
  r->signal_frame = false;
  g_guard_jb = nullptr;
  return true;
}

void regs_of_ucontext(const ucontext_t* uc, bool signal_frame, Regs* r) {
  const greg_t* g = uc->uc_mcontext.gregs;
  r->ip = uintptr_t(g[REG_RIP]);
  r->sp = uintptr_t(g[REG_RSP]);
  r->bp = uintptr_t(g[REG_RBP]);
  r->bx = uintptr_t(g[REG_RBX]);
  r->r12 = uintptr_t(g[REG_R12]);
  r->r13 = uintptr_t(g[REG_R13]);
  r->r14 = uintptr_t(g[REG_R14]);
  r->r15 = uintptr_t(g[REG_R15]);
  r->signal_frame = signal_frame;
}

int traceback(const Regs& r, uintptr_t lo, uintptr_t hi, Frame* out, int max) {
  sigjmp_buf jb;
  if (sigsetjmp(jb, 1) != 0) {
    g_guard_jb = nullptr;
    return -1;
  }
  g_guard_jb = &jb;
  int n = g_unw_state == 1 ? walk_unwinder(r, lo, hi, out, max) : walk_frame_pointers(r, lo, hi, out, max);
  g_guard_jb = nullptr;
  return n;
}

void print_frames(const Frame* f, int n, bool elide) {
  int first = 0, last = n - 1;
  if (elide) {
    int p0 = 0;
    while (p0 < n && f[p0].runtime) p0++;
    if (p0 < n) {  // some program frame: cut the runtime around it
      first = p0 > 0 ? p0 - 1 : 0;
      while (last > p0 && f[last].runtime) last--;
    }
  }
  char line[512];
  for (int i = first; i <= last; i++) {
    size_t len;
    if (f[i].name[0])
      len = rawfmt(line, sizeof line, "  #%d 0x%lx %s+0x%lx (%s)\n", i - first, (unsigned long)f[i].ip,
                   f[i].name, (unsigned long)f[i].off, f[i].module);
    else if (f[i].module[0])
      len = rawfmt(line, sizeof line, "  #%d 0x%lx ?? (%s+0x%lx)\n", i - first, (unsigned long)f[i].ip,
                   f[i].module, (unsigned long)f[i].modoff);
    else
      len = rawfmt(line, sizeof line, "  #%d 0x%lx ?? (?)\n", i - first, (unsigned long)f[i].ip);
    os::write(2, line, len);
  }
}

void traceback_begin() {
  if (g_self_base == nullptr) {
    Dl_info info;
    if (dladdr(reinterpret_cast<void*>(&traceback_begin), &info) != 0) g_self_base = info.dli_fbase;
  }
  load_unwinder();
  g_guard_tid = os::gettid();
  g_guard_jb = nullptr;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = guard_handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  real::sigaction(SIGSEGV, &sa, &g_old_segv);
  real::sigaction(SIGBUS, &sa, &g_old_bus);
}

void traceback_end() {
  g_guard_jb = nullptr;
  real::sigaction(SIGSEGV, &g_old_segv, nullptr);
  real::sigaction(SIGBUS, &g_old_bus, nullptr);
}

bool traceback_have_unwinder() { return g_unw_state == 1; }

}  // namespace gmp
