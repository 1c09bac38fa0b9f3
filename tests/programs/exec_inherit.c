// gmp: no-compare
/* Children started with system() and posix_spawn report whether libgmp is
 * mapped in them and what LD_PRELOAD they got; tests/checks/inherit.sh runs
 * this preloaded with and without GMP_INHERIT=0. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

extern char **environ;

int main(void) {
  const char *report = "if grep -q /libgmp.so /proc/self/maps; then echo \"$0: libgmp yes\"; else echo \"$0: libgmp no\"; fi;"
                       " echo \"$0: LD_PRELOAD=[$LD_PRELOAD]\"";
  fflush(stdout);
  char *argv[] = {"/bin/sh", "-c", (char *)report, "system", NULL};
  pid_t pid;
  if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) != 0) return 1;
  int st;
  waitpid(pid, &st, 0);
  argv[3] = "posix_spawn";
  if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) != 0) return 1;
  waitpid(pid, &st, 0);
  return 0;
}
