#!/usr/bin/env bash
# Constant-time check for every backend valgrind can run: builds zcrypto
# with -DZC_CT_VALGRIND (build-ct/) and runs test/ct_check under valgrind
# memcheck once per backend, key, plaintext and tag marked secret: any
# branch or memory index on them is a memcheck error and fails the run.
# Then proves the check can fail: the build has -DZC_CT_CANARY, one
# secret-indexed table read in key setup armed by $ZC_CT_CANARY_ARMED; armed,
# memcheck must report it (on portable).
# valgrind emulates no AVX-512 (its CPUID hides it), so under valgrind the
# CPU looks like AVX2 without AVX-512/VAES: zcrypto then offers avx2, avx,
# sse (ipsec-mb) and portable, and those are what this covers. The avx512
# backend (ipsec-mb AVX-512, our VAES GCM and AVX-512/IFMA ChaCha20-
# Poly1305 kernels) cannot run under valgrind; neon needs valgrind on arm64
# (qemu-user cannot host it).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${ZC_CT_DIR:-$src/build-ct}

# shellcheck source=SCRIPTDIR/zc_test_lib.sh
. "$src/test/zc_test_lib.sh"
command -v valgrind >/dev/null || { echo "ct_check: valgrind missing"; exit 1; }
build() { # dir, extra CFLAGS
    ZC_SIDE_TARGETS=zcrypto.la zc_side_build "$1" CFLAGS="-g -O2 $2"
    cc -g -O1 -Wall -Werror -o "$1/ct_check" "$src/test/ct_check.c" $(pkg-config --cflags --libs libcrypto)
}
check() { # dir, backend, log -> 0 if memcheck found nothing
    ZC_MODULE_DIR=$1/src/.libs valgrind -q --error-exitcode=3 --track-origins=yes \
        "$1/ct_check" "$2" >"$3" 2>&1
}
build "$out" "-DZC_CT_VALGRIND -DZC_CT_CANARY"
backends=$(ZC_MODULE_DIR=$out/src/.libs valgrind -q "$out/ct_check" --list 2>/dev/null || true)
rc=0
for b in $backends; do
    if check "$out" "$b" "$out/ct-$b.log"; then
        echo "ct_check: $b: no secret-dependent branch or index (key setup, encrypt, decrypt, tag compare, TLS records)"
    else
        echo "ct_check: $b FAILED"; head -60 "$out/ct-$b.log"; rc=1
    fi
done
[ -n "$backends" ] || { echo "ct_check: no backend listed"; rc=1; }
canary=$out/ct-canary.log
if ZC_CT_CANARY_ARMED=1 check "$out" portable "$canary"; then
    echo "ct_check: the armed canary passed: the check cannot fail"; rc=1
elif grep -q "Use of uninitialised value" "$canary" && grep -q "zc_aead_key_install" "$canary"; then
    echo "ct_check: the armed canary (key setup) was reported, as it must be ($(grep -c "Use of uninitialised" "$canary") memcheck errors)"
else
    echo "ct_check: canary run failed without a memcheck report"; tail -20 "$canary"; rc=1
fi
exit $rc
