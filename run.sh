#!/usr/bin/env bash
# zcrypto quick start. On a fresh Debian/Ubuntu machine:
#   ./run.sh bench   build, show the provider, openssl speed default vs zcrypto
#   ./run.sh test    build and run the whole test suite (make check, then the
#                    suites under ASan, then cross-built for aarch64 under qemu,
#                    then all of it again on Debian 13 in a chroot when the host
#                    is Debian 12)
#   ./run.sh test-native   make check and ASan on this host only
#   ./run.sh test-asan / test-aarch64 / test-debian13 / test-hardening
#                    just one of the stages (hardening: TSan, the
#                    constant-time check, the fuzzers)
# Each installs missing build dependencies, bootstraps, configures and builds.
set -euo pipefail
cd "$(dirname "$0")"

# Installs those of the given Debian packages that are missing; "pkg:arm64"
# names first enable the arm64 foreign architecture.
apt_install_missing() {
    local missing=() sudo=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "run.sh: installing ${missing[*]}"
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    if [[ " ${missing[*]}" == *:arm64* ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
        $sudo dpkg --add-architecture arm64
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Debian 12 ships nginx-light; Debian 13 has only nginx (1.26).
nginx_pkg() {
    if dpkg-query -W -f='${Status}' nginx-light 2>/dev/null | grep -q "install ok installed" \
        || dpkg-query -W -f='${Status}' nginx 2>/dev/null | grep -q "install ok installed"; then
        return 0
    fi
    case "$(. /etc/os-release && echo "${VERSION_CODENAME:-}")" in
    bookworm|bullseye|jammy|noble) echo nginx-light ;;
    *) echo nginx ;;
    esac
}

need_pkgs() {
    local pkgs=(build-essential autoconf automake libtool pkg-config libssl-dev openssl
                check libjson-c-dev curl gnuplot-nox python3 file wrk $(nginx_pkg))
    [ "$(dpkg --print-architecture)" = amd64 ] && pkgs+=(libipsec-mb-dev)
    apt_install_missing "${pkgs[@]}"
}

# The aarch64 cross toolchain, qemu-user and the arm64 libraries the
# cross-built tests link against (Debian multiarch).
need_arm64_pkgs() {
    [ "$(dpkg --print-architecture)" = amd64 ] || return 0
    apt_install_missing gcc-aarch64-linux-gnu qemu-user libc6:arm64 libssl-dev:arm64 \
        check:arm64 libjson-c-dev:arm64 file
}

# ThreadSanitizer, the constant-time check and libFuzzer (clang with its
# compiler-rt: Debian 12 splits it into libclang-rt-14-dev). On x86-64 the
# constant-time check also runs arm64 valgrind under qemu for the neon
# backend: the arm64 cross build's packages and ld.so's symbols.
need_hardening_pkgs() {
    local pkgs=(valgrind clang)
    case "$(. /etc/os-release && echo "${VERSION_CODENAME:-}")" in
    bookworm) pkgs+=(libclang-rt-14-dev) ;;
    esac
    if [ "$(dpkg --print-architecture)" = amd64 ]; then
        need_arm64_pkgs
        pkgs+=(libc6-dbg:arm64)
    fi
    apt_install_missing "${pkgs[@]}"
}

# TSan over the async engine, the constant-time check, then each fuzzer
# (a fixed-seed run; ZC_FUZZ_SECONDS=N: random for N s) and its corpus
# replayed per backend.
hardening() {
    local rc=0
    need_hardening_pkgs
    echo "== TSan build"
    bash test/tsan.sh || rc=1
    echo "== constant-time check (valgrind; timing where valgrind cannot run; neon under qemu)"
    bash test/ct_check.sh || rc=1
    echo "== fuzzing (libFuzzer, ASan+UBSan)"
    bash fuzz/run.sh || rc=1
    return $rc
}

build() {
    need_pkgs
    [ -x configure ] || autoreconf -fi
    [ -f Makefile ] || ./configure --enable-werror
    make -j"$(nproc)"
}

# zcrypto's fastest backend on this CPU, named explicitly: the figures are
# its path even where `backend = auto` leaves an algorithm to the default.
best_conf() {
    local best
    best=$(bench/zc_bench --list-backends --module-dir .libs | cut -d' ' -f1)
    cat > .libs/zc-bench-best.cnf <<CNF
openssl_conf = init
[init]
providers = prov
[prov]
zcrypto = zc
default = dflt
[dflt]
activate = 1
[zc]
module = $PWD/.libs/zcrypto.so
backend = $best
activate = 1
CNF
}

speed_table() {
    local alg=$1 dir=${2:-}
    local d z
    d=$(openssl speed -elapsed -seconds 1 $dir -provider-path .libs -provider default \
            -propquery provider=default -evp "$alg" 2>/dev/null | grep -i "^${alg:0:3}" | tail -1)
    z=$(OPENSSL_CONF=.libs/zc-bench-best.cnf openssl speed -elapsed -seconds 1 $dir \
            -propquery provider=zcrypto -evp "$alg" 2>/dev/null | grep -i "^${alg:0:3}" | tail -1)
    python3 - "$alg${dir:+ (decrypt)}" "$d" "$z" <<'PY'
import sys, re
name, d, z = sys.argv[1], sys.argv[2], sys.argv[3]
num = lambda s: [float(x[:-1]) for x in re.findall(r'[\d.]+k', s)]
dv, zv = num(d), num(z)
sizes = [16, 64, 256, 1024, 8192, 16384]
print(f"{name}")
print(f"  {'bytes':>6} {'default MB/s':>13} {'zcrypto MB/s':>13} {'ratio':>6}")
for s, a, b in zip(sizes, dv, zv):
    print(f"  {s:>6} {a/1000:>13.1f} {b/1000:>13.1f} {b/a:>6.2f}")
PY
}

case "${1:-}" in
bench)
    build
    echo "== CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
    echo "== $(openssl version)"
    echo "== what backend = auto serves here (the tables below measure the best backend by name)"
    openssl list -providers -verbose -provider-path .libs -provider zcrypto -provider default \
        | grep -E "^  [a-z]|name:|version:|status:|build info:"
    best_conf
    for alg in aes-256-gcm chacha20-poly1305; do
        speed_table "$alg"
        speed_table "$alg" -decrypt
    done
    # TLS 1.3 record shape (zc_bench --record), then nginx + wrk end to end.
    apt_install_missing wrk
    bash bench/record_bench.sh
    # Bursts through the pipeline API (OpenSSL 3.5+; skipped on 3.0).
    bash bench/pipeline_bench.sh
    bash bench/nginx_wrk.sh
    ;;
test-asan)
    build
    bash test/asan.sh
    ;;
test-hardening)
    build
    hardening
    ;;
test-aarch64)
    need_arm64_pkgs
    bash test/aarch64_qemu.sh
    ;;
test-debian13)
    bash test/debian13.sh test
    ;;
test|test-native)
    build
    rc=0
    make check -j1 || rc=$?
    [ "$rc" -ne 0 ] && [ -f test-suite.log ] && cat test-suite.log
    # nginx + curl + wrk and s_server -async with injected engine faults
    # (test/soak.sh; 10 minutes by default, 60 s here).
    echo "== soak with faults (${ZC_SOAK_SECONDS:-60} s)"
    ZC_SOAK_SECONDS=${ZC_SOAK_SECONDS:-60} bash test/soak.sh || rc=1
    # Then the same suites under AddressSanitizer, and cross-built for
    # aarch64 under qemu (neon and portable paths).
    echo "== ASan build"
    bash test/asan.sh || rc=1
    hardening || rc=1
    logs=(test-suite.log)
    if [ "$1" = test ] && [ "$(dpkg --print-architecture)" = amd64 ]; then
        need_arm64_pkgs
        echo "== aarch64 cross build under qemu"
        bash test/aarch64_qemu.sh || rc=1
    fi
    # Debian 13 (OpenSSL 3.5, ipsec-mb 2.0) from a Debian 12 host: the whole
    # make check and ASan again in a chroot.
    if [ "$1" = test ] && [ "$(. /etc/os-release && echo "${VERSION_CODENAME:-}")" = bookworm ] \
        && [ "$(id -u)" -eq 0 ]; then
        echo "== Debian 13 (trixie) chroot"
        bash test/debian13.sh test || rc=1
        logs+=("${ZC_DEBIAN13_ROOT:-/var/tmp/zcrypto-debian13}/build/${ZC_DEBIAN13_BUILD:-zcrypto}/test-suite.log")
    fi
    total=0 pass=0 fail=0 skip=0
    for log in "${logs[@]}"; do
        [ -f "$log" ] || { fail=$((fail + 1)); continue; }
        get() { sed -n "s/^# $1: *//p" "$log" | head -1; }
        total=$((total + $(get TOTAL))) pass=$((pass + $(get PASS))) skip=$((skip + $(get SKIP)))
        fail=$((fail + $(get FAIL) + $(get ERROR) + $(get XPASS)))
    done
    echo "tests: $total total (make check on ${#logs[@]} platform(s))"
    echo "$pass passed, $fail failed, $skip skipped"
    exit "$rc"
    ;;
*)
    echo "usage: $0 bench|test|test-native|test-asan|test-hardening|test-aarch64|test-debian13" >&2
    exit 2
    ;;
esac
