#!/bin/bash
# GMP_INHERIT: children of a preloaded program are preloaded by default;
# with GMP_INHERIT=0 they are not, and other LD_PRELOAD entries survive.
lib=$1 prog=$2
other=$(ls /usr/lib/x86_64-linux-gnu/libm.so.6 2>/dev/null || echo /lib/x86_64-linux-gnu/libm.so.6)
rc=0
out=$(env LD_PRELOAD="$lib" "$prog")
if [ "$(grep -c 'libgmp yes' <<<"$out")" = 2 ]; then echo "ok: children inherit the preload"; else echo "FAIL: default: $out"; rc=1; fi
out=$(env GMP_INHERIT=0 LD_PRELOAD="$lib" "$prog")
if [ "$(grep -c 'libgmp no' <<<"$out")" = 2 ] && [ "$(grep -c 'LD_PRELOAD=\[\]' <<<"$out")" = 2 ]; then
  echo "ok: GMP_INHERIT=0: children run natively"
else
  echo "FAIL: GMP_INHERIT=0: $out"; rc=1
fi
out=$(env GMP_INHERIT=0 LD_PRELOAD="$other $lib" "$prog")
if [ "$(grep -c 'libgmp no' <<<"$out")" = 2 ] && [ "$(grep -c "LD_PRELOAD=\[$other\]" <<<"$out")" = 2 ]; then
  echo "ok: GMP_INHERIT=0 keeps other preloads"
else
  echo "FAIL: GMP_INHERIT=0 with another preload: $out"; rc=1
fi
exit $rc
