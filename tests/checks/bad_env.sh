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
check GMP_DEBUG schedtrace
check GMP_DEBUG dump=0,nosuch=1
check GMP_TLS maybe

# expect NAME STDERR_FILE COMMAND...: run, then test the stderr with grep
# patterns given after --: +PAT must match, -PAT must not, =N:PAT must match
# exactly N lines.
expect() {
  local name=$1; shift
  local cmd=(); while [ "$1" != -- ]; do cmd+=("$1"); shift; done; shift
  local err; err=$(mktemp)
  timeout -s QUIT 60 "${cmd[@]}" >/dev/null 2>"$err"; local st=$? bad=
  for p in "$@"; do
    case "$p" in
      +*) grep -q -- "${p#+}" "$err" || bad="$bad missing '${p#+}';" ;;
      -*) ! grep -q -- "${p#-}" "$err" || bad="$bad unwanted '${p#-}';" ;;
      =*) local n=${p#=}; n=${n%%:*}; local pat=${p#=*:}
          [ "$(grep -c -- "$pat" "$err")" = "$n" ] || bad="$bad want $n x '$pat';" ;;
    esac
  done
  [ "$st" = 0 ] || bad="$bad exit $st;"
  if [ -n "$bad" ]; then echo "FAIL: $name:$bad"; cat "$err"; rc=1; else echo "ok: $name"; fi
  rm -f "$err"
}
# A bare GMP_DEBUG key means key=1; the table names every option (GMP_TLS too).
expect "GMP_DEBUG=options (bare key)" env LD_PRELOAD="$lib" GMP_DEBUG=options /bin/true -- \
  '+^libgmp: GOMAXPROCS=' '+^libgmp: GMP_TLS=1$' '-ignoring'
expect "GMP_DEBUG=dump (bare key)" env LD_PRELOAD="$lib" GMP_DEBUG=dump /bin/true -- \
  '+green threads at exit' '-ignoring'
# One bad item: one line, and the other items still apply.
expect "GMP_DEBUG=nosuch=1,options,dump=2,deadlock=exit" \
  env LD_PRELOAD="$lib" GMP_DEBUG=nosuch=1,options,dump=2,deadlock=exit /bin/true -- \
  '=1:ignoring "nosuch=1"' '=1:ignoring "dump=2"' '=2:ignoring' \
  '+^libgmp: GMP_DEBUG=schedtrace=0,scheddetail=0,dump=0,deadlock=exit,options=1$'
# A warning is printed once per process tree: programs exec'd by a libgmp
# process that started with the same bad value stay quiet; a changed value
# is new.
expect "inherited GOMAXPROCS=abc: one warning" \
  env LD_PRELOAD="$lib" GOMAXPROCS=abc sh -c '/bin/true; sh -c "/bin/true; /bin/true"' -- \
  '=1:GOMAXPROCS=abc'
expect "inherited GMP_DEBUG=nosuch: one warning" \
  env LD_PRELOAD="$lib" GMP_DEBUG=nosuch sh -c '/bin/true; /bin/true' -- '=1:GMP_DEBUG=nosuch'
expect "a child's own bad value: its own warning" \
  env LD_PRELOAD="$lib" GMP_STACK_SIZE=12Q sh -c 'GMP_STACK_SIZE=13Q /bin/true; /bin/true' -- \
  '=1:GMP_STACK_SIZE=12Q' '=1:GMP_STACK_SIZE=13Q'
exit $rc
