#!/usr/bin/env bash
# `openssl speed -evp` runs on zcrypto (provider flags before -evp) and
# zcrypto's stats prove it did the work: no silent fallback to default.
set -u
: "${ZC_MODULE_DIR:?run from make check}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
cat > "$tmp/zc.cnf" <<CNF
openssl_conf = init
[init]
providers = prov
[prov]
default = dflt
zcrypto = zc
[dflt]
activate = 1
[zc]
module = $ZC_MODULE_DIR/zcrypto.so
activate = 1
stats_file = $tmp/stats-%p.json
CNF
for alg in aes-128-gcm aes-256-gcm chacha20-poly1305; do
    for dir in "" -decrypt; do
        rm -f "$tmp"/stats-*.json
        out=$(OPENSSL_CONF="$tmp/zc.cnf" timeout 60 openssl speed -seconds 1 -bytes 1024 $dir \
              -propquery provider=zcrypto -evp $alg 2>&1 </dev/null)
        rc=$?
        ops=$(python3 -c 'import json,glob; print(sum(e["bytes"] for f in glob.glob("'"$tmp"'/stats-*.json") for e in json.load(open(f))["stats"]))' 2>/dev/null)
        upd=$(grep -ci "^$alg\|^${alg^^}" <<<"$out")
        if [ $rc -eq 0 ] && [ "${ops:-0}" -gt 100000000 ]; then
            pass=$((pass + 1)); echo "PASS: speed $alg $dir: zcrypto processed $ops bytes"
        else
            fail=$((fail + 1)); echo "FAIL: speed $alg $dir rc=$rc bytes=${ops:-none}"; echo "$out" | tail -5
        fi
    done
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
