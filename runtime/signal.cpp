// signal.cpp — placeholder while the signal model is written.
#include "runtime/signal.h"

namespace gmp {

bool sig_pending(G*) { return false; }
bool sig_after_interrupt(bool) { return true; }

}  // namespace gmp
