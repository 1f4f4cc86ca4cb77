#!/usr/bin/env bash
# Constant-time check of every backend this machine runs, each by the
# strongest method that can run it, and proof that each method can fail.
#   valgrind memcheck (ctgrind's method, test/ct_check.c): key, plaintext
#     and tag marked undefined; any branch or memory index on them is an
#     error. Exhaustive for the paths run, but valgrind decodes no AVX-512
#     (its CPUID hides it, and VAES), so it sees an AVX2 CPU: avx2 (but not
#     its VAES code), avx, sse, portable.
#   timing (dudect's method, test/ct_timing.c): fixed against random secrets,
#     Welch's t-test on the running times, for what valgrind cannot run: the
#     avx512 backend (ipsec-mb AVX-512, our VAES GCM and AVX-512/IFMA
#     ChaCha20-Poly1305), and avx2 on a VAES CPU (its VAES code).
#     Statistical: it shows leaks above its resolution, which it prints.
#   valgrind memcheck for arm64 under qemu-aarch64 (x86-64 hosts): the neon
#     backend (and portable built for arm64) of a cross build, same program.
# Both builds have -DZC_CT_VALGRIND -DZC_CT_CANARY (obs/zc_ct.h): two
# deliberate leaks, armed by $ZC_CT_CANARY_ARMED=key (secret loop and index
# in key setup) or tag (early-exit tag compare); armed, each method must
# report each canary. ZC_CT_TIMING_ALL=1 times every backend, not only
# those valgrind cannot run.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${ZC_CT_DIR:-$src/build-ct}
out_arm=${ZC_CT_ARM_DIR:-$src/build-ct-aarch64}
arm=aarch64-linux-gnu

# shellcheck source=SCRIPTDIR/zc_test_lib.sh
. "$src/test/zc_test_lib.sh"
command -v valgrind >/dev/null || { echo "ct_check: valgrind missing"; exit 1; }
ct_flags="-g -O2 -DZC_CT_VALGRIND -DZC_CT_CANARY"
# libcrypto's flags, split into words on purpose.
read -r -a ossl <<<"$(pkg-config --cflags --libs libcrypto)"
build() {
    ZC_SIDE_TARGETS=zcrypto.la zc_side_build "$out" CFLAGS="$ct_flags"
    cc -g -O1 -Wall -Werror -o "$out/ct_check" "$src/test/ct_check.c" "$src/test/ct_lib.c" "${ossl[@]}"
    cc -g -O2 -Wall -Werror -o "$out/ct_timing" "$src/test/ct_timing.c" "$src/test/ct_lib.c" \
        "${ossl[@]}" -lm
}
rc=0
fail() { echo "ct_check: $*"; rc=1; }

# memcheck on one backend: $1 backend, $2 log, $3 module dir, then the
# memcheck command; runs $vg_prog.
vg_run() {
    local b=$1 log=$2 module=$3; shift 3
    ZC_MODULE_DIR=$module "$@" -q --error-exitcode=3 --track-origins=yes "$vg_prog" "$b" \
        >"$log" 2>&1
}
# Every backend of $vg_list under memcheck, then both canaries on $1 (each
# must be reported, in its own function). $2: name for logs and messages
# ("native", "arm64"), $3: module dir, then the memcheck command.
vg_check() {
    local canary_backend=$1 label=$2 module=$3 b c fn log how=valgrind; shift 3
    [ "$label" = native ] || how="valgrind ($label under qemu)"
    for b in $vg_list; do
        log=$out/ct-$label-$b.log
        if vg_run "$b" "$log" "$module" "$@"; then
            echo "ct_check: $b: $how: no secret-dependent branch or index (key setup, encrypt, decrypt, tag compare, TLS records)"
        else
            fail "$b: $how FAILED"; head -60 "$log"
        fi
    done
    for c in key tag; do
        fn=zc_ct_canary_equal
        [ $c = key ] && fn=zc_ct_canary_key
        log=$out/ct-$label-canary-$c.log
        if ZC_CT_CANARY_ARMED=$c vg_run "$canary_backend" "$log" "$module" "$@"; then
            fail "the armed $c canary passed $how on $canary_backend: the check cannot fail"
        elif grep -q "uninitialised value" "$log" && grep -q "$fn" "$log"; then
            echo "ct_check: armed $c canary on $canary_backend reported by $how, as it must be ($(grep -c "uninitialised value" "$log") memcheck errors, in $fn)"
        else
            fail "$c canary run on $canary_backend failed without a memcheck report"; tail -20 "$log"
        fi
    done
}

# The timing test on backend $1 (log $2), with the settings that follow.
timing() {
    local b=$1 log=$2; shift 2
    env ZC_MODULE_DIR="$out/src/.libs" "$@" "$out/ct_timing" "$b" >"$log" 2>&1
}
# Backend $1 must pass; armed, each canary must show in every test of the
# path it sits on, at its shortest lengths (tag: decrypt/256 and tls-open/64
# of the 4 algorithms; key: keysetup of each), on a smaller time budget.
timing_check() {
    local b=$1 c n
    local log=$out/ct-timing-$b.log
    if timing "$b" "$log"; then
        echo "ct_check: $b: timing (dudect): $(sed -n 's/.*: \([0-9]* tests\), \(.*\)/\1: \2/p' "$log" | tail -1)"
    else
        fail "$b: timing FAILED"; grep -v ": ok$" "$log" | head -30
    fi
    for c in "tag decrypt/256,tls-open 8 4" "key keysetup 4 2"; do
        read -r -a c <<<"$c"
        set -- "${c[@]}"
        log=$out/ct-timing-$b-canary-$1.log
        timing "$b" "$log" ZC_CT_CANARY_ARMED="$1" ZC_CT_TIMING_TARGETS="$2" \
            ZC_CT_TIMING_SECONDS="$4" || true
        n=$(grep -c ": LEAK$" "$log" || true)
        if [ "$n" -eq "$3" ]; then
            echo "ct_check: armed $1 canary on $b seen by timing in all $3 tests ($2: |t| $(grep ": LEAK$" "$log" | sed 's/.*|t| = *\([0-9.]*\).*/\1/' | sort -n | sed -n '1p;$p' | paste -sd- -))"
        else
            fail "armed $1 canary on $b seen by timing in $n of $3 tests"; cat "$log"
        fi
    done
}

# --- x86-64 (or any native) build: valgrind where it runs, timing elsewhere.
build
native=$(ZC_MODULE_DIR=$out/src/.libs "$out/ct_timing" --list)
vg_list=$(ZC_MODULE_DIR=$out/src/.libs valgrind -q "$out/ct_check" --list 2>/dev/null || true)
[ -n "$vg_list" ] || fail "valgrind lists no backend"
echo "ct_check: backends here: $native; under valgrind: $vg_list"
vg_prog=$out/ct_check
vg_check portable native "$out/src/.libs" valgrind
# Timed: what valgrind cannot run, and avx2 where the CPU has VAES: its
# VAES code (ours on ipsec-mb 1.x, ipsec-mb's own from 1.5) never runs under
# valgrind, whose CPU model has none.
vaes=0
grep -qw vaes /proc/cpuinfo 2>/dev/null && vaes=1
timed=0
for b in $native; do
    if [[ " $vg_list " != *" $b "* ]] || { [ "$b" = avx2 ] && [ $vaes = 1 ]; } \
        || [ "${ZC_CT_TIMING_ALL:-0}" = 1 ]; then
        timing_check "$b"
        timed=1
    fi
done
[ $timed = 1 ] || echo "ct_check: timing: not needed, valgrind runs every backend here"

# --- arm64 under qemu: the neon backend (x86-64 hosts with the cross tools).
# valgrind's tools are static programs of their architecture that its
# launcher execs; an x86 kernel cannot, so memcheck-arm64-linux is started
# directly under qemu-aarch64 (VALGRIND_LIB and VALGRIND_LAUNCHER set as the
# launcher would). Debian's valgrind is not co-installable across
# architectures, so its arm64 package is unpacked into a cache directory;
# memcheck needs ld.so's symbols (libc6-dbg:arm64). ./run.sh test-hardening
# installs what this needs.
if [ "$(uname -m)" = x86_64 ]; then
    ldso=/usr/lib/$arm/ld-linux-aarch64.so.1
    bid=$(readelf -n "$ldso" 2>/dev/null | sed -n 's/.*Build ID: //p')
    vga=${ZC_CT_VALGRIND_ARM64:-$src/build-ct-valgrind-arm64}
    rc_x86=$rc
    for tool in $arm-gcc qemu-aarch64; do
        command -v "$tool" >/dev/null || fail "neon: $tool missing (./run.sh test-hardening installs it)"
    done
    if [ -z "$bid" ] || [ ! -f "/usr/lib/debug/.build-id/${bid:0:2}/${bid:2}.debug" ]; then
        fail "neon: no symbols for the arm64 ld.so (install libc6-dbg:arm64)"
    fi
    if [ ! -x "$vga/usr/libexec/valgrind/memcheck-arm64-linux" ]; then
        rm -rf "$vga" "$vga.deb" && mkdir -p "$vga.deb"
        if ! (cd "$vga.deb" && apt-get download valgrind:arm64 >/dev/null 2>&1 \
              && dpkg -x "$vga.deb"/valgrind_*_arm64.deb "$vga"); then
            fail "neon: cannot fetch valgrind:arm64 (apt-get download)"
        fi
        rm -rf "$vga.deb"
    fi
    if [ "$rc" -eq "$rc_x86" ]; then  # the arm64 tools are all there
        ZC_SIDE_TARGETS=zcrypto.la zc_side_build "$out_arm" --host=$arm PKG_CONFIG=pkg-config \
            PKG_CONFIG_LIBDIR=/usr/lib/$arm/pkgconfig:/usr/share/pkgconfig CFLAGS="$ct_flags"
        read -r -a ossl <<<"$(PKG_CONFIG_LIBDIR=/usr/lib/$arm/pkgconfig pkg-config --cflags --libs libcrypto)"
        $arm-gcc -g -O1 -Wall -Werror -o "$out_arm/ct_check" "$src/test/ct_check.c" \
            "$src/test/ct_lib.c" "${ossl[@]}"
        vgq=(env VALGRIND_LIB="$vga/usr/libexec/valgrind" VALGRIND_LAUNCHER="$vga/usr/bin/valgrind"
             qemu-aarch64 -cpu max -L / "$vga/usr/libexec/valgrind/memcheck-arm64-linux")
        vg_prog=$out_arm/ct_check
        vg_list=$(ZC_MODULE_DIR=$out_arm/src/.libs "${vgq[@]}" -q "$vg_prog" --list 2>/dev/null || true)
        [[ " $vg_list " == *" neon "* ]] || fail "neon: not offered under arm64 valgrind (got: $vg_list)"
        vg_check neon arm64 "$out_arm/src/.libs" "${vgq[@]}"
    fi
fi
exit $rc
