// gmp: no-compare
/* exec_inherit [LIB]: does a program started from this one run under libgmp?
 * One child is started with system(), one with posix_spawn(); each is this
 * program again ("--child LABEL LIB"), which looks for LIB (libgmp.so by its
 * absolute path: GNU MP's library has the same base name) in its own
 * /proc/self/maps and prints yes or no, and what LD_PRELOAD it got.
 * Without LIB the parent takes the first mapped file named libgmp.so.
 * tests/checks/inherit.sh runs this preloaded with and without GMP_INHERIT=0. */
#define _GNU_SOURCE
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* mapped reports whether the file at path (absolute) is mapped here. */
static int mapped(const char *path) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[PATH_MAX + 128];
  int found = 0;
  if (!f) return 0;
  while (!found && fgets(line, sizeof line, f)) {
    char *p = strchr(line, '/');
    if (!p) continue;
    p[strcspn(p, "\n")] = 0;
    found = strcmp(p, path) == 0;
  }
  fclose(f);
  return found;
}

/* first_libgmp copies the path of the first mapped ".../libgmp.so" to out. */
static int first_libgmp(char *out, size_t cap) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[PATH_MAX + 128];
  int found = 0;
  if (!f) return 0;
  while (!found && fgets(line, sizeof line, f)) {
    char *p = strchr(line, '/');
    if (!p) continue;
    p[strcspn(p, "\n")] = 0;
    size_t n = strlen(p);
    if (n >= 10 && strcmp(p + n - 10, "/libgmp.so") == 0 && n < cap) {
      strcpy(out, p);
      found = 1;
    }
  }
  fclose(f);
  return found;
}

static void report(const char *label, const char *lib) {
  const char *pre = getenv("LD_PRELOAD");
  printf("%s: libgmp %s\n", label, mapped(lib) ? "yes" : "no");
  if (pre)
    printf("%s: LD_PRELOAD=[%s]\n", label, pre);
  else
    printf("%s: LD_PRELOAD unset\n", label);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--child") == 0) {
    report(argv[2], argv[3]);
    return 0;
  }
  char lib[PATH_MAX], self[PATH_MAX], cmd[3 * PATH_MAX];
  if (argc > 1) {
    if (!realpath(argv[1], lib)) {
      perror(argv[1]);
      return 1;
    }
  } else if (!first_libgmp(lib, sizeof lib)) {
    strcpy(lib, "(libgmp.so not mapped)");
  }
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return 1;
  self[n] = 0;
  report("parent", lib);

  snprintf(cmd, sizeof cmd, "'%s' --child system '%s'", self, lib);
  int st = system(cmd);
  if (st != 0) printf("system: status %d\n", st);

  char *args[] = {self, "--child", "posix_spawn", lib, NULL};
  pid_t pid;
  int err = posix_spawn(&pid, self, NULL, NULL, args, environ);
  if (err != 0) {
    printf("posix_spawn: error %d\n", err);
    return 1;
  }
  if (waitpid(pid, &st, 0) != pid || st != 0) printf("posix_spawn: status %d\n", st);
  return 0;
}
