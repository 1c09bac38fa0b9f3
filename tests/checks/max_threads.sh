#!/usr/bin/env bash
# max_threads.sh LIB PROGRAM: with GMP_MAX_THREADS=8 a burst of 32 threads
# blocked in the kernel needs more kernel threads than allowed; libgmp must
# end the program with exit status 2 and one line naming the limit, as Go's
# "program exceeds 10000-thread limit".
set -u
lib=$1 prog=$2
err=$(mktemp); trap 'rm -f "$err"' EXIT
timeout -s KILL 60 env LD_PRELOAD="$lib" GOMAXPROCS=1 GMP_MAX_THREADS=8 "$prog" >/dev/null 2>"$err"; rc=$?
if [ "$rc" = 2 ] && grep -q 'exceeds 8-thread limit' "$err" && [ "$(grep -c . "$err")" = 1 ]; then
  echo "ok: exit 2: $(cat "$err")"; exit 0
fi
echo "FAIL: exit $rc, stderr:"; head -5 "$err"; exit 1
