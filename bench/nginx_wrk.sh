#!/usr/bin/env bash
# nginx end to end (make bench-nginx; ./run.sh bench runs it after the
# tables): real nginx on 127.0.0.1, TLS 1.3 only, one worker, on the default
# provider only and with zcrypto preferred, for TLS_AES_256_GCM_SHA384 and
# TLS_CHACHA20_POLY1305_SHA256, measured with wrk:
#   (a) 1 KiB responses over 16 keep-alive HTTPS connections: requests/s, and
#       the nginx worker's CPU time (utime + stime from /proc) per request;
#   (b) 16 MiB downloads over 2 connections: MB/s, and the worker's CPU
#       seconds per GiB served, split into user and kernel time.
# Per suite, one nginx of each kind runs at once (the idle one sleeps), and
# the tests alternate between them, default first in odd rounds, zcrypto
# first in even ones (A B B A ...); each side keeps its best round (a
# neighbour on this shared host can only slow a run down). CPU per request
# and per GiB are the trustworthy figures when wrk, not nginx, is the
# bottleneck. The proof: zcrypto's nginx worker writes a stats file that must
# count at least every byte wrk read, for the suite's AEAD on the named
# backend; the default nginx must never load zcrypto (no stats file,
# zcrypto.so not mapped in its worker). wrk runs the default provider in
# both, so only the server changes.
#
# usage: nginx_wrk.sh [--backend NAME] [--quick]
#   --backend  zcrypto's backend (default: the first of its zcrypto-backends,
#              the best this CPU runs, named explicitly rather than "auto")
#   --quick    one round of 1 s tests (smoke run)
# environment: ZC_MODULE_DIR (dir of zcrypto.so), ZC_BENCH (zc_bench, asked
#   for the backend list), ZC_BENCH_OUT (output dir), ZC_SRCDIR, GNUPLOT,
#   ZC_NGINX_SECONDS (per test, default 2), ZC_NGINX_ROUNDS (default 4).
# Writes nginx.csv (every test), nginx-summary.csv (best of each side) and
# nginx.png into the output dir. About 80 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SRCDIR=${ZC_SRCDIR:-$(cd "$here/.." && pwd)}
export ZC_MODULE_DIR=${ZC_MODULE_DIR:-$SRCDIR/.libs}
BENCH=${ZC_BENCH:-$SRCDIR/bench/zc_bench}
OUT=${ZC_BENCH_OUT:-$SRCDIR/bench/out}
GNUPLOT=${GNUPLOT:-gnuplot}
secs=${ZC_NGINX_SECONDS:-2}
rounds=${ZC_NGINX_ROUNDS:-4}
backend=""
while [ $# -gt 0 ]; do
    case $1 in
    --backend) backend=$2; shift ;;
    --backend=*) backend=${1#--backend=} ;;
    --quick) secs=1 rounds=1 ;;
    *) echo "usage: $0 [--backend NAME] [--quick]" >&2; exit 2 ;;
    esac
    shift
done
# zc_cnf: the openssl.cnf the shell tests use (default + zcrypto, preferred).
# shellcheck source=test/zc_test_lib.sh
. "$SRCDIR/test/zc_test_lib.sh"

die() { echo "nginx_wrk: $*" >&2; exit 1; }
[ -r "$ZC_MODULE_DIR/zcrypto.so" ] || die "$ZC_MODULE_DIR/zcrypto.so not found (build first)"
command -v nginx >/dev/null || die "nginx not installed (Debian 12: nginx-light, 13: nginx)"
if ! command -v wrk >/dev/null; then
    [ "$(id -u)" = 0 ] || die "wrk not installed (apt-get install wrk)"
    echo "nginx_wrk: installing wrk"
    timeout 300 apt-get install -y -qq wrk >/dev/null || die "cannot install wrk"
fi
if [ -z "$backend" ]; then
    [ -x "$BENCH" ] || die "$BENCH not built (make), needed to ask zcrypto for its backends"
    backend=$(timeout 30 "$BENCH" --list-backends --module-dir "$ZC_MODULE_DIR" | cut -d' ' -f1)
    [ -n "$backend" ] || die "zcrypto named no backend"
fi

# Server (nginx, master and worker) on the last CPU, wrk on the first, when
# there are two: the worker's CPU time is then its own.
ncpu=$(getconf _NPROCESSORS_ONLN)
pin_srv=() pin_cli=()
if [ "$ncpu" -ge 2 ] && command -v taskset >/dev/null; then
    pin_srv=(taskset -c $((ncpu - 1))) pin_cli=(taskset -c 0)
fi

tmp=$(mktemp -d)
ngx_pids=() ngx_workers=()
# A graceful stop (QUIT: workers finish and write their stats files), at most
# 5 s, then KILL for the masters and any worker a killed master left behind.
stop_nginx() {
    local p
    for p in ${ngx_pids[@]+"${ngx_pids[@]}"}; do kill -QUIT "$p" 2>/dev/null || true; done
    for p in ${ngx_pids[@]+"${ngx_pids[@]}"}; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    for p in ${ngx_workers[@]+"${ngx_workers[@]}"}; do kill -9 "$p" 2>/dev/null || true; done
    ngx_pids=() ngx_workers=()
}
# Whatever happens (error, ^C, timeout), nginx goes and the scratch with it.
trap 'stop_nginx; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# A throwaway self-signed P-256 certificate (wrk does not verify; ECDSA keeps
# the few handshakes cheap).
timeout 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=localhost -keyout "$tmp/srv.key" -out "$tmp/srv.pem" 2>/dev/null ||
    die "cannot make a certificate"
mkdir -p "$tmp/www" "$OUT"
head -c 1024 /dev/urandom > "$tmp/www/1k.bin"
head -c $((16 << 20)) /dev/urandom > "$tmp/www/16m.bin"

# The default runs and wrk: the default provider alone, zcrypto never loaded.
cat > "$tmp/default.cnf" <<'CNF'
openssl_conf = init
[init]
providers = prov
[prov]
default = dflt
[dflt]
activate = 1
CNF

# wrk prints its exact totals through this (its own summary rounds them).
cat > "$tmp/report.lua" <<'LUA'
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("ZCWRK requests=%d bytes=%d us=%d errors=%d\n", summary.requests,
        summary.bytes, summary.duration, e.connect + e.read + e.write + e.status + e.timeout))
end
LUA


# "utime stime" of process $1, in clock ticks.
cpu_ticks() {
    awk '{ print $14, $15 }' "/proc/$1/stat"
}

# Starts nginx for provider $1 and suite $2 in directory $3; sets port[$1]
# and worker[$1]; checks the suite is what a client negotiates and whether
# zcrypto.so is mapped in the worker (mapped[$1]).
declare -A port worker mapped
start_nginx() {
    local prov=$1 suite=$2 d=$3 cnf up=0 w pid
    mkdir -p "$d"
    if [ "$prov" = zcrypto ]; then
        cnf=$d/zcrypto.cnf
        zc_cnf "$backend" "$d/stats" > "$cnf"
    else
        cnf=$tmp/default.cnf
    fi
    port[$prov]=$(zc_free_port)
    zc_nginx_conf dir="$d" listen="${port[$prov]}" cert="$tmp/srv.pem" key="$tmp/srv.key" \
        http="
    keepalive_requests 100000000;
    keepalive_timeout 60s;" server="
        ssl_protocols TLSv1.3;
        ssl_conf_command Ciphersuites $suite;
        root $tmp/www;" > "$d/nginx.conf"
    OPENSSL_CONF=$cnf ${pin_srv[@]+"${pin_srv[@]}"} nginx -p "$d" -c "$d/nginx.conf" \
        -e "$d/error.log" -g 'daemon off; master_process on;' 2>>"$d/error.log" &
    pid=$!
    ngx_pids+=("$pid")
    local deadline=$((SECONDS + 10))
    while [ $SECONDS -lt $deadline ]; do
        curl -sk --max-time 1 -o /dev/null "https://127.0.0.1:${port[$prov]}/1k.bin" 2>/dev/null &&
            { up=1; break; }
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [ $up = 1 ] || { tail -5 "$d/error.log" >&2; die "$prov $suite: nginx did not start"; }
    w=$(pgrep -P "$pid" || true)
    [ "$(echo "$w" | wc -w)" = 1 ] || die "$prov $suite: expected 1 nginx worker, found: $w"
    worker[$prov]=$w
    ngx_workers+=("$w")
    # The suite really negotiated (wrk cannot say).
    local seen
    seen=$(timeout 10 openssl s_client -connect "127.0.0.1:${port[$prov]}" -tls1_3 </dev/null 2>/dev/null |
           sed -n 's/^.*Cipher is \(TLS_[A-Z0-9_]*\).*$/\1/p' | head -1)
    [ "$seen" = "$suite" ] || die "$prov $suite: negotiated '$seen'"
    mapped[$prov]=0
    if grep -q 'zcrypto\.so' "/proc/$w/maps"; then mapped[$prov]=1; fi
}

# One wrk run of test $1 (rps: 1 KiB over 16 connections; dl: 16 MiB over
# 2) against provider $2's nginx; appends
# "suite,provider,round,test,requests,bytes,seconds,user_s,sys_s" to nginx.csv.
measure() {
    local test=$1 prov=$2 suite=$3 round=$4 url conns out u0 s0 u1 s1 rq rb ru re
    if [ "$test" = rps ]; then url=1k.bin conns=16; else url=16m.bin conns=2; fi
    read -r u0 s0 < <(cpu_ticks "${worker[$prov]}")
    out=$(OPENSSL_CONF=$tmp/default.cnf timeout $((secs + 20)) ${pin_cli[@]+"${pin_cli[@]}"} \
          wrk -t1 -c"$conns" -d"${secs}s" --timeout 5s -s "$tmp/report.lua" \
          "https://127.0.0.1:${port[$prov]}/$url" 2>&1) || { echo "$out" >&2; die "$prov $suite: wrk failed"; }
    read -r u1 s1 < <(cpu_ticks "${worker[$prov]}")
    read -r rq rb ru re < <(echo "$out" |
        sed -n 's/^ZCWRK requests=\([0-9]*\) bytes=\([0-9]*\) us=\([0-9]*\) errors=\([0-9]*\)$/\1 \2 \3 \4/p')
    [ -n "${re:-}" ] || { echo "$out" >&2; die "$prov $suite: cannot read wrk's report"; }
    [ "$re" = 0 ] || die "$prov $suite $test: wrk saw $re errors"
    [ "$rq" -ge 1 ] || die "$prov $suite $test: not one response completed in ${secs}s"
    echo "$suite,$prov,$round,$test,$rq,$rb,$ru,$u0,$s0,$u1,$s1,$tck" | awk -F, '{
        printf "%s,%s,%s,%s,%d,%d,%.6f,%.2f,%.2f\n", $1, $2, $3, $4, $5, $6, $7 / 1e6,
               ($10 - $8) / $12, ($11 - $9) / $12 }' >> "$OUT/nginx.csv"
    total_bytes[$prov]=$(( ${total_bytes[$prov]:-0} + rb ))
}

# After both are stopped: zcrypto did the work in its runs (its worker's
# stats file counts at least the bytes wrk read, on the named backend, for
# the suite's AEAD) and none in the default's (not loaded at all).
check_proof() {
    local suite=$1 alg=$2 zbytes
    [ "${mapped[default]}" = 0 ] || die "default $suite: zcrypto.so is mapped in the worker"
    if ls "$tmp/default-$suite"/stats-*.json >/dev/null 2>&1; then
        die "default $suite: zcrypto wrote stats"
    fi
    [ "${mapped[zcrypto]}" = 1 ] || die "zcrypto $suite: zcrypto.so not mapped in the worker"
    zbytes=$(zc_stats_sum "$tmp/zcrypto-$suite/stats" "$alg" bytes "$backend")
    [ "$zbytes" -ge "${total_bytes[zcrypto]}" ] ||
        die "zcrypto $suite: zcrypto's stats count $zbytes $alg bytes on $backend, wrk read ${total_bytes[zcrypto]}"
    echo "   ok: zcrypto ($backend) encrypted $zbytes $alg bytes in its nginx, wrk read" \
         "${total_bytes[zcrypto]}; the default nginx never loaded zcrypto"
}

tck=$(getconf CLK_TCK)
load0=$(cut -d' ' -f1 /proc/loadavg)
echo "== nginx + wrk, TLS 1.3 on 127.0.0.1: default provider vs zcrypto (backend $backend)"
echo "   $(nginx -v 2>&1), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $(openssl version)"
echo "   1 nginx worker each${pin_srv[*]:+ (${pin_srv[*]})}, wrk -t1${pin_cli[*]:+ (${pin_cli[*]})};" \
     "$rounds rounds of ${secs}s per test and side, alternating; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "suite,provider,round,test,requests,bytes,seconds,user_s,sys_s" > "$OUT/nginx.csv"
for suite in TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
    case $suite in
    TLS_AES_256_GCM_SHA384) alg=AES-256-GCM ;;
    *) alg=ChaCha20-Poly1305 ;;
    esac
    declare -A total_bytes=()
    # Both servers up at once, the idle one asleep in epoll: rounds can
    # alternate quickly without restarts.
    start_nginx default "$suite" "$tmp/default-$suite"
    start_nginx zcrypto "$suite" "$tmp/zcrypto-$suite"
    for round in $(seq "$rounds"); do
        if [ $((round % 2)) = 1 ]; then pair="default zcrypto"; else pair="zcrypto default"; fi
        for test in rps dl; do
            for prov in $pair; do measure "$test" "$prov" "$suite" "$round"; done
        done
    done
    stop_nginx
    check_proof "$suite" "$alg"
done

# Best of each side: most requests/s and MB/s, least worker CPU per request
# and per GiB (the user/kernel split is that best round's).
awk -F, 'NR > 1 {
    k = $1 SUBSEP $2
    if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
    cpu = $8 + $9
    if ($4 == "rps") {
        r = $5 / $7; c = cpu * 1e6 / $5
        if (!(k in rps) || r > rps[k]) rps[k] = r
        if (!(k in us) || c < us[k]) us[k] = c
    } else {
        g = $6 / 1073741824; m = $6 / $7 / 1e6; c = cpu / g
        if (!(k in mbps) || m > mbps[k]) mbps[k] = m
        if (!(k in gib) || c < gib[k]) { gib[k] = c; usr[k] = $8 / g; sys[k] = $9 / g }
    }
} END {
    print "suite,metric,default,zcrypto,ratio"
    for (i = 1; i <= n; i++) {
        s = order[i]; d = s SUBSEP "default"; z = s SUBSEP "zcrypto"
        printf "%s,rps,%.0f,%.0f,%s\n", s, rps[d], rps[z], q(rps[z], rps[d])
        printf "%s,cpu_us_per_req,%.2f,%.2f,%s\n", s, us[d], us[z], q(us[d], us[z])
        printf "%s,dl_mbps,%.1f,%.1f,%s\n", s, mbps[d], mbps[z], q(mbps[z], mbps[d])
        printf "%s,cpu_s_per_gib,%.4f,%.4f,%s\n", s, gib[d], gib[z], q(gib[d], gib[z])
        printf "%s,user_s_per_gib,%.4f,%.4f,%s\n", s, usr[d], usr[z], q(usr[d], usr[z])
        printf "%s,sys_s_per_gib,%.4f,%.4f,%s\n", s, sys[d], sys[z], q(sys[d], sys[z])
    }
}
# A ratio, empty when the denominator rounds to nothing (a 0-tick CPU reading).
function q(a, b) { return b > 0 ? sprintf("%.3f", a / b) : "" }' "$OUT/nginx.csv" > "$OUT/nginx-summary.csv"

echo
echo "nginx, best round of each side (ratio > 1: zcrypto better; for CPU costs it is default/zcrypto)"
awk -F, 'BEGIN {
    name["rps"] = "1 KiB keep-alive: req/s"
    name["cpu_us_per_req"] = "1 KiB: worker CPU us/req"
    name["dl_mbps"] = "16 MiB down: MB/s"
    name["cpu_s_per_gib"] = "16 MiB: worker CPU s/GiB"
    name["user_s_per_gib"] = "  of which user s/GiB"
    name["sys_s_per_gib"] = "  of which kernel s/GiB"
}
NR == 1 { printf "%-29s %-26s %10s %10s %7s\n", "suite", "metric", "default", "zcrypto", "ratio"; next }
{
    f = $2 ~ /_s_per_gib$/ ? "%10.3f %10.3f" : $2 == "cpu_us_per_req" ? "%10.1f %10.1f" : "%10.0f %10.0f"
    printf "%-29s %-26s " f " %7s\n", $1, name[$2], $3, $4, $5 == "" ? "-" : sprintf("%.2fx", $5)
}' "$OUT/nginx-summary.csv"
# This bench keeps both CPUs of a 2-CPU host busy: more than that, before it
# started, means someone else's work shared them.
if awk -v l="$load0" -v n="$ncpu" 'BEGIN { exit !(l > n / 2) }'; then
    echo "   note: load was $load0 on $ncpu CPUs when this started: other work shared the" \
         "CPUs, so single figures are noisy (best-of-rounds and ratios hold up better)"
fi

if command -v "$GNUPLOT" >/dev/null 2>&1; then
    timeout 60 "$GNUPLOT" -e "csv='$OUT/nginx-summary.csv'; out='$OUT/nginx.png'; backend='$backend'" \
        "$SRCDIR/bench/nginx.gp"
    echo "== nginx plot: $OUT/nginx.png; CSV: $OUT/nginx.csv, $OUT/nginx-summary.csv"
else
    echo "== no nginx plot: $GNUPLOT not installed (Debian: gnuplot-nox); CSV: $OUT/nginx.csv"
fi
