#!/usr/bin/env bash
# Real nginx and real curl on 127.0.0.1, both running zcrypto through
# OPENSSL_CONF (nginx master and workers, every curl process). TLS 1.2 and 1.3
# x AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 forced on both sides: a small
# response, a 64 MiB body (16 MiB on portable) checked by SHA-256, and a POST upload whose stored
# body is checked too. Each process's stats file must show zcrypto did the
# work for the forced cipher. Repeated with backend = portable. nginx is
# stopped by the test whatever happens.
set -u
: "${ZC_MODULE_DIR:?run from make check}" "${ZC_SRCDIR:?run from make check}"
. "$ZC_SRCDIR/test/zc_test_lib.sh"
command -v nginx >/dev/null || { echo "nginx not installed (.ci/run installs nginx-light)"; exit 99; }
command -v curl >/dev/null || { echo "curl not installed"; exit 99; }
tmp=$(mktemp -d)
ngx_pid=""
stop_nginx() {
    zc_stop_nginx "$ngx_pid"
    ngx_pid=""
}
trap 'stop_nginx; rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

zc_test_certs "$tmp" || { echo "cannot make certs"; exit 99; }

mkdir -p "$tmp/www" "$tmp/uploads"
echo "hello from nginx on zcrypto" > "$tmp/www/index.html"
# The portable backend (no SIMD: a few MB/s for AES-GCM) gets a 16 MiB body,
# so a loaded CI machine stays well inside curl's time limit.
declare -A big_sums
for mib in 64 16; do
    head -c $((mib << 20)) /dev/urandom > "$tmp/www/big$mib.bin"
    big_sums[$mib]=$(sha256sum < "$tmp/www/big$mib.bin" | cut -d' ' -f1)
done
head -c $((8 << 20)) /dev/urandom > "$tmp/upload.bin"
up_sum=$(sha256sum < "$tmp/upload.bin" | cut -d' ' -f1)


run_case() { # backend proto alg nginx-cipher-line curl-cipher-args
    local backend=$1 proto=$2 alg=$3 ngx_cipher=$4 curl_args=$5
    local d="$tmp/$backend-$proto-$alg" port up name="$1 $2 $3"
    mkdir -p "$d" "$d/body"
    rm -f "$tmp"/uploads/*
    zc_cnf "$backend" "$d/nginx" > "$d/nginx.cnf"
    zc_cnf "$backend" "$d/curl" > "$d/curl.cnf"
    port=$(zc_free_port)
    # The plain upload sink gets a port of its own.
    local sink
    sink=$(zc_free_port)
    zc_nginx_conf dir="$d" listen="$port" workers=2 cert="$tmp/srv.pem" key="$tmp/srv.key" \
        log=info http="
    client_max_body_size 64m;
    client_body_temp_path $d/body;
    proxy_temp_path $d/body;" server="
        ssl_protocols $proto;
        $ngx_cipher
        root $tmp/www;
        location = /upload {
            client_max_body_size 64m;
            client_body_in_file_only on;
            client_body_temp_path $tmp/uploads;
            proxy_pass http://127.0.0.1:$sink/sink;
        }" after="
    server {
        listen 127.0.0.1:$sink;
        location = /sink { return 200 \"stored\\n\"; }
    }" > "$d/nginx.conf"
    OPENSSL_CONF="$d/nginx.cnf" nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" \
        -g 'daemon off; master_process on;' 2>>"$d/error.log" &
    ngx_pid=$!
    local up=0
    for _ in $(seq 100); do
        curl -s -o /dev/null --cacert "$tmp/ca.pem" "https://127.0.0.1:$port/index.html" 2>/dev/null && { up=1; break; }
        kill -0 "$ngx_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ $up -ne 1 ]; then
        bad "$name: nginx did not start"; tail -5 "$d/error.log"; stop_nginx; return
    fi
    local c=(curl -sS --max-time 120 --cacert "$tmp/ca.pem" $curl_args)
    local small big upres mib=64
    [ "$backend" = portable ] && mib=16
    local big_sum=${big_sums[$mib]}
    small=$(OPENSSL_CONF="$d/curl.cnf" "${c[@]}" "https://127.0.0.1:$port/index.html" 2>&1)
    big=$(OPENSSL_CONF="$d/curl.cnf" "${c[@]}" "https://127.0.0.1:$port/big$mib.bin" | sha256sum | cut -d' ' -f1)
    upres=$(OPENSSL_CONF="$d/curl.cnf" "${c[@]}" -X POST --data-binary @"$tmp/upload.bin" \
            -H 'Content-Type: application/octet-stream' "https://127.0.0.1:$port/upload" 2>&1)
    local proto_seen
    proto_seen=$(OPENSSL_CONF="$d/curl.cnf" "${c[@]}" -v -o /dev/null "https://127.0.0.1:$port/index.html" 2>&1 \
                 | sed -n 's/.*SSL connection using \(.*\)/\1/p' | head -1)
    stop_nginx
    local stored
    stored=$(cat "$tmp"/uploads/* 2>/dev/null | sha256sum | cut -d' ' -f1)
    local ns cs
    ns=$(zc_stats_sum "$d/nginx" "$alg" bytes "$backend"); cs=$(zc_stats_sum "$d/curl" "$alg" bytes "$backend")
    if [ "$small" != "hello from nginx on zcrypto" ]; then bad "$name: small response: $small"
    elif [ "$big" != "$big_sum" ]; then bad "$name: $mib MiB body checksum differs"
    elif [ "$upres" != "stored" ] || [ "$stored" != "$up_sum" ]; then bad "$name: POST upload ($upres)"
    elif [ "$backend" = auto ] && ! zc_served "$d/nginx.cnf" "$alg"; then
        if [ "$(zc_stats_sum "$d/nginx" "$alg" bytes)" -eq 0 ] \
            && [ "$(zc_stats_sum "$d/curl" "$alg" bytes)" -eq 0 ]; then
            ok "$name [$proto_seen]: small, $mib MiB sha256, 8 MiB POST on the default provider (zcrypto does not offer $alg here)"
        else
            bad "$name: $alg is not offered under auto, yet zcrypto counted bytes nginx=$ns curl=$cs"
        fi
    elif [ "$ns" -lt $((mib << 20)) ] || [ "$cs" -lt $((mib << 20)) ]; then
        bad "$name: zcrypto stats bytes nginx=$ns curl=$cs"
    else
        ok "$name [$proto_seen]: small, $mib MiB sha256, 8 MiB POST; zcrypto bytes nginx=$ns curl=$cs"
    fi
}

# auto, portable, and auto's backend by name where auto leaves an algorithm out.
backends=$(zc_test_backends "auto portable")
echo "backends: $backends"
for backend in $backends; do
    run_case $backend TLSv1.2 AES-128-GCM "ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;" \
        "--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256"
    run_case $backend TLSv1.2 AES-256-GCM "ssl_ciphers ECDHE-RSA-AES256-GCM-SHA384;" \
        "--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES256-GCM-SHA384"
    run_case $backend TLSv1.2 ChaCha20-Poly1305 "ssl_ciphers ECDHE-RSA-CHACHA20-POLY1305;" \
        "--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-CHACHA20-POLY1305"
    run_case $backend TLSv1.3 AES-128-GCM "ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;" \
        "--tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256"
    run_case $backend TLSv1.3 AES-256-GCM "ssl_conf_command Ciphersuites TLS_AES_256_GCM_SHA384;" \
        "--tlsv1.3 --tls13-ciphers TLS_AES_256_GCM_SHA384"
    run_case $backend TLSv1.3 ChaCha20-Poly1305 "ssl_conf_command Ciphersuites TLS_CHACHA20_POLY1305_SHA256;" \
        "--tlsv1.3 --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -eq $((6 * $(wc -w <<<"$backends"))) ]
