#!/usr/bin/env bash
# deadlock.sh LIB DEADLOCK_PROG NO_DEADLOCK_PROG
#   DEADLOCK_PROG (tests/programs/deadlock_abba) deadlocks on two mutexes:
#     with GMP_DEBUG=deadlock=exit it ends with status 2, the message and a
#     dump naming both mutex waits and main's join (GOMAXPROCS 1, 2, 4);
#     by default the message comes once and the program keeps waiting (then
#     SIGQUIT still dumps and kills it);
#     with deadlock=0 nothing is printed.
#   NO_DEADLOCK_PROG (tests/programs/deadlock_none) only sleeps, waits on a
#     pipe fed by another process, or waits on a computing thread: with
#     deadlock=exit it must run to the end, silently.
set -u
lib=$1 dead=$2 live=$3
ulimit -c 0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rc=0
msg='all green threads are asleep - deadlock!'

for p in 1 2 4; do
  timeout -s KILL 60 env LD_PRELOAD="$lib" GOMAXPROCS=$p GMP_DEBUG=deadlock=exit "$dead" >"$tmp/out" 2>"$tmp/err"; st=$?
  m=""
  for w in "^libgmp: $msg" '\[waiting mutex, ' ' lock_ab+0x' ' lock_ba+0x' '^G1 \[waiting join, ' ' main+0x'; do
    grep -q -- "$w" "$tmp/err" || m="$m '$w'"
  done
  n=$(grep -c -- "$msg" "$tmp/err")
  if [ "$st" != 2 ] || [ -n "$m" ] || [ "$n" != 1 ]; then
    echo "FAIL: deadlock=exit GOMAXPROCS=$p: exit $st (want 2), $n messages, missing:$m"; cat "$tmp/err"; rc=1
  else
    echo "ok: deadlock=exit GOMAXPROCS=$p: exit 2, reported once"
  fi
done
echo "--- report (GOMAXPROCS=4)"; cat "$tmp/err"

# Default: report once, keep waiting. Wait for the report (no time limit is
# asserted: the loop only bounds a hang), then SIGQUIT must still dump.
# Background jobs of a script start with SIGQUIT ignored (and libgmp then
# leaves it alone); timeout restores the default in its child and passes our
# SIGQUIT on to it.
timeout -s KILL 120 env LD_PRELOAD="$lib" GOMAXPROCS=2 "$dead" >"$tmp/out" 2>"$tmp/err" &
pid=$!
# (Wait for the report's last line: a SIGQUIT that lands on the thread still
# printing it would dump at once and end the report early.)
for _ in $(seq 600); do grep -q 'keeps waiting' "$tmp/err" && break; sleep 0.1; done
sleep 0.3
alive=no; kill -0 $pid 2>/dev/null && alive=yes
kill -QUIT $pid 2>/dev/null
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -KILL $pid 2>/dev/null
wait $pid; st=$?
n=$(grep -c -- "$msg" "$tmp/err")
if [ "$alive" = yes ] && [ "$n" = 1 ] && [ "$st" = 131 ] && grep -q '^SIGQUIT: quit' "$tmp/err" &&
   grep -q 'keeps waiting' "$tmp/err"; then
  echo "ok: default: reported once, kept waiting, SIGQUIT dumped (exit $st)"
else
  echo "FAIL: default: alive after report=$alive, $n messages, exit $st (want 131)"; cat "$tmp/err"; rc=1
fi

# deadlock=0: silent (SIGQUIT ends it once it is surely stuck).
timeout -s KILL 120 env LD_PRELOAD="$lib" GOMAXPROCS=2 GMP_DEBUG=deadlock=0 "$dead" >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 1
kill -QUIT $pid 2>/dev/null
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -KILL $pid 2>/dev/null
wait $pid; st=$?
if [ "$st" != 131 ] || ! grep -q '^SIGQUIT: quit' "$tmp/err"; then
  echo "FAIL: deadlock=0: exit $st (want 131 with a SIGQUIT dump)"; cat "$tmp/err"; rc=1
elif grep -q -- "$msg" "$tmp/err"; then
  echo "FAIL: deadlock=0 still reported"; cat "$tmp/err"; rc=1
else
  echo "ok: deadlock=0: no report"
fi

want=$(timeout -s KILL 60 "$live"); wst=$?
for p in 1 2 4; do
  out=$(timeout -s KILL 60 env LD_PRELOAD="$lib" GOMAXPROCS=$p GMP_DEBUG=deadlock=exit "$live" 2>"$tmp/err"); st=$?
  if [ "$st" != "$wst" ] || [ "$out" != "$want" ] || grep -q -- "$msg" "$tmp/err"; then
    echo "FAIL: no deadlock, GOMAXPROCS=$p: exit $st (native $wst)"; echo "$out"; cat "$tmp/err"; rc=1
  else
    echo "ok: no deadlock, GOMAXPROCS=$p: ran to the end, no report"
  fi
done
exit $rc
