#!/usr/bin/env bash
# install.sh BUILD_DIR PROGRAM: `cmake --install` puts libgmp.so in a private
# lib directory (never a bare libgmp.so on the search path, which belongs to
# GNU MP) and gmprun in bin; the installed gmprun finds the installed library
# through its own location, also when called through a symlink.
set -u
build=$1 prog=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rc=0
cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
lib=$(find "$tmp/prefix" -name libgmp.so)
case "$lib" in
  "$tmp"/prefix/lib*/libgmp/libgmp.so) echo "ok: library installed at ${lib#$tmp/prefix/}" ;;
  *) echo "FAIL: library at '${lib#$tmp/prefix/}', want lib*/libgmp/libgmp.so"; rc=1 ;;
esac
if ls "$tmp"/prefix/lib*/libgmp.so* >/dev/null 2>&1; then
  echo "FAIL: a bare libgmp.so in a public lib directory"; rc=1
fi
[ -x "$tmp/prefix/bin/gmprun" ] && echo "ok: bin/gmprun installed" || { echo "FAIL: no bin/gmprun"; rc=1; }

want=$("$prog")
ln -s "$tmp/prefix/bin/gmprun" "$tmp/gmprun-link"
for g in "$tmp/prefix/bin/gmprun" "$tmp/gmprun-link"; do
  out=$(env -u GMP_LIB "$g" -p 2 sh -c 'echo "$LD_PRELOAD"; exec "$0"' "$prog"); st=$?
  if [ "$st" = 0 ] && [ "$(head -1 <<<"$out")" = "$lib" ] && [ "$(tail -n +2 <<<"$out")" = "$want" ]; then
    echo "ok: ${g#$tmp/} preloads the installed library; same output as native"
  else
    echo "FAIL: ${g#$tmp/}: exit $st, output:"; echo "$out"; rc=1
  fi
done
exit $rc
