#!/usr/bin/env bash
# compare.sh LIB PROCS PROGRAM [ARGS...]
# Runs PROGRAM natively and with LD_PRELOAD=LIB GOMAXPROCS=PROCS, and fails
# unless stdout and the exit status are identical. stderr is shown on failure.
set -u
lib=$1 procs=$2; shift 2
case "$lib" in /*) ;; *) echo "compare.sh: LIB must be an absolute path" >&2; exit 2;; esac
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
limit=${GMP_TEST_TIMEOUT:-120}
timeout -s KILL "$limit" "$@" >"$tmp/native.out" 2>"$tmp/native.err"; nrc=$?
# SIGQUIT first so a hung preloaded run can dump its state, then KILL.
timeout -k 5 -s QUIT "$limit" env LD_PRELOAD="$lib" GOMAXPROCS="$procs" "$@" \
  >"$tmp/gmp.out" 2>"$tmp/gmp.err"; grc=$?
ok=1
[ "$nrc" = "$grc" ] || { echo "exit status differs: native=$nrc preloaded=$grc"; ok=0; }
if ! cmp -s "$tmp/native.out" "$tmp/gmp.out"; then
  echo "stdout differs (native vs preloaded GOMAXPROCS=$procs):"
  diff "$tmp/native.out" "$tmp/gmp.out" | head -40; ok=0
fi
if [ $ok = 1 ]; then
  echo "same output natively and preloaded (GOMAXPROCS=$procs, exit $nrc, $(wc -l <"$tmp/gmp.out") lines)"
  exit 0
fi
echo "--- native stderr"; head -20 "$tmp/native.err"
echo "--- preloaded stderr"; head -60 "$tmp/gmp.err"
exit 1
