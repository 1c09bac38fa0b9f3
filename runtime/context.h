// context.h — the only user of Boost.Context (fcontext).
//
// A switch with jump() saves and restores exactly: the callee-saved general
// registers (rbx, rbp, r12-r15), the stack pointer, MXCSR and the x87 control
// word. It does NOT save or restore: the signal mask, the FS base (TLS), the
// alternate signal stack, or anything the kernel keeps per thread. Code that
// needs those to follow a G must do it around the switch (sched.cpp:execute).
#pragma once
#include <boost/context/detail/fcontext.hpp>
#include <cstddef>

namespace gmp::ctx {

using Context = boost::context::detail::fcontext_t;
using Transfer = boost::context::detail::transfer_t;
using Entry = void (*)(Transfer);

// make prepares a context that, when first jumped to, calls fn on the stack
// whose highest address is top.
inline Context make(void* top, size_t size, Entry fn) {
  return boost::context::detail::make_fcontext(top, size, fn);
}

// jump suspends the current context and resumes to; the resumed side gets
// {the suspended context, data}.
inline Transfer jump(Context to, void* data) {
  return boost::context::detail::jump_fcontext(to, data);
}

}  // namespace gmp::ctx
