#!/usr/bin/env bash
# zc-quic on zcrypto: RFC 9001 appendix A packets byte for byte, every kind of
# damage rejected, and a stream run (sync and ASYNC receiver) that drops every
# damaged packet and accepts every intact one. zcrypto is loaded through
# OPENSSL_CONF with the backend auto picks named explicitly, so its path is
# tested even where auto leaves an algorithm to the default provider.
set -u
: "${ZC_MODULE_DIR:?run from make check}" "${ZC_SRCDIR:?run from make check}"
. "$ZC_SRCDIR/test/zc_test_lib.sh"
QUIC=${ZC_BUILDDIR:-$PWD}/zc-quic
V="$ZC_SRCDIR/test/vectors/rfc9001.txt"
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
vec() { sed -n "s/^$1=//p" "$V"; }
q()   { OPENSSL_CONF="$tmp/zc.cnf" timeout 120 "$QUIC" "$@"; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT; cd "$tmp" || exit 99
zc_cnf "$(zc_auto_backend)" "$tmp/st" > "$tmp/zc.cnf"
[ -x "$QUIC" ] || { echo "zc-quic not built at $QUIC"; exit 99; }

for t in a2 a5; do
    aead=$(vec ${t}_aead) key=$(vec ${t}_key) iv=$(vec ${t}_iv) hp=$(vec ${t}_hp)
    pn=$(vec ${t}_pn) hdr=$(vec ${t}_header) want=$(vec ${t}_packet)
    if [ $t = a2 ]; then
        frame=$(vec a2_crypto_frame); len=$(vec a2_payload_len)
        payload=$frame$(printf '%0*d' $((2 * len - ${#frame})) 0)
    else
        payload=$(vec a5_payload)
    fi
    keys=(--aead "$aead" --key "$key" --iv "$iv" --hp "$hp")
    got=$(q protect "${keys[@]}" --pn "$pn" --header "$hdr" --payload "$payload" 2>"$t.err")
    [ "$got" = "$want" ] && ok "$t protect reproduces RFC 9001 packet" || bad "$t protect: got ${got:0:64}..."
    grep -q "served by provider zcrypto" "$t.err" && ok "$t AEAD served by zcrypto" || bad "$t provider: $(cat "$t.err")"
    out=$(q unprotect "${keys[@]}" --pn "$pn" --packet "$want" 2>/dev/null)
    [ "$(sed -n 's/^header=//p' <<<"$out")" = "$hdr" ] && [ "$(sed -n 's/^payload=//p' <<<"$out")" = "$payload" ] \
        && ok "$t unprotect recovers header and payload" || bad "$t unprotect"
    # Damage: bit flips in the first byte, the pn, the payload and the tag;
    # truncation; a wrong expected packet number.
    n=${#want}
    for pos in 0 $(( ${#hdr} - 2 )) $(( ${#hdr} + 2 )) $(( n - 4 )); do
        c=${want:$pos:2}; f=$(printf '%02x' $(( 0x$c ^ 0x04 )))
        dmg=${want:0:$pos}$f${want:$((pos + 2))}
        q unprotect "${keys[@]}" --pn "$pn" --packet "$dmg" >/dev/null 2>&1 \
            && bad "$t bit flip at hex offset $pos accepted" || ok "$t bit flip at hex offset $pos rejected"
    done
    for cut in 2 20 $(( n / 2 )) $(( n - 2 )); do
        q unprotect "${keys[@]}" --pn "$pn" --packet "${want:0:$cut}" >/dev/null 2>&1 \
            && bad "$t truncated to $cut hex chars accepted" || ok "$t truncated to $cut hex chars rejected"
    done
    q unprotect "${keys[@]}" --pn $((pn + 1000)) --packet "$want" >/dev/null 2>&1 \
        && bad "$t wrong packet number accepted" || ok "$t wrong packet number rejected"
done

# The synchronous runs go in bursts of 16 (the pipeline API where the AEAD's
# provider has it: zcrypto on OpenSSL 3.5); --per-packet is the comparison.
for args in "--aead aes-128-gcm --size 1200" "--aead aes-256-gcm --size 300" \
            "--aead chacha20-poly1305 --size 1200" "--aead chacha20-poly1305 --size 200" \
            "--aead chacha20-poly1305 --size 200 --per-packet" \
            "--aead aes-256-gcm --size 300 --per-packet" \
            "--aead aes-256-gcm --size 1200 --async-jobs 8"; do
    out=$(q stream $args --packets 20000 --corrupt-every 10 2>&1)
    if grep -q "RESULT: every damaged packet dropped" <<<"$out" \
       && grep -q '"ops":[1-9]' <<<"$out"; then
        ok "stream $args: $(grep '^rate' <<<"$out"); $(grep '^aead + header' <<<"$out")"
    else
        bad "stream $args"; echo "$out"
    fi
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
