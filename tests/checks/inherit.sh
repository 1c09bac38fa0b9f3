#!/usr/bin/env bash
# inherit.sh LIB PROGRAM (tests/programs/exec_inherit): children started with
# system() and posix_spawn() run under libgmp by default (LD_PRELOAD is
# inherited); with GMP_INHERIT=0 they run natively, other LD_PRELOAD entries
# survive (with their separators) and an LD_PRELOAD left empty is unset. The
# parent keeps libgmp either way. libgmp is always named by absolute path.
set -u
lib=$(realpath "$1") prog=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rc=0
# Another preload that is harmless to load twice: glibc's libm.
other=$(realpath /lib/x86_64-linux-gnu/libm.so.6)
ln -s "$lib" "$tmp/link-to-libgmp.so"

# expect NAME PRELOAD INHERIT WANT_CHILD WANT_ENV: run PROGRAM with
# LD_PRELOAD=PRELOAD (GMP_INHERIT=INHERIT unless empty); the parent must have
# libgmp, both children must say "libgmp WANT_CHILD" and report WANT_ENV.
expect() {
  local name=$1 pre=$2 inh=$3 want=$4 wenv=$5 out
  if [ -n "$inh" ]; then
    out=$(timeout -s KILL 60 env GMP_INHERIT="$inh" LD_PRELOAD="$pre" "$prog" "$lib" 2>&1)
  else
    out=$(timeout -s KILL 60 env -u GMP_INHERIT LD_PRELOAD="$pre" "$prog" "$lib" 2>&1)
  fi
  local want_out
  want_out=$(printf 'parent: libgmp yes\nparent: LD_PRELOAD=[%s]\n' "$pre"
             for c in system posix_spawn; do printf '%s: libgmp %s\n%s: %s\n' $c "$want" $c "$wenv"; done)
  # The parent's own LD_PRELOAD is what it was given, or the rewritten one.
  if [ -n "$inh" ] && [ "$inh" = 0 ]; then
    want_out=$(sed "s|^parent: LD_PRELOAD=.*|parent: $wenv|" <<<"$want_out")
  fi
  if [ "$out" = "$want_out" ]; then
    echo "ok: $name"
  else
    echo "FAIL: $name"; echo "--- got"; echo "$out"; echo "--- want"; echo "$want_out"; rc=1
  fi
}

expect "default: children inherit the preload" "$lib" "" yes "LD_PRELOAD=[$lib]"
expect "GMP_INHERIT=1: children inherit the preload" "$lib" 1 yes "LD_PRELOAD=[$lib]"
expect "GMP_INHERIT=0: children run natively, LD_PRELOAD unset" "$lib" 0 no "LD_PRELOAD unset"
expect "GMP_INHERIT=0: another preload before libgmp survives" "$other $lib" 0 no "LD_PRELOAD=[$other]"
expect "GMP_INHERIT=0: another preload after libgmp survives" "$lib:$other" 0 no "LD_PRELOAD=[$other]"
expect "GMP_INHERIT=0: separators of the others are kept" "$other $lib:$other" 0 no "LD_PRELOAD=[$other:$other]"
expect "GMP_INHERIT=0: libgmp named through a symlink is removed too" "$tmp/link-to-libgmp.so" 0 no "LD_PRELOAD unset"
exit $rc
