// hooks/process.cpp — waiting for child processes: the syscall path.
//
// A blocking wait can last forever, so the P is handed off at once
// (entersyscallblock); with WNOHANG the call cannot block and runs as is.
#include <sys/wait.h>

#include <cerrno>
#include <climits>
#include <pthread.h>
#include <cstdio>
#include <cstdlib>

#include "hooks/hook.h"
#include "runtime/fork.h"
#include "runtime/pollfd.h"

using namespace gmp;

namespace {
// Blocking wraps a call that may block in the kernel for long.
template <class F>
auto blocking(bool may_block, F f) {
  if (!may_block) return f();
  G* g = entersyscallblock();
  auto r = f();
  if (g) exitsyscall(g);
  return r;
}
}  // namespace

GMP_HOOK pid_t waitpid(pid_t pid, int* status, int options) {
  return blocking(!(options & WNOHANG), [&] { return real::waitpid(pid, status, options); });
}
GMP_HOOK pid_t wait(int* status) {
  return blocking(true, [&] { return real::wait(status); });
}
GMP_HOOK pid_t wait3(int* status, int options, struct rusage* ru) noexcept {
  return blocking(!(options & WNOHANG), [&] { return real::wait3(status, options, ru); });
}
GMP_HOOK pid_t wait4(pid_t pid, int* status, int options, struct rusage* ru) noexcept {
  return blocking(!(options & WNOHANG), [&] { return real::wait4(pid, status, options, ru); });
}
GMP_HOOK int waitid(idtype_t idtype, id_t id, siginfo_t* info, int options) {
  return blocking(!(options & WNOHANG), [&] { return real::waitid(idtype, id, info, options); });
}
GMP_HOOK int system(const char* cmd) {
  return blocking(cmd != nullptr, [&] { return real::system(cmd); });
}
// pclose. Natively (glibc's _IO_new_proc_close) it flushes, closes the
// stream's fd, then waits for the child; the fd number is free while it
// waits. glibc's close and waitpid are internal calls no hook sees, so
// bracketing the whole real pclose with the table's close bookkeeping left
// the number "closing" in our table for as long as the child ran: another
// thread that got the same number (pipe, socket, another popen) and polled
// it waited until pclose returned. So a popen stream is taken apart here in
// native order:
//   1. flush pending output (a write stream), as fclose would first;
//   2. close the fd bracketed by pd_close_begin/end, as the close hook does;
//   3. the real fclose with the stream's fd replaced by an invalid number:
//      glibc's proc close unlinks the stream from its popen list (which
//      popen children walk), its close fails (EBADF) and it returns before
//      waiting; fclose frees the stream;
//   4. waitpid for the child, retried on EINTR with cancellation disabled,
//      as glibc does; the result is the wait status, or -1 if the wait
//      failed, or -1 if the flush failed and the status is 0 (fclose's rule:
//      the close status, else the write status).
// A popen stream is recognised by its jump table's close slot, glibc's
// exported _IO_proc_close; its child's pid follows the FILE and the table
// pointer (glibc's _IO_proc_file, unchanged since 2.1; libgmp runs only on
// the glibc it was built for). Any other FILE gets glibc's pclose, which is
// fclose for it.
extern "C" int _IO_proc_close(FILE*);

namespace gmp {
pid_t hook_popen_child(FILE* f);
}

namespace {
struct ProcFile {  // glibc libio/iopopen.c: _IO_proc_file
  FILE file;
  const void* const* vtable;  // struct _IO_FILE_plus's jump table
  pid_t pid;
  ProcFile* next;
};
constexpr int kJumpClose = 17;  // libio/libioP.h: struct _IO_jump_t's __close slot

}  // namespace

// hook_popen_child: the pid of the child of a popen stream, -1 for any
// other FILE (fclose in hooks/io.cpp sends popen streams here too).
pid_t gmp::hook_popen_child(FILE* f) {
  auto* pf = reinterpret_cast<ProcFile*>(f);
  if (pf->vtable == nullptr || pf->vtable[kJumpClose] != reinterpret_cast<const void*>(&_IO_proc_close))
    return -1;
  return pf->pid;
}

GMP_HOOK int pclose(FILE* f) {
  if (f == nullptr || !runtime_started() || pd_foreign_process())
    return blocking(f != nullptr, [&] { return real::pclose(f); });
  int saved = errno;
  int fd = real::fileno(f);
  pid_t pid = fd >= 0 ? hook_popen_child(f) : -1;
  errno = saved;
  if (pid <= 0) {  // not a popen stream (or no fd): glibc's pclose, fclose for it
    if (fd >= 0) pd_close_begin(fd);
    int r = blocking(true, [&] { return real::pclose(f); });
    if (fd >= 0) pd_close_end(fd);
    return r;
  }
  bool write_failed = false;
  if (f->_IO_write_ptr > f->_IO_write_base) {  // pending output: flush may block
    write_failed = blocking(true, [&] { return fflush(f); }) != 0;
    saved = write_failed ? errno : saved;
  }
  pd_close_begin(fd);
  int cr = real::close(fd);
  pd_close_end(fd);
  f->_fileno = INT_MAX;  // never open: glibc's proc close stops after unlinking
  real::fclose(f);
  if (cr != 0) {  // as glibc: a failed close returns -1 without waiting
    errno = EBADF;
    return -1;
  }
  errno = saved;
  int cancel_state;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
  int wstatus = 0;
  pid_t w;
  do {
    w = blocking(true, [&] { return real::waitpid(pid, &wstatus, 0); });
  } while (w < 0 && errno == EINTR);
  int wait_errno = errno;
  pthread_setcancelstate(cancel_state, nullptr);
  if (w < 0) {
    errno = wait_errno;
    return -1;
  }
  errno = saved;
  return wstatus != 0 ? wstatus : write_failed ? -1 : 0;
}

// fork: the child keeps only the calling G (runtime/fork.cpp). vfork is
// fork (POSIX allows it): a vfork child runs in the parent's memory, where a
// hook it calls (dup2, close) would edit the parent's runtime state.
GMP_HOOK pid_t fork() noexcept {
  if (!green()) return proc_fork_plain(true);
  return proc_fork(true);
}
// A vfork child only execs or _exits: glibc runs no atfork handlers for it,
// and programs rely on that (python's subprocess: its handlers would
// re-initialise the interpreter in a child that is about to exec).
GMP_HOOK pid_t vfork() noexcept {
  if (!green()) return proc_fork_plain(false);
  return proc_fork(false);
}
GMP_HOOK pid_t __vfork() noexcept { return vfork(); }

// pthread_atfork (linked statically into programs) registers here.
GMP_HOOK int __register_atfork(void (*prepare)(), void (*parent)(), void (*child)(), void* dso) noexcept {
  return atfork_register(prepare, parent, child, dso);
}
GMP_HOOK void __unregister_atfork(void* dso) noexcept { atfork_unregister(dso); }
