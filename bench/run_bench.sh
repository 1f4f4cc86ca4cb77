#!/bin/sh
# make bench: zc_bench (zcrypto vs the default provider through EVP), then
# `openssl speed -evp` on both providers side by side, then the plots.
#
# usage: run_bench.sh [--quick] [--save] [--no-speed] [zc_bench options...]
#   --quick     smoke run (zc_bench --quick, one speed size)
#   --save      copy CSVs, env.txt and PNGs into $ZC_SRCDIR/bench/results
#   --no-speed  skip openssl speed
# environment: ZC_BENCH (zc_bench binary), ZC_MODULE_DIR (dir of zcrypto.so),
#   ZC_BENCH_OUT (output dir), ZC_SRCDIR (source tree), OPENSSL (openssl
#   binary), ZC_SPEED_SECONDS (per run, default 1), ZC_SPEED_REPS (runs per
#   size and provider, default 2), GNUPLOT.
set -u

BENCH=${ZC_BENCH:-./bench/zc_bench}
SRCDIR=${ZC_SRCDIR:-.}
OUT=${ZC_BENCH_OUT:-bench/out}
OPENSSL=${OPENSSL:-openssl}
GNUPLOT=${GNUPLOT:-gnuplot}
SPEED_SECONDS=${ZC_SPEED_SECONDS:-1}
MODDIR=$(cd "${ZC_MODULE_DIR:-./.libs}" 2>/dev/null && pwd) || {
    echo "run_bench: module dir ${ZC_MODULE_DIR:-./.libs} not found; build first" >&2
    exit 1
}

quick=0 save=0 speed=1 backend=best
bench_args=""
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1; bench_args="$bench_args --quick" ;;
    --save) save=1 ;;
    --no-speed) speed=0 ;;
    --backend) backend=$2; bench_args="$bench_args --backend $2"; shift ;;
    --backend=*) backend=${1#--backend=}; bench_args="$bench_args $1" ;;
    *) bench_args="$bench_args $1" ;;
    esac
    shift
done

# "best" (the default): the fastest backend this CPU runs, by name, so the
# figures are zcrypto's path even where auto leaves an algorithm out.
[ "$backend" = best ] && backend=$("$BENCH" --list-backends --module-dir "$MODDIR" | cut -d' ' -f1)

exec 3>&1     # speed runs' stdout is captured; their command lines go here
mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)
status=0

echo "== zcrypto benchmark, $(date -u '+%Y-%m-%d %H:%M UTC') on $(uname -n)"
echo "   cpu:     $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
     "$(getconf _NPROCESSORS_ONLN) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   openssl: $("$OPENSSL" version)"
echo "   module:  $MODDIR/zcrypto.so (backend=$backend requested)"
echo

# ------------------------------------------------------------------ zc_bench
echo "== zc_bench: EVP, both providers interleaved in one process"
# shellcheck disable=SC2086 # bench_args is a word list on purpose
if ! "$BENCH" --module-dir "$MODDIR" --out "$OUT" $bench_args; then
    echo "run_bench: zc_bench FAILED" >&2
    status=1
fi

# ------------------------------------------------------------------ openssl speed
# Both runs get the same config, which loads zcrypto with a stats file: the
# zcrypto run must show zcrypto's counters moving, the default run must not.
speed_conf=$OUT/speed.cnf
speed_stats=$OUT/speed-stats.json
cat > "$speed_conf" <<EOF
openssl_conf = zc_speed_init
[zc_speed_init]
providers = zc_speed_providers
[zc_speed_providers]
zcrypto = zc_speed_zcrypto
[zc_speed_zcrypto]
module = $MODDIR/zcrypto.so
backend = $backend
stats_file = $speed_stats
activate = 1
EOF

# The bytes zcrypto counted for $1 (a zcrypto algorithm name) in the last run.
zc_speed_bytes() {
    [ -r "$speed_stats" ] || { echo 0; return; }
    tr '{' '\n' < "$speed_stats" | sed -n "s/.*\"alg\":\"$1\".*\"bytes\":\([0-9]*\).*/\1/p" |
        awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# One openssl speed run: $1 provider, $2 alg, $3 enc|dec, $4 size, $5 1 to
# show the command. Prints bytes/s, nothing if speed failed.
zc_speed_once() {
    sp_alg=$2 sp_dir=$3 sp_size=$4 sp_show=$5
    if [ "$1" = zcrypto ]; then
        set -- -provider-path "$MODDIR" -provider zcrypto -provider default -propquery provider=zcrypto
    else
        set -- -provider default -propquery provider=default
    fi
    [ "$sp_dir" = dec ] && set -- "$@" -decrypt
    set -- "$@" -bytes "$sp_size" -evp "$sp_alg"
    [ "$sp_show" = 1 ] && echo "   \$ $OPENSSL speed -elapsed -seconds $SPEED_SECONDS $*" >&3
    rm -f "$speed_stats"
    OPENSSL_CONF=$speed_conf "$OPENSSL" speed -mr -elapsed -seconds "$SPEED_SECONDS" "$@" \
        2>"$OUT/speed.err" | awk -F: '/^\+F:/ { print $4 }'
}

# After a run of provider $1: zcrypto must have counted bytes in its own runs
# and none in the default's. Sums into zc_bytes; sets zc_unfinished.
zc_speed_check() {
    bytes=$(zc_speed_bytes "$zc_alg")
    if [ "$1" = default ]; then
        [ "$bytes" = 0 ] && return 0
        echo "run_bench: zcrypto counted $bytes bytes in a default-provider run" >&2
        return 1
    fi
    if [ ! -r "$speed_stats" ]; then
        echo "run_bench: zcrypto wrote no stats file: was it loaded?" >&2
        return 1
    fi
    # zcrypto counts a message at its final, and speed's ChaCha decrypt is
    # one stream that never ends. There the mandatory provider=zcrypto query
    # is the proof: without zcrypto the fetch, and speed, would fail.
    [ "$bytes" = 0 ] && zc_unfinished=1
    zc_bytes=$((zc_bytes + bytes))
    return 0
}

if [ $speed = 1 ]; then
    if [ $quick = 1 ]; then sizes=16384 reps=1; else sizes="16 64 256 1024 8192 16384" reps=${ZC_SPEED_REPS:-2}; fi
    # Per size, runs in the order default zcrypto zcrypto default ...: load
    # that drifts meets both sides alike, and each keeps its best run (a
    # neighbour can only ever slow a run down).
    order="default zcrypto"
    i=1
    while [ $i -lt "$reps" ]; do
        if [ $((i % 2)) = 1 ]; then order="$order zcrypto default"; else order="$order default zcrypto"; fi
        i=$((i + 1))
    done
    echo
    echo "== openssl speed -evp, default vs zcrypto, best of $reps run(s) of ${SPEED_SECONDS}s per size" \
         "and provider (MB/s = 10^6 B/s)"
    echo "alg,dir,size,default_Bps,zcrypto_Bps,ratio" > "$OUT/speed.csv"
    for alg in aes-256-gcm chacha20-poly1305; do
        case $alg in
        aes-256-gcm) zc_alg=AES-256-GCM ;;
        *) zc_alg=ChaCha20-Poly1305 ;;
        esac
        for dir in enc dec; do
            zc_bytes=0 zc_unfinished=0 show=1
            for size in $sizes; do
                best_default=0 best_zcrypto=0
                for prov in $order; do
                    v=$(zc_speed_once "$prov" "$alg" "$dir" "$size" "$show")
                    [ "$prov" = zcrypto ] && show=0
                    if [ -z "$v" ]; then
                        echo "run_bench: openssl speed ($prov $alg $dir $size) FAILED:" >&2
                        cat "$OUT/speed.err" >&2
                        status=1
                        continue
                    fi
                    zc_speed_check "$prov" || status=1
                    eval "best=\$best_$prov"
                    best=$(awk -v a="$best" -v b="$v" 'BEGIN { print (b > a) ? b : a }')
                    eval "best_$prov=\$best"
                done
                awk -v a="$best_default" -v b="$best_zcrypto" 'BEGIN { exit !(a > 0 && b > 0) }' &&
                    echo "$alg,$dir,$size,$best_default,$best_zcrypto" |
                    awk -F, '{ printf "%s,%s,%s,%.0f,%.0f,%.3f\n", $1, $2, $3, $4, $5, $5 / $4 }' \
                    >> "$OUT/speed.csv"
            done
            if [ $zc_unfinished = 1 ]; then
                echo "     ok: zcrypto loaded; it counted no finished message (speed never ends this stream)"
            else
                echo "     ok: zcrypto's stats_file counted $zc_bytes $zc_alg bytes in its runs, none in default's"
            fi
        done
    done
    rm -f "$OUT/speed.err" "$speed_stats"
    echo
    awk -F, 'NR == 1 { printf "%-18s %-3s %6s %12s %12s %7s\n", "alg", "dir", "size",
                       "default MB/s", "zcrypto MB/s", "zc/def"; next }
             { printf "%-18s %-3s %6d %12.1f %12.1f %6.2fx\n", $1, $2, $3, $4 / 1e6,
                      $5 / 1e6, $6 }' "$OUT/speed.csv"
fi

# ------------------------------------------------------------------ raw ipsec-mb
RAW=${ZC_RAW_IPSECMB:-$(dirname "$BENCH")/zc_raw_ipsecmb}
if [ $speed = 1 ] && [ -x "$RAW" ]; then
    echo
    echo "== raw ipsec-mb against zcrypto through EVP (same process, interleaved)"
    if [ $quick = 1 ]; then raw_rounds=2; else raw_rounds=10; fi
    "$RAW" --module-dir "$MODDIR" --rounds $raw_rounds | tee "$OUT/raw.txt" || status=1
fi

# ------------------------------------------------------------------ plots
echo
if [ ! -s "$OUT/zc_bench.csv" ]; then
    echo "== no plots: zc_bench wrote no CSV"
elif command -v "$GNUPLOT" >/dev/null 2>&1; then
    if "$GNUPLOT" -e "csv='$OUT/zc_bench.csv'; ratios='$OUT/ratios.csv'; outdir='$OUT'" \
            "$SRCDIR/bench/plot.gp"; then
        echo "== plots in $OUT: $(cd "$OUT" && echo ./*.png)"
    else
        echo "run_bench: gnuplot FAILED" >&2
        status=1
    fi
else
    echo "== no plots: $GNUPLOT not installed (Debian: gnuplot-nox)"
fi
echo "== CSV: $OUT/zc_bench.csv, $OUT/ratios.csv$( [ $speed = 1 ] && echo ", $OUT/speed.csv")"

if [ $save = 1 ] && [ $status = 0 ]; then
    mkdir -p "$SRCDIR/bench/results" &&
        cp "$OUT"/*.csv "$OUT"/env.txt "$OUT"/*.png "$SRCDIR/bench/results/" &&
        { [ ! -f "$OUT/raw.txt" ] || cp "$OUT/raw.txt" "$SRCDIR/bench/results/"; } &&
        echo "== saved to $SRCDIR/bench/results"
fi
exit $status
