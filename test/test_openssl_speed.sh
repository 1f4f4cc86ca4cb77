#!/usr/bin/env bash
# `openssl speed -evp` runs on zcrypto (provider flags before -evp) and
# zcrypto's stats prove it did the work: no silent fallback to default.
set -u
: "${ZC_MODULE_DIR:?run from make check}" "${ZC_SRCDIR:?run from make check}"
. "$ZC_SRCDIR/test/zc_test_lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
zc_cnf "$(zc_auto_backend)" "$tmp/stats" load-only > "$tmp/zc.cnf"
for alg in aes-128-gcm aes-256-gcm chacha20-poly1305; do
    for dir in "" -decrypt; do
        rm -f "$tmp"/stats-*.json
        out=$(OPENSSL_CONF="$tmp/zc.cnf" timeout 60 openssl speed -seconds 1 -bytes 1024 $dir \
              -propquery provider=zcrypto -evp $alg 2>&1 </dev/null)
        rc=$?
        ops=$(zc_stats_sum "$tmp/stats" any bytes)
        if [ $rc -eq 0 ] && [ "${ops:-0}" -gt 100000000 ]; then
            pass=$((pass + 1)); echo "PASS: speed $alg $dir: zcrypto processed $ops bytes"
        else
            fail=$((fail + 1)); echo "FAIL: speed $alg $dir rc=$rc bytes=${ops:-none}"; echo "$out" | tail -5
        fi
    done
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
