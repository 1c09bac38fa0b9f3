#!/usr/bin/env bash
# soname.sh LIB PROGRAM (tests/programs/dlopen_gnu_mp): the library's SONAME
# is libgmp-green.so, and preloaded, dlopen("libgmp.so.10") and
# dlopen("libgmp.so") give GNU MP when it is installed (Debian: libgmp10,
# libgmp-dev), not libgmp.
set -u
lib=$1 prog=$2
rc=0
soname=$(LC_ALL=C readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" = libgmp-green.so ]; then
  echo "ok: SONAME $soname"
else
  echo "FAIL: SONAME '$soname', want libgmp-green.so"; rc=1
fi
out=$(env LD_PRELOAD="$lib" "$prog" 2>&1); st=$?
echo "$out"
for name in libgmp.so.10 libgmp.so; do
  line=$(grep "^$name: " <<<"$out")
  case "$line" in
    "$name: GNU MP "*) echo "ok: preloaded, dlopen($name) is GNU MP" ;;
    "$name: not found")
      if [ -e "/usr/lib/$(gcc -print-multiarch 2>/dev/null)/$name" ]; then
        echo "FAIL: dlopen($name) failed although GNU MP's file exists"; rc=1
      else
        echo "skip: $name is not installed (Debian: libgmp10 / libgmp-dev)"
      fi ;;
    *) echo "FAIL: preloaded, dlopen($name): '$line'"; rc=1 ;;
  esac
done
[ "$st" = 0 ] || { echo "FAIL: exit $st"; rc=1; }
exit $rc
