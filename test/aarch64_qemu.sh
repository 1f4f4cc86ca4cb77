#!/usr/bin/env bash
# Cross-builds zcrypto for aarch64 and runs the Check suites under qemu-user:
# once with -cpu max (AES/PMULL present: the neon backend and portable are
# tested) and once with ZC_ARMCAP=0 (the kernel-reported capabilities masked:
# "auto" must fall back to portable; test_core's config test then also checks
# that an explicit backend = neon is refused).
# Needs gcc-aarch64-linux-gnu, qemu-user and arm64 libssl-dev, check,
# libjson-c-dev (./run.sh test-aarch64 installs them).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${ZC_AARCH64_DIR:-$src/build-aarch64}
host=aarch64-linux-gnu

# shellcheck source=SCRIPTDIR/zc_test_lib.sh
. "$src/test/zc_test_lib.sh"
zc_side_build "$out" --host=$host --enable-werror PKG_CONFIG=pkg-config \
    PKG_CONFIG_LIBDIR=/usr/lib/$host/pkgconfig:/usr/share/pkgconfig
grep -q "neon: yes" "$out/configure.out" || { echo "aarch64: neon backend not configured"; exit 1; }
cd "$out/src"
# Live segments of the test processes (fork children that _exit leave theirs).
mkdir -p "$out/live"
export ZCRYPTO_STAT_DIR=$out/live
file .libs/zcrypto.so | grep -q "ARM aarch64" || { echo "aarch64: not an arm64 module"; exit 1; }
# The cross-built module's BTI/PAC notes, RELRO, canary, exports.
bash "$src/test/test_hardening.sh" .libs/zcrypto.so || exit 1

# Left to the native run: the fork case (qemu-user 7.2 aborts when a
# process that has threads forks: its own assertion, cpu == current_cpu) and
# the 400,000-op allocation count (arch-independent C, 5 minutes under qemu).
export CK_DEFAULT_TIMEOUT=1800 CK_EXCLUDE_TAGS="fork allocations"
rc=0
run() { # name, expected backends, env...
    local name=$1 want=$2; shift 2
    local log=$out/$name.log
    echo "== aarch64 ($name): test_core + test_async under qemu-aarch64"
    if ! env "$@" timeout 1500 qemu-aarch64 -cpu max test/test_core >"$log" 2>&1; then
        tail -40 "$log"; rc=1
    fi
    grep -E "^backends under test|^[0-9]+%: Checks" "$log" || true
    grep -q "^backends under test: $want\$" "$log" || { echo "expected backends: $want"; rc=1; }
    if ! env "$@" timeout 900 qemu-aarch64 -cpu max test/test_async >"$log.async" 2>&1; then
        tail -40 "$log.async"; rc=1
    fi
    grep -E "^[0-9]+%: Checks" "$log.async" || true
}
run neon "neon portable"
run no-crypto-ext "portable" ZC_ARMCAP=0
# Live counters (shards, fork, hostile segments) on ARM.
echo "== aarch64: test_live under qemu-aarch64"
if ! timeout 900 qemu-aarch64 -cpu max test/test_live >"$out/live.log" 2>&1; then
    tail -20 "$out/live.log"; rc=1
fi
grep -E "^[0-9]+%: Checks" "$out/live.log" || true
# The Poly1305 implementations ARM runs (portable, 64-bit scalar), outside
# the provider, on the edge values the AEAD tests cannot reach.
echo "== aarch64: test_poly1305 under qemu-aarch64"
if ! timeout 900 qemu-aarch64 -cpu max test/test_poly1305 >"$out/poly1305.log" 2>&1; then
    tail -20 "$out/poly1305.log"; rc=1
fi
grep -E "^poly1305 implementations|^[0-9]+%: Checks" "$out/poly1305.log" || true
# GCM IV lengths 1..4097 on neon and portable against the reference GCM.
echo "== aarch64: test_gcm_iv under qemu-aarch64"
if ! timeout 900 qemu-aarch64 -cpu max test/test_gcm_iv >"$out/gcm_iv.log" 2>&1; then
    tail -20 "$out/gcm_iv.log"; rc=1
fi
grep -E "^backends under test|^[0-9]+%: Checks" "$out/gcm_iv.log" || true
# The SP 800-90B tests, and no RDSEED seed source on ARM.
echo "== aarch64: test_health under qemu-aarch64"
if ! timeout 900 qemu-aarch64 -cpu max test/test_health >"$out/health.log" 2>&1; then
    tail -20 "$out/health.log"; rc=1
fi
grep -E "^[0-9]+%: Checks" "$out/health.log" || true
# The pipeline API on neon and portable (on OpenSSL 3.0 the suite checks it is absent).
echo "== aarch64: test_pipeline under qemu-aarch64"
if ! ZC_TEST_PIPE_BATCHES=40 timeout 900 qemu-aarch64 -cpu max test/test_pipeline >"$out/pipeline.log" 2>&1; then
    tail -20 "$out/pipeline.log"; rc=1
fi
grep -E "^backends under test|^[0-9]+%: Checks" "$out/pipeline.log" || true
exit $rc
