#!/usr/bin/env bash
# Builds the fuzz harnesses (fuzz/build.sh: clang, libFuzzer, ASan, UBSan)
# and runs each over every backend (the input's first byte picks it),
# starting from the checked-in seeds in fuzz/corpus/<harness>/: by default
# (CI) a fixed number of inputs from a fixed seed (-seed=1, ZC_FUZZ_RUNS
# or per harness below, about 10 s each), so a run is reproducible and a
# red CI is a real regression; with ZC_FUZZ_SECONDS=N a random search for N
# seconds each (exploration; what it finds goes to fuzz/regress/). fuzz_pipe
# (pipelines) only where OpenSSL is 3.5 or later, skipped with a note. Then
# replays the seeds and fuzz/regress/<harness>/ (inputs that once found a
# bug) on each backend in turn (ZC_FUZZ_BACKEND). Any crash, sanitizer
# report or difference from the default provider fails; the input is left
# in $ZC_FUZZ_DIR/artifacts/. Prints executions and libFuzzer's cov/ft.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${ZC_FUZZ_DIR:-$src/build-fuzz}
secs=${ZC_FUZZ_SECONDS:-}

[ -n "${ZC_FUZZ_NO_BUILD:-}" ] || bash "$src/fuzz/build.sh"
export ZC_MODULE_DIR=$out/src/.libs
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1
mkdir -p "$out/artifacts"
rc=0
# build.sh leaves fuzz_pipe out before OpenSSL 3.5 (no pipeline cipher API).
[ -x "$out/bin/fuzz_pipe" ] \
    || echo "fuzz: fuzz_pipe skipped: OpenSSL $(pkg-config --modversion libcrypto) has no pipeline cipher API (3.5+)"
for bin in "$out"/bin/fuzz_*; do
    h=$(basename "$bin")
    work=$out/corpus/$h seeds=$src/fuzz/corpus/$h regress=$src/fuzz/regress/$h
    mkdir -p "$work"
    log=$out/$h.log
    case $h in fuzz_params) runs=100000 ;; *) runs=15000 ;; esac
    if [ -n "$secs" ]; then
        limit=(-max_total_time="$secs") what="${secs}s"
    else
        limit=(-seed=1 -runs="${ZC_FUZZ_RUNS:-$runs}") what="seed 1, ${ZC_FUZZ_RUNS:-$runs} inputs"
    fi
    if ! (cd "$out/artifacts" && timeout $((${secs:-60} + 240)) "$bin" "${limit[@]}" \
            -max_len=4096 -timeout=20 -print_final_stats=1 -artifact_prefix="$out/artifacts/$h-" \
            "$work" "$seeds") >"$log" 2>&1; then
        echo "fuzz: $h FAILED"; grep -v "^    #" "$log" | tail -25; rc=1
    fi
    backends=$(sed -n 's/^zc_fuzz: backends //p' "$log" | head -1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -oE "cov: [0-9]+ ft: [0-9]+" "$log" | tail -1)
    echo "fuzz: $h ($what) on [$backends]: ${execs:-?} executions, ${cov:-no coverage line}, corpus $(ls "$work" | wc -l) inputs"
    for b in $backends; do
        dirs=("$seeds")
        [ -d "$regress" ] && dirs+=("$regress")
        if ! ZC_FUZZ_BACKEND=$b timeout 600 "$bin" -runs=0 "${dirs[@]}" >"$log.$b" 2>&1; then
            echo "fuzz: $h replay on $b FAILED"; grep -v "^    #" "$log.$b" | tail -25; rc=1
        fi
    done
    echo "fuzz: $h seeds$([ -d "$regress" ] && echo " + regressions") replayed on each of: $backends"
done
exit $rc
