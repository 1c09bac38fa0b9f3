#!/usr/bin/env bash
# exports.sh LIB SRCDIR: the exported dynamic symbols of libgmp.so are exactly
# the GMP_HOOK definitions in hooks/ and exactly the names in exports.map;
# the only dynamic dependencies are glibc, libstdc++ and libgcc_s; and the
# version script is anonymous (no version node: hooks must be base symbols).
set -u
lib=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rc=0
nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | sort -u >"$tmp/exported"
grep -E '^ +[A-Za-z_0-9]+;$' "$src/preload/exports.map" | tr -d ' ;' | sort -u >"$tmp/map"
grep -ho 'GMP_HOOK [^(]*(' "$src"/hooks/*.cpp | sed -E 's/.* \*?([A-Za-z_0-9]+)\($/\1/' | sort -u >"$tmp/hooks"
# gmp_NAME hooks (pthread_yield, pthread_mutex_consistent_np) are defined
# under their asm name NAME: glibc's headers redirect NAME to another symbol.
sed -i 's/^gmp_//' "$tmp/hooks"; sort -u -o "$tmp/hooks" "$tmp/hooks"
if ! diff -u "$tmp/map" "$tmp/exported"; then echo "FAIL: exports.map and exported symbols differ"; rc=1; fi
if ! diff -u "$tmp/hooks" "$tmp/map"; then echo "FAIL: GMP_HOOK definitions and exports.map differ"; rc=1; fi
if readelf -V "$lib" | grep -q 'Version definition'; then echo "FAIL: libgmp.so defines a symbol version node"; rc=1; fi
needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
for n in $needed; do
  case $n in libc.so.6|libstdc++.so.6|libgcc_s.so.1|ld-linux-x86-64.so.2) ;;
    *) echo "FAIL: unexpected dynamic dependency $n"; rc=1;; esac
done
# docs/compatibility.md must describe every hooked function.
while read -r f; do
  grep -q "\`$f\`" "$src/docs/compatibility.md" || { echo "FAIL: docs/compatibility.md does not mention \`$f\`"; rc=1; }
done <"$tmp/exported"
echo "exported: $(wc -l <"$tmp/exported") symbols; NEEDED: $needed"
[ $rc = 0 ] && echo "ok"
exit $rc
