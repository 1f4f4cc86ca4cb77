#!/usr/bin/env bash
# Builds the libFuzzer harnesses (`make fuzz` runs this): zcrypto.so rebuilt
# with clang, coverage instrumentation (-fsanitize=fuzzer-no-link), ASan and
# UBSan in a side build ($ZC_FUZZ_DIR, default build-fuzz/, a copy of the
# tree's files), then each fuzz/fuzz_*.c linked with libFuzzer against the
# system libcrypto. The harnesses load that zcrypto.so at start-up
# (ZC_MODULE_DIR), so libFuzzer sees its coverage.
# Needs clang and libclang-rt-dev (Debian: clang-14 + libclang-rt-14-dev on
# 12, clang on 13). fuzz_pipe (the pipeline cipher API) needs OpenSSL 3.5:
# against an older libcrypto it is skipped, with the reason printed.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${ZC_FUZZ_DIR:-$src/build-fuzz}
cc=${ZC_FUZZ_CC:-clang}
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"

# shellcheck source=SCRIPTDIR/../test/zc_test_lib.sh
. "$src/test/zc_test_lib.sh"
ZC_SIDE_TARGETS=zcrypto.la zc_side_build "$out" CC="$cc" \
    CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $san" LDFLAGS="$san"
mkdir -p "$out/bin"
for h in "$src"/fuzz/fuzz_*.c; do
    name=$(basename "$h" .c)
    if [ "$name" = fuzz_pipe ] && ! pkg-config --atleast-version=3.5 libcrypto; then
        echo "fuzz: fuzz_pipe skipped: OpenSSL $(pkg-config --modversion libcrypto) has no pipeline cipher API (3.5+)"
        rm -f "$out/bin/$name"
        continue
    fi
    "$cc" -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer $san -Wall -Wextra -Werror \
        $(pkg-config --cflags libcrypto) -o "$out/bin/$name" "$h" "$src/fuzz/zc_fuzz.c" \
        $(pkg-config --libs libcrypto)
done
echo "fuzz: harnesses in $out/bin: $(cd "$out/bin" && echo fuzz_*)"
