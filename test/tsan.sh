#!/usr/bin/env bash
# Builds zcrypto, test_async and test_async_faults with ThreadSanitizer (in
# build-tsan/) and runs both: worker threads, the lock-free rings (pools/),
# the request state machine (qat/), the scheduler (dispatch/zc_async.c),
# jobs freed mid-flight, 2 threads x 32 jobs over a provider lifecycle,
# fork, and the watchdog expiring requests and replacing exited and stuck
# workers.
# The engine, rings and pools are the same for every backend: the run takes
# the first backend this CPU runs (on x86 ipsec-mb's, with its per-thread
# managers) to keep CI within its time; ZC_TSAN_BACKENDS="a b" names
# others ("all": every one). The allocation count
# (single-threaded, minutes under TSan) is left to the other builds.
# ZC_TSAN_ROUNDS repeats the run (default 1). Any TSan report fails.
# test/tsan.supp holds the only suppressions: frames inside OpenSSL's
# uninstrumented libcrypto (its own locks and atomics), each with its reason.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${ZC_TSAN_DIR:-$src/build-tsan}

# shellcheck source=SCRIPTDIR/zc_test_lib.sh
. "$src/test/zc_test_lib.sh"
ZC_SIDE_TARGETS="zcrypto.la test/test_async test/test_async_faults" zc_side_build "$out" \
    CFLAGS="-g -O1 -fsanitize=thread -fno-omit-frame-pointer" LDFLAGS="-fsanitize=thread"
cd "$out/src"
# die_after_fork=0: the fork case starts the engine's threads in a child of
# a threaded parent, which TSan refuses by default (it cannot vouch for
# locks held across fork); zcrypto re-creates its engine per process.
export TSAN_OPTIONS="halt_on_error=1:abort_on_error=1:second_deadlock_stack=1:die_after_fork=0:suppressions=$src/test/tsan.supp"
# test_async names the backends it found before running (none here).
first=$(CK_RUN_CASE=none timeout 120 test/test_async 2>&1 | sed -n 's/^backends under test: \([^ ]*\).*/\1/p')
case ${ZC_TSAN_BACKENDS:-} in
all) ;;
"") export ZC_TEST_BACKENDS=${first:-portable} ;;
*) export ZC_TEST_BACKENDS=$ZC_TSAN_BACKENDS ;;
esac
export CK_EXCLUDE_TAGS=allocations
rc=0
for r in $(seq 1 "${ZC_TSAN_ROUNDS:-1}"); do
    for t in test_async test_async_faults; do
        log=$out/$t.$r.log
        echo "== TSan: $t (round $r)"
        if ! timeout 1500 "test/$t" >"$log" 2>&1; then rc=1; fi
        if grep -q "WARNING: ThreadSanitizer" "$log"; then
            grep -A40 "WARNING: ThreadSanitizer" "$log" | head -60; rc=1
        fi
        grep -E "^backends under test|^[0-9]+%: Checks" "$log" || true
        [ $rc -eq 0 ] || { tail -30 "$log"; break 2; }
    done
done
exit $rc
