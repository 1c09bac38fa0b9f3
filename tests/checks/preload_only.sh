#!/usr/bin/env bash
# preload_only.sh LIB PROGRAM [ARGS...]: runs PROGRAM preloaded at GOMAXPROCS
# 1, 2 and 4 and fails unless it exits 0 each time. For behaviour that cannot
# be compared with a native run (a documented deviation, e.g. close() waking a
# blocked reader, which natively hangs).
set -u
lib=$1; shift
rc=0
for p in 1 2 4; do
  out=$(timeout -k 5 -s QUIT 120 env LD_PRELOAD="$lib" GOMAXPROCS=$p "$@" 2>&1); st=$?
  if [ "$st" != 0 ]; then
    echo "FAIL: GOMAXPROCS=$p exit=$st"; echo "$out" | head -40; rc=1
  else
    echo "ok: GOMAXPROCS=$p ($(echo "$out" | wc -l) lines)"
  fi
done
[ $rc = 0 ] && echo "$out"
exit $rc
