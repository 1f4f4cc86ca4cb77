#!/usr/bin/env bash
# zcrypto on Debian 13 (trixie: OpenSSL 3.5, ipsec-mb 2.0, nginx 1.26) from a
# Debian 12 host: makes a trixie chroot with debootstrap (reused when
# present), copies this tree in (tracked and new files only), and runs the
# README's quick-start commands there as on a fresh Debian 13 machine:
# `./run.sh test` (installs what it needs, builds, the whole `make check`,
# the ASan suites, the aarch64 cross build under qemu) by default, or
# `./run.sh bench`.
#   test/debian13.sh [test|bench|shell]
#   test/debian13.sh run VERB      ./run.sh VERB in the copy (test-native, ...)
#   test/debian13.sh exec CMD...   any command in the copy (make check TESTS=...)
# The chroot lives in $ZC_DEBIAN13_ROOT (default /var/tmp/zcrypto-debian13);
# delete it to start afresh. The tree is copied to /build/$ZC_DEBIAN13_BUILD
# in it (default zcrypto), so several trees can be tested side by side.
# Needs root (debootstrap, chroot, mounts).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
root=${ZC_DEBIAN13_ROOT:-/var/tmp/zcrypto-debian13}
what=${1:-test}
build=/build/${ZC_DEBIAN13_BUILD:-zcrypto}
# What the quick start installs by itself anyway (run.sh's need_pkgs), taken
# in at debootstrap time so the chroot is made in one step; the rest of the
# packages the tests need.
base_pkgs=build-essential,autoconf,automake,libtool,pkg-config,libssl-dev,openssl,check,libjson-c-dev,libipsec-mb-dev
more_pkgs=(nginx curl gnuplot-nox file python3 procps iproute2 wrk ca-certificates valgrind clang)

# shellcheck source=SCRIPTDIR/zc_test_lib.sh
. "$src/test/zc_test_lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "debian13.sh: needs root (debootstrap, chroot)" >&2; exit 2; }

mounted=()
cleanup() {
    local i
    # Someone else still works in there: leave the mounts to them (the next
    # run sweeps them once the chroot is idle).
    chroot_in_use && return 0
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount -l "${mounted[i]}" 2>/dev/null || true
    done
}
trap cleanup EXIT

chroot_in_use() {
    local p
    for p in /proc/[0-9]*/root; do
        [ "$(readlink "$p" 2>/dev/null)" = "$root" ] && return 0
    done
    return 1
}

# A left mount from a killed run would keep `rm -rf` of the chroot from
# working and survive into the next run: drop any first, unless something
# is running in the chroot right now (then its mounts are in use).
drop_stale_mounts() {
    local m
    chroot_in_use && return 0
    for m in $(awk -v r="$root" '$2 ~ "^"r"/" {print $2}' /proc/mounts | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
}

make_chroot() {
    if [ -f "$root/.zc-ready" ]; then
        echo "== Debian 13 chroot: reusing $root"
        return 0
    fi
    command -v debootstrap >/dev/null || {
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    }
    echo "== Debian 13 chroot: debootstrap trixie into $root (about a minute)"
    rm -rf "$root.tmp"
    timeout 1200 debootstrap --variant=minbase --include="$base_pkgs" trixie "$root.tmp" \
        >"/tmp/zc-debootstrap.log" 2>&1 || { tail -20 /tmp/zc-debootstrap.log; exit 1; }
    rm -rf "$root"
    mv "$root.tmp" "$root"
    touch "$root/.zc-ready"
}

mount_fs() {
    local d
    for d in proc sys dev dev/pts dev/shm; do
        mkdir -p "$root/$d"
        # Shared with whatever else runs in the chroot now: never stacked.
        awk -v m="$root/$d" '$2 == m {found = 1} END {exit !found}' /proc/mounts && continue
        case $d in
        proc) mount -t proc proc "$root/proc" ;;
        sys) mount -t sysfs sys "$root/sys" ;;
        *) mount --bind "/$d" "$root/$d" ;;
        esac
        mounted+=("$root/$d")
    done
    # Name resolution for apt inside (the host's registry settings).
    cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
}

in_chroot() {
    chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive ${CI:+CI=$CI} "$@"
}

# Packages a newer version of this script wants that an older chroot lacks.
install_more() {
    local missing=() p
    for p in "${more_pkgs[@]}"; do
        in_chroot dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "== Debian 13 chroot: installing ${missing[*]}"
    in_chroot apt-get update -qq
    in_chroot apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The copy has no .git: the list of its files goes with it, for the side
# builds (zc_side_build) that copy the tree again.
# `run` and `exec` keep the build already there (files copied over it keep
# their times, so make rebuilds what changed); `test` and `bench` start clean.
copy_tree() {
    local dst=$root$build
    [ "${1:-}" = keep ] || rm -rf "$dst"
    mkdir -p "$dst"
    # A kept copy loses the files the tree no longer has (a moved header
    # left behind would shadow its new place on the include path).
    if [ -f "$dst/.zc-files" ]; then
        comm -23 <(sort "$dst/.zc-files") <(zc_source_files "$src" | tr '\0' '\n' | sort) \
            | while IFS= read -r f; do rm -f "$dst/$f"; done
    fi
    zc_source_files "$src" | (cd "$src" && tar -c --null -T - -f -) | tar -x -C "$dst"
    zc_source_files "$src" | tr '\0' '\n' > "$dst/.zc-files"
}

drop_stale_mounts
make_chroot
mount_fs
install_more
case $what in
test)
    copy_tree
    echo "== Debian 13: $(in_chroot openssl version), ipsec-mb $(in_chroot dpkg-query -W -f='${Version}' libipsec-mb-dev), nginx $(in_chroot dpkg-query -W -f='${Version}' nginx)"
    in_chroot bash -c "cd $build && ./run.sh test"
    ;;
bench)
    copy_tree
    in_chroot bash -c "cd $build && ./run.sh bench"
    ;;
run)
    copy_tree keep
    in_chroot bash -c "cd $build && ./run.sh ${2:?usage: $0 run VERB}"
    ;;
exec)
    copy_tree keep
    shift
    in_chroot bash -c "cd $build && \"\$@\"" zc-exec "$@"
    ;;
shell)
    in_chroot bash
    ;;
*)
    echo "usage: $0 [test|bench|shell] | run VERB | exec CMD..." >&2
    exit 2
    ;;
esac
