/* dlopen of GNU MP's libraries by name: "libgmp.so.10" (Debian's libgmp10)
 * and "libgmp.so" (the libgmp-dev symlink) must give GNU MP, whose
 * __gmp_version is its version string, never the preloaded libgmp.so (the
 * loader hands out an already loaded object whose SONAME matches the name;
 * ours is libgmp-green.so, see CMakeLists.txt). Where GNU MP is not
 * installed, both runs print "not found". tests/cmake/soname.cmake also
 * checks the SONAME itself. */
#include <dlfcn.h>
#include <stdio.h>

int main(void) {
  const char* names[] = {"libgmp.so.10", "libgmp.so"};
  for (int i = 0; i < 2; i++) {
    void* h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
      printf("%s: not found\n", names[i]);
      continue;
    }
    const char* const* v = dlsym(h, "__gmp_version");
    void* init = dlsym(h, "__gmpz_init");
    if (v != NULL && init != NULL)
      printf("%s: GNU MP %s\n", names[i], *v);
    else
      printf("%s: NOT GNU MP (no __gmp_version / __gmpz_init)\n", names[i]);
    dlclose(h);
  }
  return 0;
}
