#!/usr/bin/env bash
# glibc_refused.sh LIB FAKE PROGRAM: libgmp's per-thread storage relies on
# glibc 2.36's internals (runtime/tls.cpp, "the glibc contract"). On another
# glibc (FAKE, preloaded first, answers gnu_get_libc_version with 2.37) it
# must refuse to start with one clear message and exit status 2 — not run
# the program with a wrong layout — and GMP_TLS=0 must let it run.
set -u
lib=$1 fake=$2 prog=$3
out=$(timeout 60 env LD_PRELOAD="$fake:$lib" "$prog" 2>&1); st=$?
n=$(printf '%s\n' "$out" | grep -c 'per-thread storage needs glibc 2.36 internals; this is glibc 2.37')
if [ "$st" != 2 ] || [ "$n" != 1 ]; then
  echo "FAIL: other glibc: exit $st, message lines $n:"; printf '%s\n' "$out" | head -20; exit 1
fi
echo "ok: refused: $(printf '%s\n' "$out" | grep 'needs glibc' | head -1)"
out=$(timeout 60 env LD_PRELOAD="$fake:$lib" GMP_TLS=0 "$prog" 2>&1); st=$?
if [ "$st" != 0 ]; then
  echo "FAIL: GMP_TLS=0 on the other glibc: exit $st"; printf '%s\n' "$out" | head -20; exit 1
fi
echo "ok: GMP_TLS=0 runs it"
