#!/usr/bin/env bash
# TLS end to end through the real openssl apps on 127.0.0.1: s_server and
# s_client both prefer zcrypto (OPENSSL_CONF), TLS 1.2 and 1.3 x AES-128-GCM,
# AES-256-GCM, ChaCha20-Poly1305, data both ways, for backend auto and
# portable (and the backend auto picked, named explicitly, when auto leaves
# some algorithm to the default provider). Each side's stats file must show
# zcrypto ops for that cipher, except under auto for an algorithm zcrypto does
# not offer on this machine: then the connection must work on the default
# provider with no zcrypto ops at all.
set -u
: "${ZC_MODULE_DIR:?run from make check}" "${ZC_SRCDIR:?run from make check}"
. "$ZC_SRCDIR/test/zc_test_lib.sh"
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null || { echo "cannot make a cert"; exit 99; }
# s_client treats a line starting with Q, R, K or k as a command (quit,
# renegotiate, key update) when EOF is not ignored, so every line of the
# random payload starts with a fixed letter.
head -c 3000 /dev/urandom | base64 -w 76 | sed 's/^/d/' > "$tmp/payload.txt"
lines=$(wc -l < "$tmp/payload.txt")

run_case() { # backend proto cipher-args alg
    local backend=$1 proto=$2 args=$3 alg=$4 port srv out i
    local dir="$tmp/$backend-$proto-${alg}"
    mkdir -p "$dir"
    zc_cnf "$backend" "$dir/server" > "$dir/server.cnf"
    zc_cnf "$backend" "$dir/client" > "$dir/client.cnf"
    for i in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 30000))
        OPENSSL_CONF="$dir/server.cnf" timeout 30 openssl s_server -accept "127.0.0.1:$port" \
            -cert "$tmp/cert.pem" -key "$tmp/key.pem" $proto $args -naccept 1 -rev \
            > "$dir/server.out" 2>&1 &
        srv=$!
        pids+=("$srv")
        for _ in $(seq 50); do
            grep -q "ACCEPT\|error\|Error" "$dir/server.out" 2>/dev/null && break
            kill -0 "$srv" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$srv" 2>/dev/null && break
    done
    # -rev echoes each line reversed: data goes both ways through the cipher.
    # stdin stays open until every reversed line is back (or 20 s), so a slow
    # machine does not cut the echo short.
    (cat "$tmp/payload.txt"
     for _ in $(seq 200); do
         [ "$(wc -l < "$dir/client.out" 2>/dev/null || echo 0)" -ge "$lines" ] && break
         sleep 0.1
     done) | OPENSSL_CONF="$dir/client.cnf" timeout 30 \
        openssl s_client -connect "127.0.0.1:$port" $proto $args -quiet -no_ign_eof \
        > "$dir/client.out" 2>"$dir/client.err"
    out=$(cat "$dir/client.out")
    wait "$srv" 2>/dev/null
    local want
    want=$(rev < "$tmp/payload.txt")
    local name="$backend $proto $alg"
    if [ "$out" != "$want" ]; then
        bad "$name: echoed data differs ($(wc -c <<<"$out") bytes back)"
        cat "$dir/client.err" "$dir/server.out"; return
    fi
    local s c
    s=$(zc_stats_sum "$dir/server" "$alg" ops "$backend"); c=$(zc_stats_sum "$dir/client" "$alg" ops "$backend")
    if [ "$backend" = auto ] && ! zc_served "$dir/server.cnf" "$alg"; then
        if [ "$(zc_stats_sum "$dir/server" "$alg" ops)" -eq 0 ] \
            && [ "$(zc_stats_sum "$dir/client" "$alg" ops)" -eq 0 ]; then
            ok "$name: data both ways on the default provider (zcrypto does not offer $alg here)"
        else
            bad "$name: $alg is not offered under auto, yet zcrypto counted ops server=$s client=$c"
        fi
    elif [ "$s" -gt 0 ] && [ "$c" -gt 0 ]; then
        ok "$name: data both ways, zcrypto ops server=$s client=$c"
    else
        bad "$name: zcrypto stats server=$s client=$c"
    fi
}

backends=$(zc_test_backends "${ZC_TLS_BACKENDS:-auto portable}")
echo "backends: $backends"
for backend in $backends; do
    run_case $backend -tls1_2 "-cipher ECDHE-RSA-AES128-GCM-SHA256" AES-128-GCM
    run_case $backend -tls1_2 "-cipher ECDHE-RSA-AES256-GCM-SHA384" AES-256-GCM
    run_case $backend -tls1_2 "-cipher ECDHE-RSA-CHACHA20-POLY1305" ChaCha20-Poly1305
    run_case $backend -tls1_3 "-ciphersuites TLS_AES_128_GCM_SHA256" AES-128-GCM
    run_case $backend -tls1_3 "-ciphersuites TLS_AES_256_GCM_SHA384" AES-256-GCM
    run_case $backend -tls1_3 "-ciphersuites TLS_CHACHA20_POLY1305_SHA256" ChaCha20-Poly1305
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -eq $((6 * $(wc -w <<<"$backends"))) ]
