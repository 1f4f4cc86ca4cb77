#!/usr/bin/env bash
# openssl speed -async_jobs N with zcrypto against the default provider (sync)
# and zcrypto (sync), interleaved in one run, as ratios, with the submitting
# thread's CPU time per op (bench/speed_cpu.py). Stdin is an idle pipe: a
# job that paused without a wait fd would hang speed here.
# usage: bench/async_speed.sh [seconds] [async_jobs] [alg...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-1}; jobs=${2:-16}; shift 2 2>/dev/null || shift $#
algs=("$@"); [ ${#algs[@]} -gt 0 ] || algs=(aes-256-gcm chacha20-poly1305)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# shellcheck source=SCRIPTDIR/../test/zc_test_lib.sh
. "$top/test/zc_test_lib.sh"
ZC_MODULE_DIR=${ZC_MODULE_DIR:-$top/.libs}
zc_cnf auto "$tmp/stats" load-only "${ZC_ASYNC_EXTRA:-}" > "$tmp/zc.cnf"
row() { # label, extra speed args... -> lines "bytes MB/s cpu_us_per_op"
    local q=$1; shift
    OPENSSL_CONF="$tmp/zc.cnf" timeout 300 python3 "$top/bench/speed_cpu.py" -elapsed \
        -seconds "$secs" -propquery "provider=$q" "$@"
}
for alg in "${algs[@]}"; do
    d=$(row default -evp "$alg")
    z=$(row zcrypto -evp "$alg")
    a=$(row zcrypto -async_jobs "$jobs" -evp "$alg")
    python3 - "$alg" "$jobs" "$d" "$z" "$a" <<'PY'
import sys
alg, jobs, *rows = sys.argv[1:]
v = [[tuple(float(x) for x in line.split()) for line in r.splitlines()] for r in rows]
print(f"{alg}: MB/s; async = zcrypto with -async_jobs {jobs}; cpu = the submitting"
      " thread's CPU time per op (us), sync / async")
print(f"  {'bytes':>6} {'default':>9} {'zc sync':>9} {'zc async':>9} {'async/def':>9}"
      f" {'async/sync':>10} {'cpu sync':>9} {'cpu async':>9}")
for (s, d, _), (_, z, zc), (_, a, ac) in zip(*v):
    print(f"  {int(s):>6} {d:>9.0f} {z:>9.0f} {a:>9.0f} {a/d:>9.2f} {a/z:>10.2f}"
          f" {zc:>9.2f} {ac:>9.2f}")
PY
done
