#!/usr/bin/env bash
# gmprun.sh LIB GMPRUN PROGRAM (tests/programs/stats_contend): the wrapper's
# flags and refusals. Every refusal is one line on stderr and a non-zero
# status; the flags reach libgmp (SCHED lines, a JSON file).
set -u
lib=$1 gmprun=$2 prog=$3
export GMP_LIB=$lib
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rc=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; rc=1; }

# refuse WANT_STATUS PATTERN ARGS...: exit status and one stderr line.
refuse() {
  local want=$1 pat=$2; shift 2
  "$gmprun" "$@" >"$tmp/out" 2>"$tmp/err"; local st=$?
  if [ "$st" = "$want" ] && [ "$(grep -c . "$tmp/err")" = 1 ] && grep -q -- "$pat" "$tmp/err"; then
    ok "gmprun $*: exit $st: $(cat "$tmp/err")"
  else
    fail "gmprun $*: exit $st (want $want), stderr:"; cat "$tmp/err"
  fi
}

"$gmprun" --help >"$tmp/out" 2>&1 && grep -q '^usage: gmprun' "$tmp/out" && grep -q -- '--trace MS' "$tmp/out" &&
  ok "--help" || fail "--help"
"$gmprun" --version | grep -q '^gmprun (libgmp) ' && ok "--version" || fail "--version"

refuse 2 'whole number of processors' -p 0 "$prog"
refuse 2 'whole number of processors' -p abc "$prog"
refuse 2 'whole number of processors' -p 1025 "$prog"
refuse 2 'needs a number' -p
refuse 2 'period in milliseconds' --trace 0 "$prog"
refuse 2 'period in milliseconds' --trace soon "$prog"
refuse 2 'needs a period' --trace
refuse 2 'does not exist' --stats /nonexistent-dir/s.json "$prog"
refuse 2 'unknown option' --frobnicate "$prog"
refuse 127 'no such file' /nonexistent/program
refuse 127 'command not found' no-such-command-gmprun-test
GMP_LIB=relative/libgmp.so refuse 2 'absolute path' "$prog"
GMP_LIB=libgmp.so.10 refuse 2 'absolute path' "$prog"
# An absolute path to another library (GNU MP's, when installed) or file.
gnu_mp=$(ls /usr/lib/*/libgmp.so.10 /usr/lib64/libgmp.so.10 2>/dev/null | head -1)
GMP_LIB=${gnu_mp:-/etc/passwd} refuse 2 'not libgmp' "$prog"
# Empty option values are refused, not ignored.
refuse 2 'whole number of processors' -p "" "$prog"
refuse 2 'whole number of processors' --procs= "$prog"
refuse 2 'period in milliseconds' --trace "" "$prog"
refuse 2 'wants a file name' --stats "" "$prog"

# A setuid copy of a dynamic program.
cp "$prog" "$tmp/suid" && chmod u+s "$tmp/suid"
refuse 126 'setuid or setgid' "$tmp/suid"

# A static program, built here (skipped without a static libc).
printf 'int main(void) { return 0; }\n' >"$tmp/static.c"
if gcc -static -o "$tmp/static" "$tmp/static.c" 2>/dev/null; then
  refuse 126 'statically linked' "$tmp/static"
else
  echo "skip: no static libc to build a static test program"
fi

# -p N runs the program preloaded with GOMAXPROCS=N.
out=$("$gmprun" -p 1 -- sh -c 'echo "$GOMAXPROCS $LD_PRELOAD"')
[ "$out" = "1 $lib" ] && ok "-p 1 sets GOMAXPROCS and LD_PRELOAD" || fail "-p 1: got '$out'"

# Called from a preloaded environment, gmprun's helpers (readelf...) do not
# run preloaded: GMP_DEBUG=options prints one table per preloaded process
# start, and only env and bash (gmprun's #! line) and the program may print
# one (the program's says GOMAXPROCS=1).
LD_PRELOAD=$lib GOMAXPROCS=2 GMP_DEBUG=options "$gmprun" -p 1 "$prog" >"$tmp/out" 2>"$tmp/err"; st=$?
n_prog=$(grep -c '^libgmp: GOMAXPROCS=1$' "$tmp/err") n_other=$(grep -c '^libgmp: GOMAXPROCS=2$' "$tmp/err")
if [ "$st" = 0 ] && [ "$n_prog" = 1 ] && [ "$n_other" -le 2 ]; then
  ok "preloaded caller: the program preloaded, $n_other preloaded starts for env and bash, no helper"
else
  fail "preloaded caller: exit $st, program tables $n_prog (want 1), others $n_other (want <= 2)"
fi

# --trace MS: SCHED lines on stderr; an existing GMP_DEBUG is kept.
GMP_DEBUG=scheddetail=1 "$gmprun" -p 2 --trace 10 "$prog" >"$tmp/out" 2>"$tmp/err"; st=$?
if [ "$st" = 0 ] && grep -q '^SCHED [0-9]*ms: gomaxprocs=2 ' "$tmp/err" && grep -q '^  P0: ' "$tmp/err"; then
  ok "--trace 10: $(grep -c '^SCHED' "$tmp/err") SCHED lines, scheddetail kept"
else
  fail "--trace 10: exit $st"; head -20 "$tmp/err"
fi

# --stats FILE: JSON at exit.
"$gmprun" --stats "$tmp/s.json" "$prog" >"$tmp/out" 2>"$tmp/err"; st=$?
if [ "$st" = 0 ] && python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s["gs_created"] > 0 else 1)' "$tmp/s.json"; then
  ok "--stats: $(tr -d '\n' <"$tmp/s.json" | cut -c1-100)..."
else
  fail "--stats: exit $st"; cat "$tmp/err" "$tmp/s.json"
fi
exit $rc
