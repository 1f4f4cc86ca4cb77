#!/usr/bin/env bash
# Cross-builds zcrypto for aarch64 and runs the Check suites under qemu-user:
# once with -cpu max (AES/PMULL present: the neon backend and portable are
# tested) and once with ZC_ARMCAP=0 (the kernel-reported capabilities masked:
# "auto" must fall back to portable; test_provider's config test then also checks
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
rc=0 ran=""
run() { # name, expected backends, env...
    local name=$1 want=$2; shift 2
    local log=$out/$name.log
    echo "== aarch64 ($name): test_core + test_provider + test_async under qemu-aarch64"
    if ! env "$@" timeout 1500 qemu-aarch64 -cpu max test/test_core >"$log" 2>&1; then
        tail -40 "$log"; rc=1
    fi
    grep -E "^backends under test|^[0-9]+%: Checks" "$log" || true
    grep -q "^backends under test: $want\$" "$log" || { echo "expected backends: $want"; rc=1; }
    if ! env "$@" timeout 900 qemu-aarch64 -cpu max test/test_provider >"$log.provider" 2>&1; then
        tail -40 "$log.provider"; rc=1
    fi
    grep -E "^[0-9]+%: Checks" "$log.provider" || true
    if ! env "$@" timeout 900 qemu-aarch64 -cpu max test/test_async >"$log.async" 2>&1; then
        tail -40 "$log.async"; rc=1
    fi
    grep -E "^[0-9]+%: Checks" "$log.async" || true
}
run neon "neon portable"
run no-crypto-ext "portable" ZC_ARMCAP=0
# The other suites once each, on -cpu max (what each adds on ARM in its comment).
suite() { # test, env...
    local t=$1; shift
    local log=$out/$t.log
    ran+=" $t"
    echo "== aarch64: $t under qemu-aarch64"
    if ! env "$@" timeout 900 qemu-aarch64 -cpu max "test/$t" >"$log" 2>&1; then
        tail -20 "$log"; rc=1
    fi
    grep -E "^backends under test|^poly1305 implementations|^[0-9]+%: Checks" "$log" || true
}
suite test_live          # live counters: shards, fork, hostile segments
suite test_poly1305      # the Poly1305 code ARM runs (portable, 64-bit scalar) on edge values
suite test_gcm_iv        # GCM IV lengths on neon and portable against the reference GCM
suite test_health        # the SP 800-90B tests, and no RDSEED seed source on ARM
suite test_async_faults  # timeouts, breaker, retries, workers replaced: ARM's weaker memory order
# The pipeline API on neon and portable (on OpenSSL 3.0 the suite checks it is absent).
suite test_pipeline ZC_TEST_PIPE_BATCHES=40
# Every C suite runs above or in run() (test_gcm_hybrid is the x86 kernels'
# own), so a new one is not forgotten here.
for t in $ZC_UNIT_TESTS; do
    case " test_core test_provider test_async test_gcm_hybrid$ran " in *" $t "*) continue ;; esac
    echo "aarch64: $t is in ZC_UNIT_TESTS but not run under qemu"; rc=1
done
exit $rc
