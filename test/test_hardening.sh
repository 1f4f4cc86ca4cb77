#!/usr/bin/env bash
# The built module, read back with readelf: what configure's hardening
# promised is in the ELF file. x86-64: CET notes (IBT and SHSTK, ld keeps
# them only if every object linked in has them); aarch64: BTI and PAC
# notes. Everywhere: full RELRO (GNU_RELRO + BIND_NOW), a non-executable
# stack, the stack protector and _FORTIFY_SOURCE in use (their libc entry
# points are imported), and OSSL_provider_init the only symbol exported.
# The dynamically linked ipsec-mb must carry the CET notes too: the loader
# enables CET for a process only when every object in it has them.
#   test/test_hardening.sh [MODULE]   (default: $ZC_MODULE_DIR/zcrypto.so)
# With ./configure --disable-hardening only the last two checks apply.
set -u
module=${1:-${ZC_MODULE_DIR:?run from make check or name the module}/zcrypto.so}
hardening=${ZC_HARDENING:-yes}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # description, then a command that must succeed
    local what=$1; shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
[ -f "$module" ] || { echo "FAIL: no module at $module"; exit 1; }
command -v readelf >/dev/null || { echo "FAIL: readelf (binutils) missing"; exit 1; }
machine=$(readelf -hW "$module" | sed -n 's/^ *Machine: *//p')
notes=$(readelf -nW "$module")
phdrs=$(readelf -lW "$module")
dynamic=$(readelf -dW "$module")
dynsyms=$(readelf --dyn-syms -W "$module")
echo "module: $module ($machine), hardening: $hardening"

has_feature() { # feature list readelf prints, e.g. "x86 feature: IBT, SHSTK"
    grep -q "$1" <<<"$notes" && grep -q "GNU_PROPERTY" <<<"$phdrs"
}
imports() { # an undefined dynamic symbol matching the regex
    awk '$7 == "UND" {print $8}' <<<"$dynsyms" | sed 's/@.*//' | grep -Eq "$1"
}
# The loader calls DT_INIT/DT_FINI indirectly: under IBT each must start
# with ENDBR64 (glibc's crti.o _init does not when glibc is built without CET).
entries_endbr() {
    local tag addr
    for tag in INIT FINI; do
        addr=$(awk -v t="($tag)" '$2 == t {print $3}' <<<"$dynamic")
        [ -z "$addr" ] && continue
        objdump -d --start-address=$((addr)) --stop-address=$((addr + 4)) "$module" \
            | grep -q endbr64 || { echo "  DT_$tag at $addr does not start with endbr64"; return 1; }
    done
}
objects_have() { # the feature line readelf prints
    local lo obj n=0 missing=0
    while IFS= read -r lo; do
        obj=$(dirname "$lo")/$(sed -n "s/^pic_object='\(.*\)'/\1/p" "$lo")
        n=$((n + 1))
        readelf -nW "$obj" | grep -q "$1" || { echo "  no '$1' note: $obj"; missing=1; }
    done < <(find "${ZC_BUILDDIR:?}" -name '*.lo' -not -path "$ZC_BUILDDIR/build-*")
    echo "  $n objects"
    [ $n -gt 0 ] && [ $missing -eq 0 ]
}
bind_now() {
    grep -Eq "\(BIND_NOW\)|\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW" <<<"$dynamic"
}

if [ "$hardening" != no ]; then
    case $machine in
    *X86-64*)
        check "CET: GNU_PROPERTY_X86_FEATURE_1_IBT and _SHSTK ($(grep -o 'x86 feature.*' <<<"$notes" || echo none))" \
            has_feature "x86 feature: IBT, SHSTK"
        # configure asserts the note over glibc's note-less crti.o/crtn.o
        # (-z ibt -z shstk); what makes that true is checked here.
        check "no DT_INIT/DT_FINI entry the loader would enter without ENDBR64" entries_endbr
        [ -n "${ZC_BUILDDIR:-}" ] && check "every object of the module has IBT and SHSTK" objects_have "x86 feature: IBT, SHSTK"
        if [ -n "${ZC_BUILDDIR:-}" ] && grep -q "define ZC_HAVE_IPSEC_MB 1" "$ZC_BUILDDIR/config.h"; then
            check "ipsec-mb linked as a shared library (its static objects may lack the notes)" \
                grep -q "NEEDED.*libIPSec_MB" <<<"$dynamic"
        fi
        ;;
    *AArch64*)
        # Debian 12's arm64 cross toolchain ships crtbeginS.o, crti.o and
        # crtn.o without the BTI note (and their code without BTI landing
        # pads), so ld rightly drops the module's note; asserting it (-z
        # force-bti) would be false. What is ours is checked instead.
        if has_feature "AArch64 feature: BTI, PAC"; then
            ok "BTI/PAC: GNU_PROPERTY_AARCH64_FEATURE_1_BTI and _PAC"
        else
            echo "  the module has no BTI/PAC note ($(grep -o 'AArch64 feature.*' <<<"$notes" || echo none)): the toolchain's startup files lack it"
            check "every object of the module has BTI and PAC" objects_have "AArch64 feature: BTI, PAC"
        fi
        ;;
    *) bad "no control-flow check for machine $machine" ;;
    esac
    check "GNU_RELRO segment" grep -q "GNU_RELRO" <<<"$phdrs"
    check "BIND_NOW (full RELRO)" bind_now
    check "stack protector: imports __stack_chk_fail" imports '^__stack_chk_fail$'
    check "_FORTIFY_SOURCE: imports checked libc calls ($(awk '$7 == "UND" {print $8}' <<<"$dynsyms" | sed 's/@.*//' | grep -E '^__.*_chk$' | grep -v stack_chk | tr '\n' ' '))" \
        imports '^__[a-z_]+_chk$' 
fi
stack=$(awk '$1 == "GNU_STACK" {print $7}' <<<"$phdrs")
check "non-executable stack (GNU_STACK $stack)" test "$stack" = RW
exported=$(awk '$7 != "UND" && $7 != "Ndx" && ($5 == "GLOBAL" || $5 == "WEAK") {print $8}' <<<"$dynsyms" \
           | sed 's/@.*//' | sort -u | tr '\n' ' ')
check "exports only OSSL_provider_init (exports: $exported)" test "$exported" = "OSSL_provider_init "

# ipsec-mb as the module loads it.
if [ "$hardening" != no ] && [[ $machine == *X86-64* ]] && grep -q "libIPSec_MB" <<<"$dynamic"; then
    imb=$(ldd "$module" 2>/dev/null | awk '/libIPSec_MB/ {print $3}')
    if [ -n "$imb" ] && [ -f "$imb" ]; then
        check "ipsec-mb ($imb) carries IBT and SHSTK too" \
            grep -q "x86 feature: IBT, SHSTK" <<<"$(readelf -nW "$imb")"
    else
        bad "cannot resolve the libIPSec_MB the module needs"
    fi
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
