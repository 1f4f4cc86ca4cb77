#!/usr/bin/env bash
# The RDSEED seed source through the real openssl app and a [random] section
# (seed = RDSEED, seed_properties = provider=zcrypto): listed by `openssl
# list -random-generators` exactly where the CPU has RDSEED (and hidden by
# ZC_X86CAP=rdseed), `openssl rand` seeded by it with zcrypto's stats showing
# the seed it served, and each injected fault (ZC_TEST_RDSEED_FAULT: stuck
# output, a two-valued pattern, RDSEED never ready) failing closed: no
# output, a zcrypto error naming the cause, the matching counter.
set -u
: "${ZC_MODULE_DIR:?run from make check}" "${ZC_SRCDIR:?run from make check}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

. "$ZC_SRCDIR/test/zc_test_lib.sh"
# zcrypto loaded (not preferred for ciphers), plus the [random] section.
{ zc_cnf auto "$tmp/stats" load-only | sed '/^providers = prov$/a random = rnd'
  printf '[rnd]\nseed = RDSEED\nseed_properties = provider=zcrypto\n'; } > "$tmp/rand.cnf"

# A counter of the "seed" object summed over the stats files of the run.
seed_stat() {
    python3 - "$tmp" "$1" <<'PY'
import glob, json, sys
total = 0
for f in glob.glob(sys.argv[1] + "/stats-*.json"):
    total += json.load(open(f))["seed"][sys.argv[2]]
print(total)
PY
}

# rand_run NAME [env...]: `openssl rand -hex 64` under the config.
rand_run() {
    local name=$1; shift
    rm -f "$tmp"/stats-*.json
    env "$@" OPENSSL_CONF="$tmp/rand.cnf" timeout 60 openssl rand -hex 64 \
        >"$tmp/$name.out" 2>"$tmp/$name.err"
}

if grep -qw rdseed /proc/cpuinfo; then
    if OPENSSL_CONF="$tmp/rand.cnf" openssl list -random-generators | grep -q "RDSEED @ zcrypto"; then
        ok "RDSEED @ zcrypto listed"
    else
        bad "RDSEED not listed"
    fi
    if OPENSSL_CONF="$tmp/rand.cnf" openssl list -providers -verbose | grep -q "seed source: RDSEED"; then
        ok "build info names the seed source"
    else
        bad "build info does not name the seed source"
    fi

    rand_run a; rc_a=$?
    req=$(seed_stat requests) bytes=$(seed_stat bytes)
    rand_run b; rc_b=$?
    if [ $rc_a -eq 0 ] && [ $rc_b -eq 0 ] && grep -Eqx '[0-9a-f]{128}' "$tmp/a.out" \
        && ! cmp -s "$tmp/a.out" "$tmp/b.out" && [ "$req" -ge 1 ] && [ "$bytes" -ge 32 ]; then
        ok "openssl rand seeded by RDSEED: $req seed request(s), $bytes bytes (stats)"
    else
        bad "openssl rand through RDSEED: rc $rc_a/$rc_b, requests $req, bytes $bytes"; cat "$tmp/a.err"
    fi
    failures=$(( $(seed_stat rct_failures) + $(seed_stat apt_failures) + $(seed_stat exhausted) ))
    if [ "$failures" -eq 0 ]; then ok "no health-test failure in normal use"; else bad "$failures failures"; fi

    # Each fault must stop openssl rand with nothing on stdout.
    for f in rct:rct_failures:"repetition count test" apt:apt_failures:"adaptive proportion test" \
             exhausted:exhausted:"retries exhausted"; do
        IFS=: read -r fault counter text <<<"$f"
        rand_run "$fault" ZC_TEST_RDSEED_FAULT="$fault"; rc=$?
        n=$(seed_stat "$counter") served=$(seed_stat bytes)
        if [ $rc -ne 0 ] && [ ! -s "$tmp/$fault.out" ] && grep -q "zcrypto:.*$text" "$tmp/$fault.err" \
            && [ "$n" -ge 1 ] && [ "$served" -eq 0 ]; then
            ok "fault $fault: fails closed ($counter $n, nothing served)"
        else
            bad "fault $fault: rc $rc, stdout $(wc -c <"$tmp/$fault.out") bytes, $counter ${n:-?}, served ${served:-?}"
            cat "$tmp/$fault.err"
        fi
    done
fi

# Without RDSEED (or hidden) it is not offered. OpenSSL itself then drops
# the seed source it cannot fetch and seeds its primary DRBG from the OS
# (crypto/rand/rand_lib.c, 3.0 and 3.5): zcrypto's counters must show that
# it served nothing and said so.
if OPENSSL_CONF="$tmp/rand.cnf" ZC_X86CAP=rdseed openssl list -random-generators | grep -q RDSEED; then
    bad "RDSEED offered with ZC_X86CAP=rdseed"
else
    ok "RDSEED not offered where the CPU lacks it (ZC_X86CAP=rdseed)"
fi
rand_run hidden ZC_X86CAP=rdseed; rc=$?
offered=$(python3 -c 'import glob, json, sys; print(all(not json.load(open(f))["seed"]["offered"] for f in glob.glob(sys.argv[1] + "/stats-*.json")))' "$tmp")
if [ $rc -eq 0 ] && [ "$offered" = True ] && [ "$(seed_stat requests)" -eq 0 ]; then
    ok "seed = RDSEED without RDSEED: OpenSSL seeds from the OS, zcrypto reports offered false, 0 requests"
else
    bad "seed = RDSEED without RDSEED: rc $rc, all not offered: $offered, requests $(seed_stat requests)"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
