#!/usr/bin/env bash
# `openssl speed -async_jobs 16` on zcrypto completes, with stdin an idle
# pipe (a job that paused with no wait fd would make speed wait on stdin for
# ever), and zcrypto really offloaded the work (its stats file says so).
set -u
: "${ZC_MODULE_DIR:?run from make check}" "${ZC_SRCDIR:?run from make check}"
. "$ZC_SRCDIR/test/zc_test_lib.sh"
tmp=$(mktemp -d)
# stdin: a pipe whose writer stays open and silent.
mkfifo "$tmp/idle"
sleep 600 > "$tmp/idle" &
idle=$!
trap 'kill $idle 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
for alg in aes-256-gcm chacha20-poly1305; do
    name=$(echo "$alg" | sed 's/aes-256-gcm/AES-256-GCM/; s/chacha20-poly1305/ChaCha20-Poly1305/')
    rm -f "$tmp"/st-*.json
    zc_cnf "$(zc_auto_backend)" "$tmp/st" > "$tmp/zc.cnf"
    out=$(OPENSSL_CONF="$tmp/zc.cnf" timeout 60 openssl speed -elapsed -seconds 1 -async_jobs 16 \
              -bytes 16384 -evp "$alg" 2>&1 < "$tmp/idle")
    rc=$?
    line=$(grep -i "^$name " <<<"$out" | tail -1)
    offloaded=$(python3 - "$tmp" <<'PY'
import glob, json, sys
print(sum(json.load(open(f)).get("async", {}).get("offloaded", 0)
          for f in glob.glob(sys.argv[1] + "/st-*.json")))
PY
)
    ops=$(zc_stats_sum "$tmp/st" "$name" ops auto)
    if [ "$rc" -eq 0 ] && [ -n "$line" ] && [ "$offloaded" -gt 0 ] && [ "$ops" -gt 0 ]; then
        pass=$((pass + 1)); echo "PASS: $alg -async_jobs 16: $line (offloaded $offloaded, ops $ops)"
    else
        fail=$((fail + 1)); echo "FAIL: $alg -async_jobs 16: rc=$rc offloaded=$offloaded ops=$ops"
        echo "$out" | tail -5
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -eq 2 ]
