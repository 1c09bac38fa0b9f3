#!/usr/bin/env bash
# logging.sh LIB BURST FORK FD_REUSE STATS_PROG: GMP_LOG / GMP_LOG_FILE.
#   BURST (tests/programs/blocking_burst) makes kernel threads, so debug has
#   something to say; FORK (prefork_server) forks children that log too;
#   FD_REUSE (log_fd_reuse) closes libgmp's log fd and reuses the number;
#   STATS_PROG is any program, run with an unwritable GMP_STATS.
# Only what was written is checked, never how fast.
set -u
lib=$(realpath "$1") burst=$(realpath "$2") fork=$(realpath "$3") reuse=$(realpath "$4") statsprog=$(realpath "$5")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rc=0
fail() { echo "FAIL: $*"; rc=1; }
# Every line of a log file: "YYYY-MM-DDTHH:MM:SS.mmmZ libgmp[PID] LEVEL: text".
line_re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z libgmp\[[0-9]+\] (trace|debug|info|warning|error): .'

native=$(timeout -s KILL 60 "$burst")

# 1. debug into a file: the expected lines, the program's stdout unchanged,
#    nothing on stderr.
out=$(timeout -s KILL 60 env GMP_LOG=debug GMP_LOG_FILE="$tmp/log" LD_PRELOAD="$lib" "$burst" 2>"$tmp/err")
if [ "$out" != "$native" ]; then fail "GMP_LOG=debug changed the program's stdout"; echo "$out"
elif [ -s "$tmp/err" ]; then fail "GMP_LOG=debug GMP_LOG_FILE wrote to stderr"; cat "$tmp/err"
elif ! grep -Eq 'libgmp\[[0-9]+\] info: started: libgmp .* GOMAXPROCS=[0-9]+ ' "$tmp/log"; then fail "no start line"; cat "$tmp/log"
elif ! grep -Eq 'info: options: GMP_LOG=debug GMP_DEBUG=' "$tmp/log"; then fail "no options line"; cat "$tmp/log"
elif ! grep -Eq 'debug: M[0-9]+ created \(P[0-9]+\)$' "$tmp/log"; then fail "no 'M created' line"; cat "$tmp/log"
elif ! grep -Eq 'debug: retook P[0-9]+ from M[0-9]+ ' "$tmp/log"; then fail "no retake line"; cat "$tmp/log"
elif grep -Evq "$line_re" "$tmp/log"; then fail "malformed lines:"; grep -Ev "$line_re" "$tmp/log"
else echo "ok: GMP_LOG=debug: $(wc -l <"$tmp/log") well-formed lines, stdout unchanged, stderr empty"
fi

# 2. A bad level: one line naming it, then the default (warn: nothing more).
out=$(timeout -s KILL 60 env GMP_LOG=bogus LD_PRELOAD="$lib" "$burst" 2>"$tmp/err")
if [ "$out" = "$native" ] && [ "$(grep -c . "$tmp/err")" = 1 ] && grep -q 'GMP_LOG=bogus' "$tmp/err"; then
  echo "ok: bad level: $(cat "$tmp/err")"
else
  fail "GMP_LOG=bogus"; cat "$tmp/err"
fi

# 3. Levels are case-insensitive; info has no debug lines.
timeout -s KILL 60 env GMP_LOG=INFO GMP_LOG_FILE="$tmp/info" LD_PRELOAD="$lib" "$burst" >/dev/null 2>"$tmp/err"
if grep -q 'info: started' "$tmp/info" && ! grep -q ' debug: ' "$tmp/info" && [ ! -s "$tmp/err" ]; then
  echo "ok: GMP_LOG=INFO: start line, no debug lines"
else
  fail "GMP_LOG=INFO"; cat "$tmp/info" "$tmp/err"
fi

# 4. A file that cannot be opened: one line, the log goes to stderr, and no
#    directory is made.
timeout -s KILL 60 env GMP_LOG=info GMP_LOG_FILE="$tmp/no/such/dir/log" LD_PRELOAD="$lib" "$burst" >/dev/null 2>"$tmp/err"
if [ "$(grep -c 'cannot open GMP_LOG_FILE' "$tmp/err")" = 1 ] && grep -q 'libgmp\[[0-9]*\] info: started' "$tmp/err" &&
   [ ! -e "$tmp/no" ]; then
  echo "ok: unopenable GMP_LOG_FILE: $(head -1 "$tmp/err")"
else
  fail "unopenable GMP_LOG_FILE"; cat "$tmp/err"
fi

# 5. off writes nothing (the file is not even made); the default (warn)
#    writes nothing for a program without problems.
timeout -s KILL 60 env GMP_LOG=off GMP_LOG_FILE="$tmp/off" LD_PRELOAD="$lib" "$burst" >/dev/null 2>"$tmp/err"
if [ ! -e "$tmp/off" ] && [ ! -s "$tmp/err" ]; then echo "ok: GMP_LOG=off is silent"; else fail "GMP_LOG=off"; cat "$tmp/err"; fi
timeout -s KILL 60 env -u GMP_LOG GMP_LOG_FILE="$tmp/warn" LD_PRELOAD="$lib" "$burst" >/dev/null 2>"$tmp/err"
if [ ! -s "$tmp/warn" ] && [ ! -s "$tmp/err" ]; then echo "ok: default level: nothing to say"; else fail "default level"; cat "$tmp/warn" "$tmp/err"; fi

# 6. A relative GMP_LOG_FILE is taken from the starting directory.
mkdir "$tmp/cwd"
(cd "$tmp/cwd" && timeout -s KILL 60 env GMP_LOG=info GMP_LOG_FILE=rel.log LD_PRELOAD="$lib" "$burst" >/dev/null 2>"$tmp/err")
if grep -q "options: GMP_LOG_FILE=$tmp/cwd/rel.log" "$tmp/cwd/rel.log"; then echo "ok: relative GMP_LOG_FILE"; else fail "relative GMP_LOG_FILE"; ls -la "$tmp/cwd"; cat "$tmp/err"; fi

# 7. A problem (an unwritable GMP_STATS, reported at exit) is one raw line on
#    stderr, and at info a copy in the log file.
timeout -s KILL 60 env GMP_STATS=/nonexistent-dir/s.json GMP_LOG=info GMP_LOG_FILE="$tmp/stats" LD_PRELOAD="$lib" "$statsprog" >/dev/null 2>"$tmp/err"
if [ "$(grep -c . "$tmp/err")" = 1 ] && grep -q 'nonexistent-dir/s.json' "$tmp/err" &&
   grep -Eq '(info|warning): cannot write GMP_STATS file /nonexistent-dir/s.json' "$tmp/stats"; then
  echo "ok: problem at exit: one stderr line, a copy in the log"
else
  fail "unwritable GMP_STATS with GMP_LOG_FILE"; cat "$tmp/err" "$tmp/stats"
fi

# 8. fork: each child logs under its own pid; nothing the parent queued is
#    written twice; one start line.
want=$(timeout -s KILL 60 "$fork")
out=$(timeout -s KILL 120 env GMP_LOG=debug GMP_LOG_FILE="$tmp/fork" LD_PRELOAD="$lib" "$fork" 2>"$tmp/err")
forks=$(grep -Ec 'libgmp\[([0-9]+)\] debug: fork child \1: runtime rebuilt' "$tmp/fork")
if [ "$out" != "$want" ]; then fail "fork: stdout changed"; echo "$out"
elif [ "$forks" -lt 1 ] || [ "$(grep -c 'info: started' "$tmp/fork")" != 1 ]; then fail "fork: $forks child lines"; cat "$tmp/fork"
elif [ -n "$(sort "$tmp/fork" | uniq -d)" ]; then fail "fork: lines written twice:"; sort "$tmp/fork" | uniq -d
elif grep -Evq "$line_re" "$tmp/fork"; then fail "fork: malformed lines:"; grep -Ev "$line_re" "$tmp/fork"
else echo "ok: fork: $forks children logged under their own pid, no line twice"
fi

# 9. The program closes the log's fd and reuses the number: libgmp opens its
#    file again and never writes into the program's file. (Retakes happen
#    only after the close: before it, only main runs.)
out=$(timeout -s KILL 60 env GMP_LOG=debug GMP_LOG_FILE="$tmp/reuse.log" LD_PRELOAD="$lib" "$reuse" "$tmp/data" 2>"$tmp/err")
if [[ "$out" =~ ^fd\ [0-9]+:\ file\ intact$ ]] && [ ! -s "$tmp/err" ] && grep -q 'debug: retook P' "$tmp/reuse.log" &&
   ! grep -Evq "$line_re" "$tmp/reuse.log"; then
  echo "ok: log fd closed and reused by the program: $out; $(wc -l <"$tmp/reuse.log") log lines"
else
  fail "log fd reuse: $out"; cat "$tmp/err" "$tmp/reuse.log"
fi
exit $rc
