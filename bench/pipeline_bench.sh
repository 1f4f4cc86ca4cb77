#!/usr/bin/env bash
# The pipeline table of ./run.sh bench (and make bench-pipeline): bursts of
# 1..32 packets under one key (64 B to 4 KiB, 13 B AAD, in place) through
# the default provider one packet at a time, through zcrypto one packet at a
# time, and through zcrypto's pipeline API (OpenSSL 3.5+), one process,
# interleaved rounds, best round of each (bench/zc_pipe_bench.c). Then the
# plot bench/out/pipeline.png: speedup against packet size, a line per lane
# count. Built against OpenSSL 3.0 there is no pipeline API: it says so.
#
# usage: pipeline_bench.sh [--backend NAME] [--quick] [zc_pipe_bench options...]
# environment: ZC_PIPE_BENCH (binary), ZC_MODULE_DIR, ZC_BENCH_OUT, ZC_SRCDIR, GNUPLOT.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SRCDIR=${ZC_SRCDIR:-$(cd "$here/.." && pwd)}
BENCH=${ZC_PIPE_BENCH:-$SRCDIR/bench/zc_pipe_bench}
MODDIR=${ZC_MODULE_DIR:-$SRCDIR/.libs}
OUT=${ZC_BENCH_OUT:-$SRCDIR/bench/out}
GNUPLOT=${GNUPLOT:-gnuplot}

if [ ! -x "$BENCH" ]; then
    if grep -q "pipeline: no" "$SRCDIR/config.log" 2>/dev/null \
        || ! grep -q "define ZC_HAVE_PIPELINE 1" "$SRCDIR/config.h" 2>/dev/null; then
        echo "== pipeline bench: $(openssl version | cut -d' ' -f1-2) has no provider pipeline API (3.5+); skipped"
        exit 0
    fi
    echo "pipeline_bench: $BENCH not built (make)" >&2
    exit 1
fi
mkdir -p "$OUT"
echo "== pipeline bursts: default per packet vs zcrypto per packet vs zcrypto pipeline API"
# ~60 s of timed work (80 cells x 3 modes x 7 rounds x 0.04 s); the timeout
# only catches a hang.
timeout 600 "$BENCH" --module-dir "$MODDIR" --out "$OUT" "$@"

if command -v "$GNUPLOT" >/dev/null 2>&1; then
    timeout 60 "$GNUPLOT" -e "csv='$OUT/pipeline.csv'; env='$OUT/pipeline-env.txt'; out='$OUT/pipeline.png'" \
        "$SRCDIR/bench/pipeline.gp"
    echo "== pipeline plot: $OUT/pipeline.png; CSV: $OUT/pipeline.csv"
else
    echo "== no pipeline plot: $GNUPLOT not installed (Debian: gnuplot-nox); CSV: $OUT/pipeline.csv"
fi
