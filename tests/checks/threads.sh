#!/usr/bin/env bash
# threads.sh LIB PROGRAM: runs PROGRAM (which prints "threads=N" while all its
# pthreads are blocked) preloaded at GOMAXPROCS 1, 2 and 4 and fails unless
# N <= GOMAXPROCS + 4 each time and the program exits 0. Natively it is also
# run once, to show the contrast in the log.
set -u
lib=$1 prog=$2
native=$(timeout -s KILL 120 "$prog" | grep -o 'threads=[0-9]*')
echo "native: $native"
rc=0
for p in 1 2 4; do
  out=$(timeout -k 5 -s QUIT 120 env LD_PRELOAD="$lib" GOMAXPROCS=$p "$prog"); st=$?
  n=$(echo "$out" | grep -o 'threads=[0-9]*' | cut -d= -f2)
  if [ "$st" != 0 ] || [ -z "$n" ] || [ "$n" -gt $((p + 4)) ]; then
    echo "FAIL: GOMAXPROCS=$p exit=$st kernel threads=${n:-?} (limit $((p + 4)))"; echo "$out" | head; rc=1
  else
    echo "ok: GOMAXPROCS=$p kernel threads=$n (limit $((p + 4)))"
  fi
done
exit $rc
