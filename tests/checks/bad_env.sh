#!/usr/bin/env bash
# bad_env.sh LIB PROGRAM: every bad setting prints exactly one stderr line
# naming the variable and the value, then the program runs normally (same
# stdout and exit status as native).
set -u
lib=$1 prog=$2
want=$(timeout 60 "$prog"); wrc=$?
rc=0
check() {  # VAR VALUE
  local err out orc
  err=$(mktemp)
  out=$(timeout -s QUIT 60 env LD_PRELOAD="$lib" "$1=$2" "$prog" 2>"$err"); orc=$?
  local lines; lines=$(grep -c . "$err")
  if [ "$orc" != "$wrc" ] || [ "$out" != "$want" ] || [ "$lines" != 1 ] ||
     ! grep -q -- "$1=$2" "$err"; then
    echo "FAIL: $1=$2: exit $orc (want $wrc), stderr lines $lines:"; head -5 "$err"; rc=1
  else
    echo "ok: $1=$2 -> $(cat "$err")"
  fi
  rm -f "$err"
}
for v in 0 -3 abc 1e9 ""; do [ -n "$v" ] && check GOMAXPROCS "$v"; done
check GMP_STACK_SIZE 12Q
check GMP_STACK_SIZE 1K
check GMP_MAX_THREADS 2
check GMP_LOCK_MAIN maybe
check GMP_DEBUG schedtrace=x
check GMP_DEBUG nosuch=1
exit $rc
