#!/usr/bin/env bash
# The benchmark's own checks, in make check so they cannot rot unseen:
# zc_bench --quick verifies every cell against the default provider (output,
# tags, a flipped tag refused by both) and that zcrypto's stats counted
# exactly the ops and bytes it did. Timings are printed, never judged here.
set -u
: "${ZC_MODULE_DIR:?run from make check}" "${ZC_BUILDDIR:?run from make check}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$(timeout 300 "$ZC_BUILDDIR/bench/zc_bench" --quick --module-dir "$ZC_MODULE_DIR" \
      --out "$tmp" 2>&1)
rc=$?
echo "$out" | tail -6
if [ $rc -ne 0 ] || echo "$out" | grep -q MISMATCH \
   || [ "$(echo "$out" | grep -c ': ok$')" -ne 4 ]; then
    echo "FAIL: zc_bench --quick (rc=$rc)"
    echo "$out" | grep -i -E 'fail|differs|mismatch' | head -10
    exit 1
fi
echo "PASS: zc_bench --quick: outputs match the default provider, zcrypto's stats exact"
# As users run it, with backend = auto: where auto leaves an algorithm to
# the default (OpenSSL 3.5 on AVX-512 + VAES: AES-GCM), its rows say so and
# the stats check must read the policy's reasons without taking them for
# counters.
out=$(timeout 300 "$ZC_BUILDDIR/bench/zc_bench" --quick --record --backend auto \
      --module-dir "$ZC_MODULE_DIR" --out "$tmp/auto" 2>&1)
rc=$?
echo "$out" | grep -E 'not served|: ok$' | head -4
if [ $rc -ne 0 ] || echo "$out" | grep -q -E 'MISMATCH|cannot read'; then
    echo "FAIL: zc_bench --quick --record --backend auto (rc=$rc)"
    echo "$out" | grep -i -E 'fail|differs|mismatch|cannot' | head -10
    exit 1
fi
echo "PASS: zc_bench --quick --record --backend auto"
