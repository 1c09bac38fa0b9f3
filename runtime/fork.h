// fork.h — fork() for a process of green threads (see fork.cpp).
#pragma once
#include <sys/types.h>

namespace gmp {

// proc_fork is fork() called by a G: atfork handlers run on the G (unless
// !handlers: vfork, which never runs them), the child keeps only the
// calling G with a fresh scheduler, poller and sysmon.
pid_t proc_fork(bool handlers);
// proc_fork_plain: fork() from a thread that is not a G (or before the
// runtime started): only the handlers are ours.
pid_t proc_fork_plain(bool handlers);

// atfork_register / atfork_unregister are __register_atfork and
// __unregister_atfork: libgmp keeps the handler list so that it can run the
// handlers on the calling G and rebuild the runtime before the child's run.
int atfork_register(void (*prepare)(), void (*parent)(), void (*child)(), void* dso);
void atfork_unregister(void* dso);

}  // namespace gmp
