// hooks/process.cpp — waiting for child processes: the syscall path.
//
// A blocking wait can last forever, so the P is handed off at once
// (entersyscallblock); with WNOHANG the call cannot block and runs as is.
#include <sys/wait.h>

#include <cerrno>
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
// pclose waits for the child (glibc's internal waitpid, which no hook sees),
// and closes the stream's fd as fclose does: the descriptor table is told
// (close_begin/end) so that parked waiters wake and a reused number starts
// fresh.
GMP_HOOK int pclose(FILE* f) {
  if (f == nullptr || !runtime_started() || pd_foreign_process())
    return blocking(f != nullptr, [&] { return real::pclose(f); });
  int saved = errno;
  int fd = real::fileno(f);
  errno = saved;
  if (fd >= 0) pd_close_begin(fd);
  int r = blocking(true, [&] { return real::pclose(f); });
  if (fd >= 0) pd_close_end(fd);
  return r;
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
