#!/usr/bin/env bash
# dump.sh LIB PROGRAM (tests/programs/dump_parked): the G dump names every
# wait reason and the program's functions, on SIGQUIT (the process still dies
# by SIGQUIT) and at exit with GMP_DEBUG=dump=1 (exit status unchanged); and
# no dump when the program started with SIGQUIT ignored.
set -u
lib=$1 prog=$2
ulimit -c 0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rc=0

# want FILE: the parked threads' reasons and functions are all in the dump:
# the pipe read with its fd (the program prints it) and direction, the
# waitpid thread with its system call.
missing() {
  local f=$1 m="" fd
  fd=$(sed -n 's/^pipe read end: fd \([0-9]*\)$/\1/p' "$tmp/out")
  for w in '\[waiting mutex, [0-9]* s\]' '\[waiting cond, [0-9]* s\]' '\[waiting sleep, [0-9]* s\]' \
           "\\[IO wait fd ${fd:-?}, read, [0-9]* s\\]" '\[syscall, wait4, [0-9]* s\]' \
           ' blocked_on_mutex+0x' ' blocked_on_cond+0x' ' blocked_in_sleep+0x' ' blocked_in_read+0x' ' main+0x' \
           '^G1 \[' ' pthread_mutex_lock+0x'; do
    grep -q -- "$w" "$f" || m="$m '$w'"
  done
  echo "$m"
}

# Each run gives the threads 200 ms to reach their blocking call; on a
# loaded machine one may still be on its way, so a run is retried twice.
check() {  # NAME WANT_STATUS HEADER ENV... -- ARGS
  local name=$1 want=$2 header=$3; shift 3
  local envs=(); while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
  local try st m
  for try in 1 2 3; do
    timeout -s KILL 60 env LD_PRELOAD="$lib" "${envs[@]}" "$prog" "$@" >"$tmp/out" 2>"$tmp/err"; st=$?
    m=$(missing "$tmp/err")
    grep -q -- "$header" "$tmp/err" || m="$m '$header'"
    [ "$st" = "$want" ] && [ -z "$m" ] && break
  done
  if [ "$st" != "$want" ] || [ -n "$m" ]; then
    echo "FAIL: $name: exit $st (want $want), missing:$m"; cat "$tmp/err"; rc=1
  else
    echo "ok: $name: exit $st, $(grep -c '^G[0-9]* \[' "$tmp/err") Gs dumped"
  fi
}

for p in 1 2 4; do
  check "SIGQUIT GOMAXPROCS=$p" 131 '^SIGQUIT: quit' GOMAXPROCS=$p -- quit
  check "exit dump GOMAXPROCS=$p" 0 'green threads at exit' GOMAXPROCS=$p GMP_DEBUG=dump=1 -- exit
done
echo "--- the last dump"; cat "$tmp/err"

# SIGQUIT ignored when the program starts: libgmp installs nothing, raise()
# does nothing and the program reports that it is still alive (exit 1).
# (timeout itself resets SIGQUIT to the default in its child: ignore it after.)
timeout -s KILL 60 sh -c 'trap "" QUIT; exec env LD_PRELOAD="$1" "$2" quit' sh "$lib" "$prog" \
  >"$tmp/out" 2>"$tmp/err"; st=$?
if [ "$st" = 1 ] && grep -q 'still alive' "$tmp/out" && ! grep -q 'SIGQUIT: quit' "$tmp/err"; then
  echo "ok: SIGQUIT ignored at start: no handler, no dump"
else
  echo "FAIL: SIGQUIT ignored at start: exit $st"; cat "$tmp/out" "$tmp/err"; rc=1
fi
# GMP_DEBUG=options=1 prints the effective table; a bad dump/deadlock value
# is one line and a normal run (the program still dumps on SIGQUIT).
env LD_PRELOAD="$lib" GOMAXPROCS=3 GMP_DEBUG=options=1,dump=1,deadlock=exit GMP_STATS=s.json \
  /bin/true 2>"$tmp/err"; st=$?
if [ "$st" = 0 ] && grep -q '^libgmp: GOMAXPROCS=3$' "$tmp/err" &&
   grep -q '^libgmp: GMP_DEBUG=schedtrace=0,scheddetail=0,dump=1,deadlock=exit,options=1$' "$tmp/err" &&
   grep -q "^libgmp: GMP_STATS=$(pwd)/s.json\$" "$tmp/err"; then
  echo "ok: options=1: $(grep -c '^libgmp: ' "$tmp/err") lines"
else
  echo "FAIL: options=1: exit $st"; cat "$tmp/err"; rc=1
fi
rm -f s.json
for bad in dump=2 deadlock=maybe; do
  timeout -s KILL 60 env LD_PRELOAD="$lib" GMP_DEBUG=$bad "$prog" quit >"$tmp/out" 2>"$tmp/err"; st=$?
  if [ "$st" = 131 ] && [ "$(grep -c "GMP_DEBUG=$bad" "$tmp/err")" = 1 ] && grep -q '^SIGQUIT: quit' "$tmp/err"; then
    echo "ok: GMP_DEBUG=$bad: $(grep "GMP_DEBUG=$bad" "$tmp/err")"
  else
    echo "FAIL: GMP_DEBUG=$bad: exit $st"; head -5 "$tmp/err"; rc=1
  fi
done
exit $rc
