#!/usr/bin/env bash
# stats.sh LIB PROGRAM (tests/programs/stats_contend): GMP_STATS=FILE writes
# JSON at exit whose counters agree with what the program did and with each
# other (GOMAXPROCS 1, 2, 4); "%p" in the name becomes the pid; a file that
# cannot be written gives one line on stderr and the program's own status.
set -u
lib=$1 prog=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rc=0
for p in 1 2 4; do
  rm -f "$tmp"/*.json
  timeout -s KILL 120 env LD_PRELOAD="$lib" GOMAXPROCS=$p GMP_STATS="$tmp/s.%p.json" "$prog" >"$tmp/out" 2>"$tmp/err"; st=$?
  files=("$tmp"/s.*.json)
  if [ "$st" != 0 ] || [ ! -f "${files[0]}" ]; then
    echo "FAIL: GOMAXPROCS=$p: exit $st, files: ${files[*]}"; cat "$tmp/err"; rc=1; continue
  fi
  if python3 - "${files[0]}" "$p" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
procs = int(sys.argv[2])
bad = []
def want(cond, what):
    if not cond: bad.append(what)
keys = ["gs_created", "peak_live_gs", "peak_kernel_threads", "context_switches", "yields",
        "netpoll_wakeups", "syscalls_entered", "exitsyscall_fast", "retakes", "handoffs",
        "parks", "parks_by_reason", "stack_bytes_reserved", "stack_bytes_committed"]
for k in keys: want(k in s, "has " + k)
if not bad:
    r = s["parks_by_reason"]
    want(s["gomaxprocs"] == procs, "gomaxprocs == GOMAXPROCS")
    want(sys.argv[1].endswith(".%d.json" % s["pid"]), "%p expanded to the pid")
    want(s["gs_created"] == 12, "gs_created == 12 (the threads the program made)")
    want(2 <= s["peak_live_gs"] <= s["gs_created"] + 1, "2 <= peak_live_gs <= gs_created + 1")
    want(s["peak_kernel_threads"] >= 2, "peak_kernel_threads >= 2 (M0 and sysmon)")
    want(s["context_switches"] >= s["gs_created"], "every created G ran at least once")
    want(s["parks"] == sum(r.values()), "parks == sum of parks_by_reason")
    want(s["context_switches"] >= s["parks"] + s["gs_created"], "every G ran once, and again after each park")
    want(r["mutex"] >= 1, "a park on a mutex (blocked_adder)")
    want(r["cond"] >= 1, "parks on a cond (the ping-pong)")
    want(r["sleep"] >= 1, "a park in a sleep (slow_holder)")
    want(s["syscalls_entered"] >= 1, "open() went through the syscall path")
    want(s["exitsyscall_fast"] <= s["syscalls_entered"], "exitsyscall_fast <= syscalls_entered")
    want(s["stack_bytes_reserved"] >= 12 * 16384, "stack_bytes_reserved covers 12 stacks")
    want(0 < s["stack_bytes_committed"] <= s["stack_bytes_reserved"], "0 < stack_bytes_committed <= stack_bytes_reserved (threads ran on libgmp stacks)")
    want(all(isinstance(v, int) and v >= 0 for k, v in s.items() if k not in ("libgmp", "parks_by_reason")),
         "counters are non-negative integers")
print(json.dumps(s, sort_keys=True))
for b in bad: print("  not true:", b)
sys.exit(1 if bad else 0)
PY
  then echo "ok: GOMAXPROCS=$p: consistent"
  else echo "FAIL: GOMAXPROCS=$p"; rc=1
  fi
done

# Unwritable file: one line naming it, the program's own status.
timeout -s KILL 120 env LD_PRELOAD="$lib" GMP_STATS=/nonexistent-dir/s.json "$prog" >"$tmp/out" 2>"$tmp/err"; st=$?
if [ "$st" = 0 ] && [ "$(grep -c . "$tmp/err")" = 1 ] && grep -q 'nonexistent-dir/s.json' "$tmp/err"; then
  echo "ok: unwritable GMP_STATS: $(cat "$tmp/err")"
else
  echo "FAIL: unwritable GMP_STATS: exit $st"; cat "$tmp/err"; rc=1
fi
exit $rc
