#!/usr/bin/env bash
# `backend = auto` offers only what is faster than the default provider here.
# For every CPU class this machine can pose as (ZC_X86CAP hides features),
# through the real openssl app: buildinfo names the class and what is served;
# OpenSSL lists exactly those algorithms "@ zcrypto"; each algorithm left out
# is named with its reason in buildinfo and in the stats JSON; an algorithm
# left out still works through `?provider=zcrypto` (on the default provider,
# zcrypto counting nothing). Invariants of the policy, whatever the figures:
# the portable backend is never offered by auto (a build or CPU without
# anything faster serves nothing), AVX2 ChaCha20-Poly1305 is never offered,
# and an explicitly chosen backend serves everything.
set -u
: "${ZC_MODULE_DIR:?run from make check}" "${ZC_SRCDIR:?run from make check}"
. "$ZC_SRCDIR/test/zc_test_lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
algs="AES-128-GCM AES-192-GCM AES-256-GCM ChaCha20-Poly1305"
speed_name() { tr 'A-Z' 'a-z' <<<"$1"; }

check_class() { # ZC_X86CAP value, expected class ("" = any)
    local hide=$1 want_class=$2 d="$tmp/c${1//,/_}" info class backend served listed a
    mkdir -p "$d"
    zc_cnf auto "$d/st" > "$d/zc.cnf"
    info=$(ZC_X86CAP=$hide OPENSSL_CONF="$d/zc.cnf" openssl list -providers -verbose 2>&1 \
           | sed -n 's/^ *build info: \(zcrypto .*\)/\1/p')
    class=$(sed -n 's/.*; CPU class \([a-z0-9-]*\);.*/\1/p' <<<"$info")
    backend=$(sed -n 's/^zcrypto [^;]*; backend \([a-z0-9]*\) .*/\1/p' <<<"$info")
    served=$(sed -n 's/.*; serves: \([^;]*\);.*/\1/p' <<<"$info")
    local name="ZC_X86CAP='$hide' ($class, backend $backend)"
    if [ -z "$class" ] || { [ -n "$want_class" ] && [ "$class" != "$want_class" ]; }; then
        bad "$name: CPU class '$class', expected '$want_class': $info"; return
    fi
    # OpenSSL's own list of zcrypto's ciphers is the served list.
    listed=""
    for a in $algs; do
        ZC_X86CAP=$hide zc_served "$d/zc.cnf" "$a" && listed="$listed $a"
    done
    listed=${listed# }
    [ "$listed" = "${served/nothing/}" ] && ok "$name: serves '$served', as OpenSSL lists" \
        || bad "$name: buildinfo serves '$served', OpenSSL lists '$listed'"
    for a in $algs; do
        if [[ " $listed " == *" $a "* ]]; then continue; fi
        grep -q "left to the default provider:.*$a ([^)]*[a-z][^)]*)" <<<"$info" \
            && ok "$name: $a left to the default, reason given" \
            || bad "$name: $a not served, no reason in buildinfo: $info"
    done
    [ "$backend" = portable ] && { [ -z "$listed" ] && ok "$name: portable serves nothing under auto" \
        || bad "$name: portable offered under auto: $listed"; }
    [ "$backend" = avx2 ] && { [[ " $listed " != *" ChaCha20-Poly1305 "* ]] \
        && ok "$name: AVX2 ChaCha20-Poly1305 not offered" || bad "$name: AVX2 ChaCha20-Poly1305 offered"; }
    # The stats JSON says the same; an algorithm left out runs on default.
    rm -f "$d"/st-*.json
    local off=""
    for a in $algs; do [[ " $listed " == *" $a "* ]] || { off=$a; break; }; done
    local probe=${off:-AES-128-GCM} out rc
    out=$(ZC_X86CAP=$hide OPENSSL_CONF="$d/zc.cnf" timeout 60 openssl speed -seconds 1 -bytes 64 \
          -evp "$(speed_name "$probe")" 2>&1 </dev/null); rc=$?
    python3 - "$d" "$listed" "$off" "$rc" <<'PY' && ok "$name: stats JSON lists served and left-out algorithms; speed on ${off:-a served alg} ran where it should" || bad "$name: stats JSON or speed: $(cat "$d/py.err")"
import glob, json, sys
d, listed, off, rc = sys.argv[1], sys.argv[2].split(), sys.argv[3], int(sys.argv[4])
err = open(d + "/py.err", "w")
files = glob.glob(d + "/st-*.json")
if rc != 0 or not files:
    err.write("speed rc=%d, %d stats files" % (rc, len(files))); sys.exit(1)
for f in files:
    j = json.load(open(f))
    left = {e["alg"]: e["why"] for e in j["left_to_default"]}
    if sorted(j["served"]) != sorted(listed) or sorted(left) != sorted(
            a for a in ["AES-128-GCM", "AES-192-GCM", "AES-256-GCM", "ChaCha20-Poly1305"] if a not in listed):
        err.write("served %s left %s, expected %s" % (j["served"], sorted(left), listed)); sys.exit(1)
    if any(not w for w in left.values()):
        err.write("empty reason"); sys.exit(1)
    ops = sum(e["ops"] for e in j["stats"] if e["alg"] == (off or "AES-128-GCM"))
    if (off and ops != 0) or (not off and ops == 0):
        err.write("%s: zcrypto counted %d ops" % (off or "AES-128-GCM", ops)); sys.exit(1)
PY
}

if [ "$(uname -m)" = x86_64 ]; then
    zc_cnf auto "$tmp/p" > "$tmp/p.cnf"
    real=$(OPENSSL_CONF=$tmp/p.cnf openssl list -providers -verbose 2>/dev/null \
           | sed -n 's/.*; CPU class \([a-z0-9-]*\);.*/\1/p')
    check_class "" "$real"
    for hide in vaes avx512,vaes avx512 avx2 avx2,movbe avx aesni; do
        # What each mask must give, from a CPU with everything (this machine
        # kind); on a smaller CPU only the policy's consistency is checked.
        want=""
        if [ "$real" = x86-avx512-vaes ]; then
            case $hide in
            vaes) want=x86-avx512 ;;
            avx512,vaes) want=x86-avx2 ;;
            avx512) want=x86-avx2-vaes ;;
            avx2) want=x86-avx-movbe ;;
            avx2,movbe) want=x86-avx ;;
            avx) want=x86-sse ;;
            aesni) want=x86-noaes ;;
            esac
        fi
        check_class "$hide" "$want"
    done
else
    check_class "" ""
fi

# An explicit backend serves everything (tests and users who choose it).
zc_cnf portable "$tmp/pt" > "$tmp/pt.cnf"
n=0
for a in $algs; do zc_served "$tmp/pt.cnf" "$a" && n=$((n + 1)); done
[ $n -eq 4 ] && ok "backend = portable (explicit): all four algorithms offered" \
    || bad "backend = portable (explicit): $n of 4 offered"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
