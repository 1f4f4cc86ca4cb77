#!/bin/bash
# bench/isa_probe.sh: which instruction set a library's hot code really runs.
# Records `perf record CMD...`, takes the samples that land in DSO and classifies
# each sampled instruction by the widest register class it uses:
#   avx512    zmm, k1-k7, xmm/ymm16-31, EVEX-only mnemonics (vprold, vpternlog), {1toN}
#   vaes-ymm  VAES / VPCLMULQDQ on ymm (without EVEX)
#   avx2-ymm  other ymm
#   avx-xmm   other VEX (v-prefixed) instructions
#   sse       the rest (legacy SSE and scalar)
# It answers "does OPENSSL_ia32cap=MASK take the default provider off its AVX-512
# code" (and the same for ipsec-mb inside zcrypto) without relying on speed, which
# this shared host makes noisy. Needs perf (perf_event_paranoid <= 2) and objdump.
#
# Usage: bench/isa_probe.sh [--root DIR] [--label TEXT] DSO CMD [ARGS...]
#   DSO    path of the library to classify (inside DIR when --root is given)
#   --root run CMD under `chroot DIR` (perf runs outside, on this host)
# Example:
#   OPENSSL_ia32cap=':~0x5842DC230000' bench/isa_probe.sh \
#     /usr/lib/x86_64-linux-gnu/libcrypto.so.3 \
#     openssl speed -elapsed -seconds 1 -bytes 16384 -evp chacha20-poly1305
set -u
root="" label=""
while [ $# -gt 0 ]; do
    case $1 in
    --root) root=$2; shift 2 ;;
    --label) label=$2; shift 2 ;;
    *) break ;;
    esac
done
[ $# -ge 2 ] || { sed -n '2,21p' "$0"; exit 2; }
dso=$1; shift
file="$root$dso"
[ -r "$file" ] || { echo "isa_probe.sh: cannot read $file" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/isa_probe.XXXXXX")
trap 'rm -rf "$work"' EXIT
# one disassembly per library, cached by content
sum=$(sha1sum "$file" | cut -c1-16)
dis="${TMPDIR:-/tmp}/isa_probe.$sum.dis"
[ -s "$dis" ] || objdump -d --no-show-raw-insn "$file" >"$dis.tmp" && mv -f "$dis.tmp" "$dis" 2>/dev/null
if [ -n "$root" ]; then set -- chroot "$root" "$@"; fi
perf record -q -o "$work/perf.data" "$@" >/dev/null 2>"$work/cmd.err" || {
    echo "isa_probe.sh: perf record failed:" >&2; tail -5 "$work/cmd.err" >&2; exit 1; }
base=$(basename "$dso")
mkdir -p "$work/nosym"
# an empty symfs keeps perf from naming symbols, so every sample keeps its address
perf report -i "$work/perf.data" --symfs="$work/nosym" --stdio --sort dso,sym 2>/dev/null |
    awk -v b="$base" '$2 == b && $4 ~ /^0x/ { sub("%", "", $1); print $4, $1 }' >"$work/ips"
[ -n "$label" ] || label="${OPENSSL_ia32cap-no mask}"
awk -v label="$label" '
  FNR == NR { a = $1; sub("^0x0*", "", a); w[a] += $2; next }
  { a = $1; sub(":$", "", a); sub("^0*", "", a); if (!(a in w)) next
    c = "sse"
    if ($0 ~ /%zmm|%k[1-7]|[xy]mm(1[6-9]|2[0-9]|3[01])|vprol|vpternlog|\{1to/) c = "avx512"
    else if ($0 ~ /(vaes|vpclmul)[a-z]* .*%ymm/) c = "vaes-ymm"
    else if ($0 ~ /%ymm/) c = "avx2-ymm"
    else if ($2 ~ /^v/) c = "avx-xmm"
    s[c] += w[a]; t += w[a] }
  END { if (t == 0) { printf "%-44s no samples in the library\n", label; exit 1 }
        printf "%-44s", label
        n = split("avx512 vaes-ymm avx2-ymm avx-xmm sse", C, " ")
        for (i = 1; i <= n; i++) printf " %s %3.0f%%", C[i], 100 * s[C[i]] / t
        printf "   (%.0f%% of all samples in it)\n", t }' "$work/ips" "$dis"
