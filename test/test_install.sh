#!/usr/bin/env bash
# Installs like a packager would (make install DESTDIR=...), then loads the
# installed module by name through OPENSSL_MODULES and uses it.
set -u
: "${ZC_BUILDDIR:?run from make check}" "${ZC_SRCDIR:?run from make check}"
. "$ZC_SRCDIR/test/zc_test_lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

make -s -C "$ZC_BUILDDIR" install DESTDIR="$tmp/dest" >"$tmp/install.log" 2>&1 \
    || { cat "$tmp/install.log"; echo "make install failed"; exit 99; }
so=$(find "$tmp/dest" -name zcrypto.so -type f)
cnf=$(find "$tmp/dest" -path '*zcrypto/zcrypto.cnf' -type f)
man=$(find "$tmp/dest" -name zcrypto.7 -type f)
[ -n "$so" ] && ok "module installed: ${so#$tmp/dest}" || bad "no zcrypto.so under DESTDIR"
[ -z "$(find "$tmp/dest" -name zcrypto.la)" ] && ok "no libtool archive next to the module" || bad "zcrypto.la installed"
[ -n "$cnf" ] && ok "config snippet installed: ${cnf#$tmp/dest}" || bad "no zcrypto.cnf under DESTDIR"
[ -n "$man" ] && ok "man page installed: ${man#$tmp/dest}" || bad "no zcrypto.7 under DESTDIR"
stat_bin=$(find "$tmp/dest" -path '*/bin/zcrypto-stat' -type f -perm -u+x)
stat_man=$(find "$tmp/dest" -path '*man1/zcrypto-stat.1' -type f)
if [ -n "$stat_bin" ] && [ -n "$stat_man" ] && "$stat_bin" --help | grep -q -- --prometheus; then
    ok "zcrypto-stat installed: ${stat_bin#$tmp/dest}, ${stat_man#$tmp/dest}"
else
    bad "zcrypto-stat or its man page not installed (bin: '$stat_bin', man: '$stat_man')"
fi
[ -n "$so" ] || { echo "$pass passed, $fail failed"; exit 1; }
mods=$(dirname "$so")

out=$(OPENSSL_MODULES="$mods" openssl list -providers -verbose -provider zcrypto -provider default 2>&1)
grep -q "name: zcrypto" <<<"$out" && grep -q "build info: zcrypto .* backend " <<<"$out" \
    && ok "openssl list -providers -verbose shows zcrypto: $(grep 'build info: zcrypto' <<<"$out" | sed 's/^ *//')" \
    || { bad "zcrypto not listed"; echo "$out"; }

# The installed snippet loads the module by name from OPENSSL_MODULES.
sed "s|^# stats_file = .*|stats_file = $tmp/stats-%p.json|" "$cnf" > "$tmp/zcrypto.cnf"
OPENSSL_CONF="$tmp/zcrypto.cnf" OPENSSL_MODULES="$mods" timeout 60 \
    openssl speed -seconds 1 -bytes 1024 -evp aes-128-gcm </dev/null >"$tmp/speed.out" 2>&1
rc=$?
bytes=$(zc_stats_sum "$tmp/stats" any bytes)
# The snippet keeps backend = auto: where zcrypto does not offer AES-128-GCM
# (slower than the default provider here) speed must run on the default.
if OPENSSL_MODULES="$mods" zc_served "$tmp/zcrypto.cnf" AES-128-GCM; then
    [ "${bytes:-0}" -gt 100000000 ] && ok "installed snippet: openssl speed ran on zcrypto ($bytes bytes)" \
        || { bad "installed snippet: zcrypto did not do the work (bytes=${bytes:-none})"; tail -3 "$tmp/speed.out"; }
else
    [ "$rc" -eq 0 ] && [ "${bytes:-0}" -eq 0 ] \
        && ok "installed snippet: AES-128-GCM left to the default provider by auto; speed ran there" \
        || { bad "installed snippet: rc=$rc, zcrypto bytes=${bytes:-none} for an algorithm it does not offer"; tail -3 "$tmp/speed.out"; }
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
