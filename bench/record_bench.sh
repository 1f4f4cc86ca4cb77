#!/usr/bin/env bash
# The TLS-record-shape table of ./run.sh bench (and make bench-record):
# zc_bench --record times AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305 the
# way libssl seals and opens TLS 1.3 records (key set once, IV-only init,
# 5 B AAD, data in place), 16 B to 16 KiB incl. 1420 (a full record on a
# 1500 B MTU path), both providers in one process, interleaved rounds, best
# round of each. Then the ratio plot bench/out/record.png.
#
# zcrypto's path is named explicitly: --backend (default "best", the first of
# zcrypto's zcrypto-backends), so the figures say which code ran rather than
# whatever auto would register. A cipher zcrypto does not offer on that
# backend is reported as "not served by zcrypto", not as a failure.
#
# usage: record_bench.sh [--backend NAME] [--quick] [zc_bench options...]
# environment: ZC_BENCH (zc_bench binary), ZC_MODULE_DIR (dir of zcrypto.so),
#   ZC_BENCH_OUT (output dir), ZC_SRCDIR (source tree), GNUPLOT.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SRCDIR=${ZC_SRCDIR:-$(cd "$here/.." && pwd)}
BENCH=${ZC_BENCH:-$SRCDIR/bench/zc_bench}
MODDIR=${ZC_MODULE_DIR:-$SRCDIR/.libs}
OUT=${ZC_BENCH_OUT:-$SRCDIR/bench/out}
GNUPLOT=${GNUPLOT:-gnuplot}

backend=best
timing=(--seconds 0.25 --rounds 25)
args=()
while [ $# -gt 0 ]; do
    case $1 in
    --backend) backend=$2; shift ;;
    --backend=*) backend=${1#--backend=} ;;
    --quick) timing=(--seconds 0.02 --rounds 4) ;;
    *) args+=("$1") ;;
    esac
    shift
done
[ -x "$BENCH" ] || { echo "record_bench: $BENCH not built (make)" >&2; exit 1; }
mkdir -p "$OUT"

echo "== TLS 1.3 record shape: zc_bench --record, default vs zcrypto (backend $backend)," \
     "one process, interleaved rounds, best round of each"
# ~20 s of timed work (36 cells x 2 providers x 0.25 s); the timeout only
# catches a hang.
timeout 300 "$BENCH" --record --compact --backend "$backend" --module-dir "$MODDIR" \
    --out "$OUT" "${timing[@]}" ${args[@]+"${args[@]}"}

if command -v "$GNUPLOT" >/dev/null 2>&1; then
    timeout 60 "$GNUPLOT" -e "csv='$OUT/record.csv'; env='$OUT/record-env.txt'; out='$OUT/record.png'" \
        "$SRCDIR/bench/record.gp"
    echo "== record plot: $OUT/record.png; CSV: $OUT/record.csv"
else
    echo "== no record plot: $GNUPLOT not installed (Debian: gnuplot-nox); CSV: $OUT/record.csv"
fi
