/* Preloaded before libgmp.so by the check/arch-prctl tests: answers
 * getauxval(AT_HWCAP2) without the FSGSBASE bit, as a CPU or kernel without
 * user-space wrfsbase would, so libgmp switches the FS base with
 * arch_prctl(ARCH_SET_FS) instead. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/auxv.h>

unsigned long getauxval(unsigned long type) {
  static unsigned long (*next)(unsigned long);
  if (!next) next = (unsigned long (*)(unsigned long))dlsym(RTLD_NEXT, "getauxval");
  unsigned long v = next(type);
  return type == AT_HWCAP2 ? v & ~2ul : v;
}
