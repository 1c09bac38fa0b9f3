/* Preloaded before libgmp.so by check/glibc-refused: claims another glibc
 * version, as a system with a newer glibc would answer. */
const char *gnu_get_libc_version(void) { return "2.37"; }
