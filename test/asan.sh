#!/usr/bin/env bash
# Builds zcrypto and the Check suites with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs them:
# the async stress (2 threads x 32 jobs, ctx and wait ctx freed mid-flight,
# engine teardown while threads stop) is where a use-after-free would hide.
# OpenSSL's fibres switch stacks with swapcontext, which ASan follows (it
# warns once that false positives "may follow"; any report fails the run).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${ZC_ASAN_DIR:-$src/build-asan}

# shellcheck source=SCRIPTDIR/zc_test_lib.sh
. "$src/test/zc_test_lib.sh"
# UBSan does not recover: the first undefined operation (shift, overflow,
# misaligned or null access, ...) aborts the test and fails the run.
# Without _FORTIFY_SOURCE: ASan must see the plain libc calls (it does not
# intercept the __*_chk variants).
zc_side_build "$out" --disable-hardening CFLAGS="-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
    LDFLAGS="-fsanitize=address,undefined"
cd "$out/src"
# Live segments of the test processes (fork children that _exit leave theirs).
mkdir -p "$out/live"
export ZCRYPTO_STAT_DIR=$out/live
# Leaks are counted per pointer by test_async itself (OpenSSL keeps global
# state until exit that LeakSanitizer would report).
export ASAN_OPTIONS=detect_leaks=0:detect_stack_use_after_return=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1
rc=0
for t in $ZC_UNIT_TESTS; do
    echo "== ASan+UBSan: $t"
    if ! timeout 1200 "test/$t" >"$out/$t.log" 2>&1; then rc=1; fi
    if grep -qE "ERROR: AddressSanitizer|runtime error:" "$out/$t.log"; then
        grep -A30 -E "ERROR: AddressSanitizer|runtime error:" "$out/$t.log" | head -40; rc=1
    fi
    grep -E "^backends under test|^[0-9]+%: Checks" "$out/$t.log" || true
    [ $rc -eq 0 ] || tail -20 "$out/$t.log"
done
exit $rc
