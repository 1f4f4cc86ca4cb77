/*
 * Algorithm and context parameters. The lists and rules mirror OpenSSL's
 * default provider, because EVP and libssl probe them: blocksize 1, ivlen 12,
 * mode and the aead/custom-iv flags are cached by EVP at fetch time, and
 * keys we do not know must be accepted (libssl sends tls-version,
 * tls-mac-size; EVP re-sends padding on every init).
 */
#include "config.h"

#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include "internal.h"
#include "zc_err.h"

static const OSSL_PARAM zc_alg_gettable[] = {
    OSSL_PARAM_uint(OSSL_CIPHER_PARAM_MODE, NULL),
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, NULL),
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_BLOCK_SIZE, NULL),
    OSSL_PARAM_int(OSSL_CIPHER_PARAM_AEAD, NULL),
    OSSL_PARAM_int(OSSL_CIPHER_PARAM_CUSTOM_IV, NULL),
    OSSL_PARAM_int(OSSL_CIPHER_PARAM_CTS, NULL),
    OSSL_PARAM_int(OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK, NULL),
    OSSL_PARAM_int(OSSL_CIPHER_PARAM_HAS_RAND_KEY, NULL),
    OSSL_PARAM_END
};

const OSSL_PARAM *zc_aead_gettable_params(void *provctx)
{
    return zc_alg_gettable;
}

/* Static answers only: EVP calls this while fetching. */
int zc_aead_get_alg_params(const zc_aead_kind *kind, OSSL_PARAM params[])
{
    unsigned int mode = kind->family == ZC_FAMILY_GCM ? EVP_CIPH_GCM_MODE : 0;
    OSSL_PARAM *p;

    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_MODE)) != NULL
        && !OSSL_PARAM_set_uint(p, mode))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN)) != NULL
        && !OSSL_PARAM_set_size_t(p, kind->keylen))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN)) != NULL
        && !OSSL_PARAM_set_size_t(p, 12))
        return 0;
    /* 1, not 0: EVP's update rejects a zero block size. */
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_BLOCK_SIZE)) != NULL
        && !OSSL_PARAM_set_size_t(p, 1))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD)) != NULL
        && !OSSL_PARAM_set_int(p, 1))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_CUSTOM_IV)) != NULL
        && !OSSL_PARAM_set_int(p, 1))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_CTS)) != NULL
        && !OSSL_PARAM_set_int(p, 0))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK)) != NULL
        && !OSSL_PARAM_set_int(p, 0))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_HAS_RAND_KEY)) != NULL
        && !OSSL_PARAM_set_int(p, 0))
        return 0;
    return 1;
}

#ifdef ZC_HAVE_PIPELINE
#define ZC_PIPE_TAG_PARAM OSSL_PARAM_octet_ptr(OSSL_CIPHER_PARAM_PIPELINE_AEAD_TAG, NULL, 0),
#else
#define ZC_PIPE_TAG_PARAM
#endif

static const OSSL_PARAM zc_gcm_gettable_ctx[] = {
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, NULL),
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_TAGLEN, NULL),
    OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_IV, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_UPDATED_IV, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, NULL, 0),
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD_PAD, NULL),
    OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN, NULL, 0),
    OSSL_PARAM_utf8_ptr(ZC_PARAM_PRIORITY, NULL, 0),
    ZC_PIPE_TAG_PARAM
    OSSL_PARAM_END
};

/* keylen is listed so a wrong EVP_CIPHER_CTX_set_key_length reaches us and
 * gets a zcrypto error rather than a generic EVP one. */
static const OSSL_PARAM zc_gcm_settable_ctx[] = {
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, NULL),
    OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV, NULL, 0),
    OSSL_PARAM_utf8_string(ZC_PARAM_PRIORITY, NULL, 0),
    OSSL_PARAM_int(ZC_PARAM_TEST_STALL, NULL),
    ZC_PIPE_TAG_PARAM
    OSSL_PARAM_END
};

static const OSSL_PARAM zc_chacha_gettable_ctx[] = {
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, NULL),
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_TAGLEN, NULL),
    OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, NULL, 0),
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD_PAD, NULL),
    OSSL_PARAM_utf8_ptr(ZC_PARAM_PRIORITY, NULL, 0),
    ZC_PIPE_TAG_PARAM
    OSSL_PARAM_END
};

static const OSSL_PARAM zc_chacha_settable_ctx[] = {
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, NULL),
    OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED, NULL, 0),
    OSSL_PARAM_utf8_string(ZC_PARAM_PRIORITY, NULL, 0),
    OSSL_PARAM_int(ZC_PARAM_TEST_STALL, NULL),
    ZC_PIPE_TAG_PARAM
    OSSL_PARAM_END
};

const OSSL_PARAM *zc_aead_gettable_ctx_params(void *vctx, void *provctx)
{
    return zc_gcm_gettable_ctx;
}

const OSSL_PARAM *zc_aead_settable_ctx_params(void *vctx, void *provctx)
{
    return zc_gcm_settable_ctx;
}

const OSSL_PARAM *zc_chacha_gettable_ctx_params(void *vctx, void *provctx)
{
    return zc_chacha_gettable_ctx;
}

const OSSL_PARAM *zc_chacha_settable_ctx_params(void *vctx, void *provctx)
{
    return zc_chacha_settable_ctx;
}

#define ZC_PARAM_FAIL(ctx, p) \
    (ZC_CTX_RAISE((ctx), ZC_R_BAD_PARAMETER, "parameter '%s'", (p)->key), 0)

/* Before any IV exists there is none to report (the default provider
 * fails too; encrypt draws its random IV only when data or AAD comes). */
static int zc_get_iv_param(zc_aead_ctx *ctx, OSSL_PARAM *p)
{
    if (ctx->phase == ZC_MSG_NO_IV) {
        ZC_CTX_RAISE(ctx, ZC_R_IV_NOT_SET, "%s", zc_alg_name(ctx->kind->alg));
        return 0;
    }
    /* Even a size query (NULL data) must offer room, as with the default. */
    if (ctx->ivlen > p->data_size) {
        ZC_CTX_RAISE(ctx, ZC_R_INVALID_IV_LENGTH, "'%s' buffer of %zu bytes for a %zu-byte IV",
                     p->key, p->data_size, ctx->ivlen);
        return 0;
    }
    if (!OSSL_PARAM_set_octet_string(p, zc_aead_iv(ctx), ctx->ivlen)
        && !OSSL_PARAM_set_octet_ptr(p, zc_aead_iv(ctx), ctx->ivlen))
        return ZC_PARAM_FAIL(ctx, p);
    return 1;
}

static int zc_get_tag_param(zc_aead_ctx *ctx, OSSL_PARAM *p)
{
    size_t sz;

    if (p->data_type != OSSL_PARAM_OCTET_STRING)
        return ZC_PARAM_FAIL(ctx, p);
    if (!ctx->enc || !ctx->tag_ready) {
        ZC_CTX_RAISE(ctx, ZC_R_TAG_NOT_READY, "%s", zc_alg_name(ctx->kind->alg));
        return 0;
    }
    /* The size asked for, even without a buffer (as the default does). */
    sz = p->data_size;
    if (sz == 0 || sz > ZC_TAG_LEN) {
        ZC_CTX_RAISE(ctx, ZC_R_INVALID_TAG_LENGTH, "%zu (allowed 1..16)", sz);
        return 0;
    }
    /* What OSSL_PARAM_set_octet_string does, with the full tag (the TLS
     * 1.3 case) a fixed-size copy. */
    p->return_size = sz;
    if (p->data != NULL) {
        if (sz == ZC_TAG_LEN)
            memcpy(p->data, ctx->tag, ZC_TAG_LEN);
        else
            memcpy(p->data, ctx->tag, sz);
    }
    return 1;
}

/*
 * EVP asks for ivlen/keylen and re-sends padding on every init, so these
 * handlers are on the per-operation path: one pass over the caller's
 * params, keys recognised by a switch, never a locate per known key.
 */
typedef enum zc_param_id {
    ZC_P_UNKNOWN = 0, ZC_P_IVLEN, ZC_P_KEYLEN, ZC_P_TAGLEN, ZC_P_TAG, ZC_P_IV,
    ZC_P_UPDATED_IV, ZC_P_TLS_AAD, ZC_P_TLS_AAD_PAD, ZC_P_TLS_IV_FIXED,
    ZC_P_TLS_IV_INV, ZC_P_TLS_IV_GEN, ZC_P_PRIORITY, ZC_P_TEST_STALL, ZC_P_PIPE_TAG
} zc_param_id;

/*
 * k == lit for a string literal lit, unrolled (its length is a constant):
 * the keys are a few bytes and a libc call or a byte loop costs more than
 * the rest of the lookup. It stops at k's first differing byte, so it never
 * reads past k's NUL.
 */
#define ZC_KEY_IS(k, lit) zc_key_is((k), (lit), sizeof(lit))
static inline __attribute__((always_inline)) int zc_key_is(const char *k, const char *lit,
                                                           size_t n)
{
    _Pragma("GCC unroll 16")
    for (size_t i = 0; i < n; i++)
        if (k[i] != lit[i])
            return 0;
    return 1;
}

/* Setters for the params EVP asks on every record (ivlen at init, the tag
 * at the end): the common exact-size case in place, the rest to libcrypto. */
static inline int zc_param_set_size(OSSL_PARAM *p, size_t v)
{
    if (p->data_type == OSSL_PARAM_UNSIGNED_INTEGER && p->data != NULL
        && p->data_size == sizeof(size_t)) {
        memcpy(p->data, &v, sizeof(v));
        p->return_size = sizeof(v);
        return 1;
    }
    return OSSL_PARAM_set_size_t(p, v);
}

/*
 * A decision tree on the key's first letters, then one exact compare: EVP
 * sends several keys per operation (ivlen, keylen, padding, tag), and keys
 * that are not ours (padding, tls-version, ...) leave at the first switch.
 */
static zc_param_id zc_param_lookup(const char *k)
{
    switch (k[0]) {
    case 'i':
        if (ZC_KEY_IS(k, OSSL_CIPHER_PARAM_IVLEN))
            return ZC_P_IVLEN;
        return ZC_KEY_IS(k, OSSL_CIPHER_PARAM_IV) ? ZC_P_IV : ZC_P_UNKNOWN;
    case 'k':
        return ZC_KEY_IS(k, OSSL_CIPHER_PARAM_KEYLEN) ? ZC_P_KEYLEN : ZC_P_UNKNOWN;
    case 't':
        if (k[1] == 'a') {
            if (ZC_KEY_IS(k, OSSL_CIPHER_PARAM_AEAD_TAG))
                return ZC_P_TAG;
            return ZC_KEY_IS(k, OSSL_CIPHER_PARAM_AEAD_TAGLEN) ? ZC_P_TAGLEN : ZC_P_UNKNOWN;
        }
        if (k[1] != 'l' || k[2] != 's')
            return ZC_P_UNKNOWN;
        if (ZC_KEY_IS(k, OSSL_CIPHER_PARAM_AEAD_TLS1_AAD))
            return ZC_P_TLS_AAD;
        if (ZC_KEY_IS(k, OSSL_CIPHER_PARAM_AEAD_TLS1_AAD_PAD))
            return ZC_P_TLS_AAD_PAD;
        if (ZC_KEY_IS(k, OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED))
            return ZC_P_TLS_IV_FIXED;
        if (ZC_KEY_IS(k, OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV))
            return ZC_P_TLS_IV_INV;
        return ZC_KEY_IS(k, OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN) ? ZC_P_TLS_IV_GEN : ZC_P_UNKNOWN;
#ifdef ZC_HAVE_PIPELINE
    case 'p':
        return ZC_KEY_IS(k, OSSL_CIPHER_PARAM_PIPELINE_AEAD_TAG) ? ZC_P_PIPE_TAG : ZC_P_UNKNOWN;
#endif
    case 'u':
        return ZC_KEY_IS(k, OSSL_CIPHER_PARAM_UPDATED_IV) ? ZC_P_UPDATED_IV : ZC_P_UNKNOWN;
    case 'z':
        if (ZC_KEY_IS(k, ZC_PARAM_PRIORITY))
            return ZC_P_PRIORITY;
        return ZC_KEY_IS(k, ZC_PARAM_TEST_STALL) ? ZC_P_TEST_STALL : ZC_P_UNKNOWN;
    default:
        return ZC_P_UNKNOWN;
    }
}

int zc_aead_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    zc_aead_ctx *ctx = vctx;
    int gcm = ctx->kind->family == ZC_FAMILY_GCM;

    if (params == NULL)
        return 1;
    for (OSSL_PARAM *p = params; p->key != NULL; p++) {
        switch (zc_param_lookup(p->key)) {
        case ZC_P_IVLEN:
            if (!zc_param_set_size(p, ctx->ivlen))
                return ZC_PARAM_FAIL(ctx, p);
            break;
        case ZC_P_KEYLEN:
            if (!zc_param_set_size(p, ctx->kind->keylen))
                return ZC_PARAM_FAIL(ctx, p);
            break;
        case ZC_P_TAGLEN:
            /* GCM reports the full tag until a shorter one is set; ChaCha
             * reports what was set (0 before), as the default provider does. */
            if (!OSSL_PARAM_set_size_t(p, gcm && ctx->taglen == 0 ? ZC_TAG_LEN : ctx->taglen))
                return ZC_PARAM_FAIL(ctx, p);
            break;
        case ZC_P_TLS_AAD_PAD:
            if (!OSSL_PARAM_set_size_t(p, ctx->tls_aad_pad))
                return ZC_PARAM_FAIL(ctx, p);
            break;
        case ZC_P_TAG:
            if (!zc_get_tag_param(ctx, p))
                return 0;
            break;
        case ZC_P_PRIORITY:
            if (!OSSL_PARAM_set_utf8_ptr(p, ctx->urgent ? "urgent" : "normal")
                && !OSSL_PARAM_set_utf8_string(p, ctx->urgent ? "urgent" : "normal"))
                return ZC_PARAM_FAIL(ctx, p);
            break;
        case ZC_P_IV:
        case ZC_P_UPDATED_IV:
            if (gcm && !zc_get_iv_param(ctx, p))
                return 0;
            break;
#ifdef ZC_HAVE_PIPELINE
        case ZC_P_PIPE_TAG:
            if (!zc_pipe_tag_get(ctx, p))
                return 0;
            break;
#endif
        case ZC_P_TLS_IV_GEN:
            if (!gcm)
                break;
            if (p->data == NULL || p->data_type != OSSL_PARAM_OCTET_STRING)
                return ZC_PARAM_FAIL(ctx, p);
            if (!zc_tls_iv_gen(ctx, p->data, p->data_size))
                return 0;
            break;
        default:
            break;
        }
    }
    return 1;
}

static int zc_set_tag_param(zc_aead_ctx *ctx, const OSSL_PARAM *p)
{
    if (p->data_type != OSSL_PARAM_OCTET_STRING)
        return ZC_PARAM_FAIL(ctx, p);
    if (p->data_size == 0 || p->data_size > ZC_TAG_LEN) {
        ZC_CTX_RAISE(ctx, ZC_R_INVALID_TAG_LENGTH, "%zu (allowed 1..16)", p->data_size);
        return 0;
    }
    if (p->data == NULL) {
        /* ChaCha20-Poly1305 accepts a length-only tag param; GCM does not. */
        if (ctx->kind->family == ZC_FAMILY_GCM)
            return ZC_PARAM_FAIL(ctx, p);
        ctx->taglen = p->data_size;
        return 1;
    }
    if (ctx->enc) {
        ZC_CTX_RAISE(ctx, ZC_R_TAG_NOT_NEEDED, "%s", zc_alg_name(ctx->kind->alg));
        return 0;
    }
    if (p->data_size == ZC_TAG_LEN)
        memcpy(ctx->tag, p->data, ZC_TAG_LEN); /* TLS: a fixed-size copy */
    else
        memcpy(ctx->tag, p->data, p->data_size);
    ctx->taglen = p->data_size;
    return 1;
}

static int zc_set_ivlen_param(zc_aead_ctx *ctx, const OSSL_PARAM *p)
{
    size_t max = ctx->kind->family == ZC_FAMILY_GCM ? ZC_GCM_IV_MAX : ZC_CHACHA_IV_LEN;
    size_t min = ctx->kind->family == ZC_FAMILY_GCM ? 1 : ZC_CHACHA_IV_LEN;
    size_t sz;

    if (!OSSL_PARAM_get_size_t(p, &sz))
        return ZC_PARAM_FAIL(ctx, p);
    if (sz < min || sz > max) {
        ZC_CTX_RAISE(ctx, ZC_R_INVALID_IV_LENGTH, "%s IV length %zu (allowed %zu..%zu)",
                     zc_alg_name(ctx->kind->alg), sz, min, max);
        return 0;
    }
    if (!zc_aead_iv_reserve(ctx, sz))
        return 0;
    if (sz != ctx->ivlen) {
        /* An IV already given no longer fits: it must be set again. */
        if (ctx->phase != ZC_MSG_NO_IV)
            ctx->phase = ZC_MSG_DONE;
        ctx->ivlen = sz;
    }
    return 1;
}

/* "urgent" work skips batching and offload: latency over throughput. */
static int zc_set_priority_param(zc_aead_ctx *ctx, const OSSL_PARAM *p)
{
    const char *v = NULL;
    size_t n;

    if (!OSSL_PARAM_get_utf8_string_ptr(p, &v) || v == NULL)
        return ZC_PARAM_FAIL(ctx, p);
    /* A string with a size need not be NUL-terminated within it (found by
     * fuzz/fuzz_params: strcmp read past it); size 0 means "terminated",
     * as OSSL_PARAM_utf8_string(key, str, 0) builds it. */
    n = p->data_type == OSSL_PARAM_UTF8_STRING && p->data_size != 0 ? strnlen(v, p->data_size)
                                                                    : strlen(v);
    if (n == 6 && memcmp(v, "urgent", 6) == 0)
        ctx->urgent = 1;
    else if (n == 6 && memcmp(v, "normal", 6) == 0)
        ctx->urgent = 0;
    else {
        ZC_CTX_RAISE(ctx, ZC_R_BAD_PARAMETER, "'%s' must be urgent or normal, not '%.*s'",
                     ZC_PARAM_PRIORITY, (int)(n < 32 ? n : 32), v);
        return 0;
    }
    return 1;
}

static int zc_set_keylen_param(zc_aead_ctx *ctx, const OSSL_PARAM *p)
{
    size_t sz;

    if (!OSSL_PARAM_get_size_t(p, &sz))
        return ZC_PARAM_FAIL(ctx, p);
    if (sz != ctx->kind->keylen) {
        ZC_CTX_RAISE(ctx, ZC_R_INVALID_KEY_LENGTH, "%s needs %zu bytes, not %zu",
                     zc_alg_name(ctx->kind->alg), ctx->kind->keylen, sz);
        return 0;
    }
    return 1;
}

static int zc_set_tls_aad_param(zc_aead_ctx *ctx, const OSSL_PARAM *p)
{
    size_t pad;

    if (p->data_type != OSSL_PARAM_OCTET_STRING || p->data == NULL)
        return ZC_PARAM_FAIL(ctx, p);
    /* Said apart from a malformed AAD: a deliberate refusal (the default
     * would take an all-zero nonce). */
    if (ctx->kind->family == ZC_FAMILY_CHACHA_POLY && ctx->phase == ZC_MSG_NO_IV) {
        ZC_CTX_RAISE(ctx, ZC_R_IV_NOT_SET, "TLS AAD before the %s nonce",
                     zc_alg_name(ctx->kind->alg));
        return 0;
    }
    if ((pad = zc_tls_aad_set(ctx, p->data, p->data_size)) == 0) {
        ZC_CTX_RAISE(ctx, ZC_R_INVALID_TLS_AAD, "%zu-byte TLS AAD", p->data_size);
        return 0;
    }
    ctx->tls_aad_pad = pad;
    return 1;
}

static int zc_set_iv_fixed_param(zc_aead_ctx *ctx, const OSSL_PARAM *p)
{
    if (p->data_type != OSSL_PARAM_OCTET_STRING || p->data == NULL)
        return ZC_PARAM_FAIL(ctx, p);
    if (!zc_tls_iv_fixed_set(ctx, p->data, p->data_size)) {
        ZC_CTX_RAISE(ctx, ZC_R_INVALID_IV_LENGTH, "fixed IV of %zu bytes", p->data_size);
        return 0;
    }
    return 1;
}

static int zc_set_test_stall_param(zc_aead_ctx *ctx, const OSSL_PARAM *p)
{
    int stalled;

    if (!OSSL_PARAM_get_int(p, &stalled))
        return ZC_PARAM_FAIL(ctx, p);
    zc_async_test_stall(ctx->provctx->async, stalled);
    return 1;
}

int zc_aead_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    zc_aead_ctx *ctx = vctx;
    int gcm = ctx->kind->family == ZC_FAMILY_GCM;
    int ok = 1;

    if (params == NULL)
        return 1;
    /* Keys we do not know are accepted, as the default provider does. */
    for (const OSSL_PARAM *p = params; ok && p->key != NULL; p++) {
        zc_param_id id = zc_param_lookup(p->key);

        /* OpenSSL's integer and string getters read through p->data
         * unchecked: a setting without a value must fail, not crash
         * (found by fuzz/fuzz_params); the octet setters check it. */
        if (p->data == NULL && (id == ZC_P_KEYLEN || id == ZC_P_IVLEN || id == ZC_P_PRIORITY
                                || id == ZC_P_TEST_STALL)) {
            ok = ZC_PARAM_FAIL(ctx, p);
            break;
        }
        switch (id) {
        case ZC_P_KEYLEN:       ok = zc_set_keylen_param(ctx, p); break;
        case ZC_P_TAG:          ok = zc_set_tag_param(ctx, p); break;
        case ZC_P_IVLEN:        ok = zc_set_ivlen_param(ctx, p); break;
        case ZC_P_TLS_AAD:      ok = zc_set_tls_aad_param(ctx, p); break;
        case ZC_P_TLS_IV_FIXED: ok = zc_set_iv_fixed_param(ctx, p); break;
        case ZC_P_PRIORITY:     ok = zc_set_priority_param(ctx, p); break;
        case ZC_P_TEST_STALL:   ok = zc_set_test_stall_param(ctx, p); break;
#ifdef ZC_HAVE_PIPELINE
        case ZC_P_PIPE_TAG:     ok = zc_pipe_tag_set(ctx, p); break;
#endif
        case ZC_P_TLS_IV_INV:
            if (!gcm)
                break;
            if (p->data == NULL || p->data_type != OSSL_PARAM_OCTET_STRING)
                ok = ZC_PARAM_FAIL(ctx, p);
            else
                ok = zc_tls_iv_inv_set(ctx, p->data, p->data_size);
            break;
        default:
            break;
        }
    }
    return ok;
}
