/*
 * TLS 1.2 record handling as libssl drives it through params, and GCM's
 * fixed/invocation IV generation (RFC 5288 explicit nonces; RFC 7905 for
 * ChaCha20-Poly1305). A record is one in-place update of the whole record;
 * decrypt failure wipes the plaintext area.
 */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include "internal.h"
#include "zc_err.h"

static size_t zc_tls_len_get(const unsigned char *aad)
{
    return (size_t)aad[ZC_TLS_AAD_LEN - 2] << 8 | aad[ZC_TLS_AAD_LEN - 1];
}

static void zc_tls_len_put(unsigned char *aad, size_t len)
{
    aad[ZC_TLS_AAD_LEN - 2] = (unsigned char)(len >> 8);
    aad[ZC_TLS_AAD_LEN - 1] = (unsigned char)len;
}

/*
 * Stores the 13-byte TLS AAD with its length field reduced to the payload
 * length the tag actually covers. Returns the tag overhead (what tlsaadpad
 * reports), 0 for a malformed AAD.
 */
size_t zc_tls_aad_set(zc_aead_ctx *ctx, const unsigned char *aad, size_t len)
{
    size_t plen;

    if (len != ZC_TLS_AAD_LEN)
        return 0;
    memcpy(ctx->tls_aad, aad, ZC_TLS_AAD_LEN);
    plen = zc_tls_len_get(aad);
    if (ctx->kind->family == ZC_FAMILY_GCM) {
        /* The record length counts the explicit nonce (and tag on decrypt). */
        if (plen < ZC_TLS_EXPLICIT_IV)
            return 0;
        plen -= ZC_TLS_EXPLICIT_IV;
    }
    if (!ctx->enc) {
        if (plen < ZC_TAG_LEN)
            return 0;
        plen -= ZC_TAG_LEN;
    }
    zc_tls_len_put(ctx->tls_aad, plen);
    if (ctx->kind->family == ZC_FAMILY_CHACHA_POLY) {
        if (ctx->phase == ZC_MSG_NO_IV)
            return 0;
        /* RFC 7905: nonce = IV XOR the 64-bit sequence number, which is the
         * AAD's first 8 bytes, left-padded to 12. */
        memcpy(zc_aead_msg_iv(ctx), zc_aead_iv(ctx), ZC_CHACHA_IV_LEN);
        for (int i = 0; i < 8; i++)
            zc_aead_msg_iv(ctx)[4 + i] ^= aad[i];
        ctx->tls_payload_len = plen;
    }
    ctx->tls_aad_set = 1;
    return ZC_TAG_LEN;
}

int zc_tls_iv_fixed_set(zc_aead_ctx *ctx, const unsigned char *iv, size_t len)
{
    if (ctx->kind->family == ZC_FAMILY_CHACHA_POLY) {
        if (len != ZC_CHACHA_IV_LEN)
            return 0;
        memcpy(zc_aead_iv(ctx), iv, len);
        zc_aead_msg_arm(ctx);
        return 1;
    }
    /* EVP's "restore the whole IV" form passes (size_t)-1. */
    if (len == (size_t)-1) {
        memcpy(zc_aead_iv(ctx), iv, ctx->ivlen);
    } else {
        /* A fixed field of >= 4 bytes and an invocation field of >= 8. */
        if (len < ZC_TLS_FIXED_IV || len > ctx->ivlen
            || ctx->ivlen - len < ZC_TLS_EXPLICIT_IV)
            return 0;
        memcpy(zc_aead_iv(ctx), iv, len);
        if (ctx->enc) {
            if (!zc_aead_rand(ctx, zc_aead_iv(ctx) + len, ctx->ivlen - len))
                return 0;
            ctx->iv_gen_rand = 1;
        }
    }
    ctx->iv_gen = 1;
    zc_aead_msg_arm(ctx);
    return 1;
}

/* Big-endian increment of the 64-bit invocation counter. */
static void zc_ctr64_inc(unsigned char *c)
{
    for (int n = 7; n >= 0; n--)
        if (++c[n] != 0)
            return;
}

int zc_tls_iv_gen(zc_aead_ctx *ctx, unsigned char *out, size_t outlen)
{
    if (!ctx->iv_gen || !ctx->key_set) {
        ZC_CTX_RAISE(ctx, ZC_R_IV_GEN_NOT_ARMED, "%s", zc_alg_name(ctx->kind->alg));
        return 0;
    }
    zc_aead_msg_arm(ctx);
    if (outlen == 0 || outlen > ctx->ivlen)
        outlen = ctx->ivlen;
    memcpy(out, zc_aead_iv(ctx) + ctx->ivlen - outlen, outlen);
    zc_ctr64_inc(zc_aead_iv(ctx) + ctx->ivlen - 8);
    return 1;
}

int zc_tls_iv_inv_set(zc_aead_ctx *ctx, const unsigned char *in, size_t inlen)
{
    if (!ctx->iv_gen || !ctx->key_set || ctx->enc) {
        ZC_CTX_RAISE(ctx, ZC_R_IV_GEN_NOT_ARMED, "%s", zc_alg_name(ctx->kind->alg));
        return 0;
    }
    /* An empty field re-arms the IV unchanged, as with the default. */
    if (inlen > ctx->ivlen) {
        ZC_CTX_RAISE(ctx, ZC_R_INVALID_IV_LENGTH, "invocation field of %zu bytes", inlen);
        return 0;
    }
    memcpy(zc_aead_iv(ctx) + ctx->ivlen - inlen, in, inlen);
    zc_aead_msg_arm(ctx);
    return 1;
}

/* [8 explicit nonce | payload | 16 tag], in place. */
static int zc_tls_gcm_record(zc_aead_ctx *ctx, unsigned char *out, size_t *outl,
                             const unsigned char *in, size_t inl)
{
    size_t plen;

    if (out != in || inl < ZC_TLS_EXPLICIT_IV + ZC_TAG_LEN) {
        ZC_CTX_RAISE(ctx, ZC_R_INVALID_TLS_RECORD,
                     "GCM record must be in place and >= 24 bytes (got %zu)", inl);
        return 0;
    }
    if (ctx->enc) {
        /* A key must never protect 2^64 records (nonce reuse). */
        if (++ctx->tls_enc_records == 0) {
            ZC_CTX_RAISE(ctx, ZC_R_TOO_MANY_RECORDS, "%s", zc_alg_name(ctx->kind->alg));
            return 0;
        }
        if (!zc_tls_iv_gen(ctx, out, ZC_TLS_EXPLICIT_IV))
            return 0;
    } else if (!zc_tls_iv_inv_set(ctx, in, ZC_TLS_EXPLICIT_IV)) {
        return 0;
    }
    plen = inl - ZC_TLS_EXPLICIT_IV - ZC_TAG_LEN;
    out += ZC_TLS_EXPLICIT_IV;
    in += ZC_TLS_EXPLICIT_IV;
    if (!zc_aead_oneshot(ctx, zc_aead_msg_iv(ctx), ctx->ivlen, ctx->tls_aad, ZC_TLS_AAD_LEN,
                         out, in, plen, out + plen, in + plen))
        return 0;
    *outl = ctx->enc ? inl : plen;
    return 1;
}

/* [payload | 16 tag]; the length was fixed by the AAD. */
static int zc_tls_chacha_record(zc_aead_ctx *ctx, unsigned char *out, size_t *outl,
                                const unsigned char *in, size_t inl)
{
    size_t plen = ctx->tls_payload_len;

    if (out == NULL || inl != plen + ZC_TAG_LEN) {
        ZC_CTX_RAISE(ctx, ZC_R_INVALID_TLS_RECORD,
                     "record of %zu bytes, AAD says %zu + tag", inl, plen);
        return 0;
    }
    if (!zc_aead_oneshot(ctx, zc_aead_msg_iv(ctx), ZC_CHACHA_IV_LEN, ctx->tls_aad, ZC_TLS_AAD_LEN,
                         out, in, plen, out + plen, in + plen))
        return 0;
    *outl = ctx->enc ? inl : plen;
    return 1;
}

int zc_tls_record(zc_aead_ctx *ctx, unsigned char *out, size_t *outl,
                  const unsigned char *in, size_t inl)
{
    int ok;

    *outl = 0;
    if (!ctx->key_set) {
        ZC_CTX_RAISE(ctx, ZC_R_KEY_NOT_SET, "%s TLS record", zc_alg_name(ctx->kind->alg));
        ok = 0;
    } else if (ctx->kind->family == ZC_FAMILY_GCM) {
        ok = zc_tls_gcm_record(ctx, out, outl, in, inl);
    } else {
        ok = zc_tls_chacha_record(ctx, out, outl, in, inl);
    }
    /* One AAD, one record: the next record brings its own. */
    ctx->tls_aad_set = 0;
    ctx->phase = ZC_MSG_DONE;
    return ok;
}
