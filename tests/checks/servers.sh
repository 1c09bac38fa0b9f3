#!/usr/bin/env bash
# servers.sh KIND LIB ARGS... — real servers run preloaded (GOMAXPROCS=2)
# under a bounded load from clients that are NOT preloaded; fails on any
# client error, wrong content, or a server that died.
#   servers.sh echo   LIB ECHO_SERVER ECHO_LOAD
#   servers.sh http   LIB HTTP_SERVER           (curl or python3 urllib, then wrk)
#   servers.sh python LIB PYTHON3               (python3 -m http.server: ThreadingHTTPServer)
#   servers.sh iperf  LIB IPERF                 (iperf 2 -s, thread per client)
set -u
kind=$1 lib=$2; shift 2
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- server stderr"; head -30 "$tmp/err" 2>/dev/null; exit 1; }

# start_server PATTERN CMD...: runs CMD preloaded in the background and waits
# until its stdout matches PATTERN (sed -n expression printing the port).
start_server() {
  local pattern=$1; shift
  env LD_PRELOAD="$lib" GOMAXPROCS=2 "$@" >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  for _ in $(seq 100); do
    port=$(sed -n "$pattern" "$tmp/out" "$tmp/err" 2>/dev/null | head -1)
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || fail "server exited early"
    sleep 0.1
  done
  fail "server printed no port"
}
alive() { kill -0 "$pid" 2>/dev/null || fail "server died under load"; }

# fetch URL FILE: GET with a client that is not preloaded.
fetch() {
  if command -v curl >/dev/null; then
    env -u LD_PRELOAD curl -sf -o "$2" "$1"
  else
    env -u LD_PRELOAD python3 -c 'import sys,urllib.request; open(sys.argv[2],"wb").write(urllib.request.urlopen(sys.argv[1]).read())' "$1" "$2"
  fi
}

# wrk_run URL: 2 s of wrk, no socket errors, no non-2xx.
wrk_run() {
  command -v wrk >/dev/null || fail "wrk is not installed: run scripts/deps (scripts/test does)"
  env -u LD_PRELOAD wrk -t2 -c50 -d2s "$1" >"$tmp/wrk" 2>&1 || fail "wrk failed: $(cat "$tmp/wrk")"
  grep -q 'Socket errors\|Non-2xx' "$tmp/wrk" && fail "wrk saw errors: $(cat "$tmp/wrk")"
  local n; n=$(awk '/requests in/ {print $1}' "$tmp/wrk")
  [ "${n:-0}" -gt 0 ] || fail "wrk made no requests: $(cat "$tmp/wrk")"
  echo "wrk: $n requests, $(awk '/Requests\/sec/ {print $2}' "$tmp/wrk") req/s, no errors"
}

case $kind in
  echo)
    server=$1 load=$2
    start_server 's/^port \([0-9]*\)$/\1/p' "$server"
    for spec in "200 200 64" "1000 20 4096" "50 20 300000"; do
      set -- $spec
      out=$(env -u LD_PRELOAD "$load" "$port" "$1" 60 "$3" "$2") || fail "load $spec: $out"
      echo "echo load (connections requests size) $spec: $out"
      alive
    done
    ;;
  http)
    server=$1
    start_server 's/^port \([0-9]*\)$/\1/p' "$server"
    fetch "http://127.0.0.1:$port/bytes/3000000" "$tmp/body" || fail "fetch failed"
    want=$(awk 'BEGIN { for (i = 0; i < 3000000; i++) printf "%c", 97 + i % 26 }' | cksum)
    [ "$(cksum <"$tmp/body")" = "$want" ] || fail "3 MB body differs"
    echo "fetched a 3 MB body: content ok"
    wrk_run "http://127.0.0.1:$port/"
    alive
    ;;
  python)
    py=$1
    mkdir -p "$tmp/www"
    head -c 2000000 /dev/urandom >"$tmp/www/big.bin"
    echo hello >"$tmp/www/index.txt"
    (cd "$tmp/www" && exec env LD_PRELOAD="$lib" GOMAXPROCS=2 "$py" -u -m http.server 0 --bind 127.0.0.1) \
      >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    for _ in $(seq 100); do
      port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$tmp/out" | head -1)
      [ -n "$port" ] && break
      sleep 0.1
    done
    [ -n "$port" ] || fail "python http.server printed no port"
    for i in 1 2 3; do
      fetch "http://127.0.0.1:$port/big.bin" "$tmp/got" || fail "fetch failed"
      cmp -s "$tmp/got" "$tmp/www/big.bin" || fail "2 MB file differs"
    done
    echo "fetched a 2 MB file 3 times: content ok"
    wrk_run "http://127.0.0.1:$port/index.txt"
    alive
    ;;
  iperf)
    iperf=$1
    # iperf wants a fixed port: ask the kernel for a free one.
    free=$(env -u LD_PRELOAD python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    start_server 's/.*Server listening on TCP port \([0-9]*\).*/\1/p' "$iperf" -s -B 127.0.0.1 -p "$free"
    env -u LD_PRELOAD "$iperf" -c 127.0.0.1 -p "$port" -t 1 -P 4 >"$tmp/client" 2>&1 || fail "iperf client: $(cat "$tmp/client")"
    grep -q 'SUM.*bits/sec' "$tmp/client" || fail "no iperf result: $(cat "$tmp/client")"
    echo "iperf -P 4 -t 1: $(grep SUM "$tmp/client" | tail -1)"
    alive
    ;;
  *) echo "servers.sh: unknown kind $kind"; exit 2 ;;
esac
echo ok
