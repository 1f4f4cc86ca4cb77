#!/bin/bash
# bench/cpu_classes.sh: zcrypto against OpenSSL's default provider held to the same
# CPU features, for each CPU class this machine can emulate, in the TLS record shape
# (zc_bench --iv-only --modes oneshot: key once, per record init with the IV only,
# 13 B AAD, in-place update, final, tag; both providers in one process, interleaved
# rounds).
#
# zcrypto is held to a class with --backend; the default provider with
# OPENSSL_ia32cap, which libcrypto reads at start-up. The masks are those checked with
# bench/isa_probe.sh (perf samples of the default's hot code, classified by register
# class); see bench/README.md. Cells are zcrypto/default ratios of the best
# interleaved round of each side (zc_bench's best_ratio), min..max over the passes.
#
# Usage: bench/cpu_classes.sh [--passes N] [--seconds S] [--rounds N]
#                             [--classes LIST] [--sizes LIST] [--out DIR]
#        bench/cpu_classes.sh --report CSV...   (tables only, from earlier runs' CSVs:
#                                                 repeats of several runs combine)
# Classes: avx512 avx2vaes avx2 avx sse (default all) and avxmovbe (AVX + MOVBE
# without AVX2: AMD Jaguar-like; a check of how much MOVBE moves the avx class).
# Writes DIR/cpu_classes.csv (DIR default bench/out). ~5 minutes with the defaults.
# Many short rounds (100 x ~3 ms) so that the best round of each side is one that no
# neighbour preempted: on this shared 2-core host that is what keeps repeats close.
set -u
here=$PWD
cd "$(dirname "$0")/.." || exit 1

passes=3 seconds=0.3 rounds=100 out=bench/out report=""
classes="avx512 avx2vaes avx2 avx sse"
sizes=16,64,256,1420,4096,16384
algs=AES-128-GCM,AES-256-GCM,ChaCha20-Poly1305
while [ $# -gt 0 ]; do
    case $1 in
    --passes) passes=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --classes) classes=${2//,/ }; shift ;;
    --sizes) sizes=$2; shift ;;
    --out) out=$2; shift ;;
    --report) shift
        for f in "$@"; do case $f in /*) ;; *) f=$here/$f ;; esac; report="$report $f"; done
        break ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "cpu_classes.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

table() {
# One table per class: rows alg x dir, columns sizes, cells best_ratio min..max over passes.
awk -F, -v sizes="$sizes" -v classes="$classes avxmovbe" '
    FNR == 1 { next }
    { k = $3 SUBSEP $7 SUBSEP $8 SUBSEP $9; r = $12 + 0
      if (!(k in lo) || r < lo[k]) lo[k] = r
      if (!(k in hi) || r > hi[k]) hi[k] = r
      cnt[k]++; val[k, cnt[k]] = r
      if (!(($3 SUBSEP $7) in seen)) { seen[$3 SUBSEP $7] = 1; order[$3] = order[$3] " " $7 }
      be[$3] = $4; mk[$3] = $5; n[$3 SUBSEP $5] = 1 }
    END {
      ns = split(sizes, S, ","); nc = split(classes, C, " ")
      for (ci = 1; ci <= nc; ci++) {
        c = C[ci]; if (!(c in be)) continue
        printf "\n== %s: zcrypto --backend %s vs default OPENSSL_ia32cap=%s (zcrypto/default, best round; min..max over passes)\n", c, be[c], mk[c]
        printf "%-24s", "alg dir"; for (s = 1; s <= ns; s++) printf " %11s", S[s]; printf "\n"
        na = split(order[c], A, " ")
        for (ai = 1; ai <= na; ai++) for (di = 0; di < 2; di++) {
          dir = di ? "dec" : "enc"; printf "%-24s", A[ai] " " dir
          for (s = 1; s <= ns; s++) { k = c SUBSEP A[ai] SUBSEP dir SUBSEP S[s]
            if (!(k in lo)) cell = "-"
            else if (sprintf("%.2f", lo[k]) == sprintf("%.2f", hi[k])) cell = sprintf("%.2f", lo[k])
            else cell = sprintf("%.2f..%.2f", lo[k], hi[k])
            if ((k in lo) && lo[k] < 1) cell = cell "*"
            printf " %11s", cell }
          printf "\n" }
        # verdict per algorithm over both directions: slower where the median pass is
        # below 1, at par where only some passes are
        for (ai = 1; ai <= na; ai++) {
          slow = par = ""
          for (s = 1; s <= ns; s++) { ms = 0; mp = 0
            for (di = 0; di < 2; di++) { k = c SUBSEP A[ai] SUBSEP (di ? "dec" : "enc") SUBSEP S[s]
              if (!(k in lo)) continue
              if (median(k) < 1) ms = 1; else if (lo[k] < 1) mp = 1 }
            if (ms) slow = slow " " S[s]; else if (mp) par = par " " S[s] }
          v = slow == "" && par == "" ? "faster at every size" : ""
          if (slow != "") v = "slower (median pass) at" slow
          if (par != "") v = v (v == "" ? "" : "; ") "faster in the median pass but below 1 in some at" par
          printf "  verdict %-18s %s\n", A[ai] ":", v }
      }
      printf "\n(* : below 1.00 in at least one pass)\n"
    }
    function median(k,   n, i, j, t, a) {
      n = cnt[k]; for (i = 1; i <= n; i++) a[i] = val[k, i]
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }' "$@"
}
if [ -n "$report" ]; then
    # sizes from the CSVs, in the order first seen
    sizes=$(awk -F, 'FNR > 1 && !($9 in s) { s[$9] = 1; printf "%s%s", n++ ? "," : "", $9 }' $report)
    for f in $report; do sed -n '2s/^\([^,]*\),\([^,]*\),.*/# from '"${f//\//\\/}"': OpenSSL \1, ipsec-mb \2/p' "$f"; done
    awk -F, 'FNR > 1 { p[FILENAME SUBSEP $6] = 1 } END { for (k in p) n++; print "# " n " passes in all" }' $report
    table $report
    exit 0
fi

BENCH=${ZC_BENCH:-bench/zc_bench}   # zc_bench finds zcrypto in ./.libs or $ZC_MODULE_DIR
[ -x $BENCH ] || { echo "cpu_classes.sh: build first (make bench/zc_bench), or set ZC_BENCH" >&2; exit 1; }
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/cpu_classes.XXXXXX")
trap 'rm -rf "$work"' EXIT

# OPENSSL_ia32cap masks. First word: CPUID.1 EDX (low 32) / ECX (high 32); second:
# CPUID.7.0 EBX (low) / ECX (high). In OpenSSL 3.5 the words after the last given are
# zeroed (CPUID.7.1, AVX10...: nothing this host's default uses for these ciphers).
AVX512_EBX=0xDC230000   # F 16, DQ 17, IFMA 21, PF 26, ER 27, CD 28, BW 30, VL 31
AVX512_ECX=0x5842       # VBMI 1, VBMI2 6, VNNI 11, BITALG 12, VPOPCNTDQ 14
VAES_ECX=0x0700         # GFNI 8, VAES 9, VPCLMULQDQ 10
AVX2_EBX=0x20080128     # BMI1 3, AVX2 5, BMI2 8, ADX 19, SHA 29
hex() { printf '0x%X' "$1"; }
w2() { hex $(( ($1 << 32) | $2 )); }
mask_of() {
    case $1 in
    avx512) echo none ;;
    avx2vaes) echo ":~$(w2 $AVX512_ECX $AVX512_EBX)" ;;
    avx2) echo ":~$(w2 $((AVX512_ECX | VAES_ECX)) $AVX512_EBX)" ;;
    # ECX (CPUID.1) FMA 12 and MOVBE 22: Sandy/Ivy Bridge have neither
    avx) echo "~$(hex $(( (1 << 44) | (1 << 54) ))):~$(w2 $((AVX512_ECX | VAES_ECX)) $((AVX512_EBX | AVX2_EBX)))" ;;
    avxmovbe) echo "~$(hex $(( 1 << 44 ))):~$(w2 $((AVX512_ECX | VAES_ECX)) $((AVX512_EBX | AVX2_EBX)))" ;;
    # plus AVX 28 and F16C 29
    sse) echo "~$(hex $(( (1 << 44) | (1 << 54) | (1 << 60) | (1 << 61) ))):~$(w2 $((AVX512_ECX | VAES_ECX)) $((AVX512_EBX | AVX2_EBX)))" ;;
    esac
}

# What this build and CPU offer: zcrypto's banner names the ipsec-mb version and the
# backends this CPU can run.
$BENCH --iv-only --modes oneshot --algs ChaCha20-Poly1305 --sizes 16 --dirs enc \
    --seconds 0.001 --rounds 2 --min-samples 10 >"$work/probe.txt" 2>&1 || {
    cat "$work/probe.txt" >&2; exit 1; }
can=$(sed -n 's/.*this CPU can run: \(.*\))/\1/p' "$work/probe.txt")
ossl=$(sed -n 's/^# openssl: *OpenSSL \([0-9.]*\).*/\1/p' "$work/probe.txt")
imb=$(sed -n 's/.*Intel ipsec-mb \([0-9.]*\).*/\1/p' "$work/probe.txt" | head -1)
imb_major=${imb%%.*} imb_minor=${imb#*.}; imb_minor=${imb_minor%%.*}
has() { case " $can " in *" $1 "*) return 0 ;; esac; return 1; }
# ipsec-mb >= 1.5 runs VAES + VPCLMULQDQ in its AVX2 manager where the CPU has them
# (AVX2_T2); it cannot be told not to, so on this CPU its AVX2 AES-GCM is not that of
# an AVX2 CPU without VAES.
imb_avx2_vaes=0
[ -n "$imb" ] && { [ "$imb_major" -gt 1 ] || { [ "$imb_major" -eq 1 ] && [ "$imb_minor" -ge 5 ]; }; } && imb_avx2_vaes=1

backend_of() {
    case $1 in
    avx512) echo avx512 ;;
    avx2vaes|avx2) echo avx2 ;;
    avx|avxmovbe) if has avx; then echo avx; else echo sse; fi ;;
    sse) echo sse ;;
    esac
}
# What zcrypto must not see of this CPU for the class: its own VAES kernels
# (the avx2 backend's 256-bit VAES AES-GCM) would otherwise run in a class
# whose CPUs have no VAES.
x86cap_of() {
    case $1 in
    avx512) echo "" ;;
    avx2vaes) echo avx512 ;;
    avx2) echo avx512,vaes ;;
    avx|avxmovbe) echo avx2 ;;
    sse) echo avx ;;
    esac
}
algs_of() {
    if [ "$1" = avx2 ] && [ $imb_avx2_vaes = 1 ]; then echo ChaCha20-Poly1305; else echo $algs; fi
}

grep '^#' "$work/probe.txt" | grep -v '^# one-shot\|^# clock' | sed 's/^# backend: .*(this/# (this/'
echo "# cpu_classes: $passes passes x classes [$classes], --seconds $seconds --rounds $rounds, sizes $sizes"
[ $imb_avx2_vaes = 1 ] && echo "# ipsec-mb $imb: its AVX2 manager uses VAES here, so class avx2 (no VAES) runs ChaCha20-Poly1305 only (zcrypto's own AVX2 code); its AES-GCM cannot be emulated"
has avx || echo "# ipsec-mb $imb has no AVX manager: classes avx/avxmovbe run zcrypto on --backend sse"

csv="$out/cpu_classes.csv"
echo "openssl,ipsecmb,class,backend,ia32cap,pass,alg,dir,size,zc_best_mbps,def_best_mbps,best_ratio,mean_ratio,p50_ratio,load1" >"$csv"
t0=$(date +%s)
for pass in $(seq 1 "$passes"); do
    for cls in $classes; do
        be=$(backend_of "$cls") mask=$(mask_of "$cls") a=$(algs_of "$cls") cap=$(x86cap_of "$cls")
        [ -n "$mask" ] || { echo "cpu_classes.sh: unknown class $cls" >&2; exit 2; }
        if ! has "$be"; then echo "# $cls: backend $be not available here, skipped"; continue; fi
        d="$work/$cls.$pass" load=$(cut -d' ' -f1 /proc/loadavg)
        if [ "$mask" = none ]; then
            env -u OPENSSL_ia32cap ZC_X86CAP="$cap" $BENCH --backend "$be" --iv-only --modes oneshot --algs "$a" \
                --sizes "$sizes" --seconds "$seconds" --rounds "$rounds" --out "$d" >"$d.log" 2>&1
        else
            OPENSSL_ia32cap="$mask" ZC_X86CAP="$cap" $BENCH --backend "$be" --iv-only --modes oneshot --algs "$a" \
                --sizes "$sizes" --seconds "$seconds" --rounds "$rounds" --out "$d" >"$d.log" 2>&1
        fi || { echo "cpu_classes.sh: zc_bench failed for class $cls:" >&2; tail -20 "$d.log" >&2; exit 1; }
        # join zc_bench.csv (best_mbps per provider) with ratios.csv
        awk -F, -v o="$ossl" -v i="$imb" -v c="$cls" -v b="$be" -v m="$mask" -v p="$pass" -v l="$load" '
            FNR == 1 { next }
            FILENAME ~ /zc_bench.csv$/ { best[$1 "," $3 "," $5 "," $6] = $13; next }
            { k = $1 "," $3 "," $4
              printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%.1f,%.1f,%s,%s,%s,%s\n", o, i, c, b, m, p, $1, $3, $4,
                     best["zcrypto," k], best["default," k], $7, $5, $6, l }' \
            "$d/zc_bench.csv" "$d/ratios.csv" >>"$csv"
        echo "# pass $pass $cls (backend $be, ZC_X86CAP=${cap:-none}, OPENSSL_ia32cap=$mask): done at $(( $(date +%s) - t0 )) s, load average at start $load"
    done
done

table "$csv"
echo "== CSV: $csv ($(( $(date +%s) - t0 )) s)"
