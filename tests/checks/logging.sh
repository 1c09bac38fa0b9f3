#!/bin/bash
# GMP_LOG / GMP_LOG_FILE: records reach the file through spdlog, the
# program's own output is unchanged, bad values are one line, off is silent.
lib=$1 prog=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rc=0
native=$("$prog")
out=$(env GMP_LOG=debug GMP_LOG_FILE="$tmp/log" LD_PRELOAD="$lib" "$prog")
if [ "$out" = "$native" ] && grep -q 'libgmp info: started: pid' "$tmp/log" && grep -q 'libgmp debug: M[0-9]* created' "$tmp/log"; then
  echo "ok: GMP_LOG=debug wrote $(wc -l <"$tmp/log") lines; program output unchanged"
else
  echo "FAIL: GMP_LOG=debug"; echo "$out"; cat "$tmp/log"; rc=1
fi
env GMP_LOG=bogus LD_PRELOAD="$lib" "$prog" >/dev/null 2>"$tmp/err"
if [ "$(grep -c 'GMP_LOG=bogus' "$tmp/err")" = 1 ]; then echo "ok: bad level: $(cat "$tmp/err")"; else echo "FAIL: bad level"; cat "$tmp/err"; rc=1; fi
env GMP_LOG=info GMP_LOG_FILE="$tmp/no/such/dir/log" LD_PRELOAD="$lib" "$prog" >/dev/null 2>"$tmp/err"
if grep -q 'cannot open GMP_LOG_FILE' "$tmp/err" && grep -q 'libgmp info: started' "$tmp/err" && [ ! -e "$tmp/no" ]; then
  echo "ok: unopenable GMP_LOG_FILE falls back to stderr (and creates nothing)"
else
  echo "FAIL: bad GMP_LOG_FILE"; cat "$tmp/err"; rc=1
fi
env GMP_LOG=off GMP_LOG_FILE="$tmp/off" LD_PRELOAD="$lib" "$prog" >/dev/null 2>"$tmp/err"
if [ ! -s "$tmp/off" ] && [ ! -s "$tmp/err" ]; then echo "ok: GMP_LOG=off is silent"; else echo "FAIL: GMP_LOG=off"; cat "$tmp/err"; rc=1; fi
exit $rc
