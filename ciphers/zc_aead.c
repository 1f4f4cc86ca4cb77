/*
 * The AEAD message engine shared by AES-GCM and ChaCha20-Poly1305: ctx
 * lifecycle, init, streaming update/final with AAD buffering, and the
 * one-shot path TLS records take. Semantics follow OpenSSL's default
 * provider; where the default would emit output it cannot vouch for
 * (ChaCha20-Poly1305 with no nonce, after final, or decrypt final without a
 * tag) we refuse instead.
 */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "internal.h"
#include "zc_ct.h"
#include "zc_err.h"
#include "zc_stats.h"

#ifdef ZC_CT_CANARY
#include <stdlib.h>
static volatile unsigned char zc_ct_canary_table[256];
/* The canary stores what it read: valgrind drops a load whose value is
 * never used (and with it the check of its address; so it did on arm64). */
static volatile unsigned char zc_ct_canary_sink;

int zc_ct_canary_armed(void)
{
    static int armed = -1;  /* single-threaded test programs only */

    if (armed < 0) {
        const char *v = getenv("ZC_CT_CANARY_ARMED");

        armed = v == NULL ? 0
                          : (strstr(v, "key") != NULL ? ZC_CT_CANARY_KEY : 0)
                                | (strstr(v, "tag") != NULL ? ZC_CT_CANARY_TAG : 0);
    }
    return armed;
}

void zc_ct_canary_key(unsigned char secret_byte)
{
    unsigned char acc = 0;

    if (!(zc_ct_canary_armed() & ZC_CT_CANARY_KEY))
        return;
    for (unsigned i = 0; i < secret_byte; i++)
        acc ^= zc_ct_canary_table[i];
    zc_ct_canary_sink = acc ^ zc_ct_canary_table[secret_byte];
}

int zc_ct_canary_equal(const unsigned char *a, const unsigned char *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}
#endif

/* SP 800-38D: at most 2^39 - 256 bits of plaintext per GCM invocation. */
#define ZC_GCM_MAX_DATA   ((UINT64_C(1) << 36) - 32)
/* RFC 8439: a 32-bit block counter starting at 1. */
#define ZC_CHACHA_MAX_DATA (((UINT64_C(1) << 32) - 1) * 64)

static zc_aead_ctx *zc_aead_alloc(void)
{
    void *base = OPENSSL_zalloc(sizeof(zc_aead_ctx) + 63);
    zc_aead_ctx *ctx;

    if (base == NULL)
        return NULL;
    ctx = (zc_aead_ctx *)(((uintptr_t)base + 63) & ~(uintptr_t)63);
    ctx->alloc_base = base;
    return ctx;
}

/*
 * Streaming updates add their bytes here and the shared counter sees them in
 * batches: an atomic per small update costs more than the update itself.
 */
#define ZC_STATS_FLUSH_BYTES (1u << 20)

static void zc_aead_stats_report(zc_aead_ctx *ctx)
{
    zc_stats_count_bytes(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg,
                         ctx->bytes_unreported);
    ctx->bytes_unreported = 0;
}

/* Inline: final runs it on every record, usually with nothing to report. */
static inline void zc_aead_stats_flush(zc_aead_ctx *ctx)
{
    if (ctx->bytes_unreported != 0)
        zc_aead_stats_report(ctx);
}

static void zc_aead_release(zc_aead_ctx *ctx)
{
    void *base = ctx->alloc_base;

    zc_aead_stats_flush(ctx);
    /* No engine thread may write into buffers we are about to free. */
    zc_async_cancel(ctx->provctx->async, &ctx->in_flight);
    OPENSSL_free(ctx->aad_heap);
    OPENSSL_clear_free(ctx->iv_heap, 2 * ctx->iv_heap_cap);
#ifdef ZC_HAVE_PIPELINE
    zc_pipe_free(ctx);
#endif
    /* Key copy, round keys, hash key, IVs and tags: wipe the lot. */
    OPENSSL_clear_free(base, sizeof(zc_aead_ctx) + 63);
}

void *zc_aead_newctx(void *vprovctx, const zc_aead_kind *kind)
{
    zc_provctx *provctx = vprovctx;
    zc_aead_ctx *ctx;

    if ((ctx = zc_aead_alloc()) == NULL) {
        ZC_raise(provctx->handle, ZC_R_MALLOC_FAILURE, "new %s context",
                 zc_alg_name(kind->alg));
        return NULL;
    }
    zc_prov_thread_enter(provctx);
    ctx->provctx = provctx;
    ctx->kind = kind;
    ctx->backend = provctx->backend;
    ctx->ops = provctx->backend->aead[kind->alg];
    ctx->ivlen = kind->family == ZC_FAMILY_GCM ? 12 : ZC_CHACHA_IV_LEN;
    ctx->phase = ZC_MSG_NO_IV;
    return ctx;
}

void zc_aead_freectx(void *vctx)
{
    if (vctx != NULL)
        zc_aead_release(vctx);
}

void *zc_aead_dupctx(void *vctx)
{
    zc_aead_ctx *src = vctx, *dst;

    if ((dst = zc_aead_alloc()) == NULL) {
        ZC_CTX_RAISE(src, ZC_R_MALLOC_FAILURE, "duplicating a context");
        return NULL;
    }
    void *base = dst->alloc_base;
    /* Backend state holds no pointers (contract in zc_backend.h), and both
     * contexts are 64-byte aligned, so a byte copy is a faithful clone. */
    memcpy(dst, src, sizeof(*dst));
    dst->alloc_base = base;
    memset(&dst->in_flight, 0, sizeof(dst->in_flight));
    dst->bytes_unreported = 0;      /* the original reports them */
    dst->aad_heap = NULL;
    dst->aad_cap = 0;
    dst->pipe = NULL;               /* its own copy below, never shared */
    if (src->aad_heap != NULL) {
        if ((dst->aad_heap = OPENSSL_memdup(src->aad_heap, src->aad_cap)) == NULL) {
            zc_aead_release(dst);
            ZC_CTX_RAISE(src, ZC_R_MALLOC_FAILURE, "duplicating AAD");
            return NULL;
        }
        dst->aad_cap = src->aad_cap;
    }
    dst->iv_heap = NULL;
    dst->iv_heap_cap = 0;
    if (src->iv_heap != NULL) {
        if ((dst->iv_heap = OPENSSL_memdup(src->iv_heap, 2 * src->iv_heap_cap)) == NULL) {
            zc_aead_release(dst);
            ZC_CTX_RAISE(src, ZC_R_MALLOC_FAILURE, "duplicating a long IV");
            return NULL;
        }
        dst->iv_heap_cap = src->iv_heap_cap;
    }
#ifdef ZC_HAVE_PIPELINE
    if (!zc_pipe_dup(dst, src)) {
        zc_aead_release(dst);
        ZC_CTX_RAISE(src, ZC_R_MALLOC_FAILURE, "duplicating pipeline state");
        return NULL;
    }
#endif
    return dst;
}

int zc_aead_rand(zc_aead_ctx *ctx, unsigned char *buf, size_t len)
{
    if (RAND_bytes_ex(NULL, buf, len, 0) <= 0) {
        ZC_CTX_RAISE(ctx, ZC_R_RAND_FAILURE, "generating %zu IV bytes", len);
        return 0;
    }
    return 1;
}

/* A full tag inline, a truncated one through CRYPTO_memcmp. */
static int zc_tag_equal(const unsigned char *computed, const unsigned char *expected, size_t len)
{
    int eq;

    if (len == ZC_TAG_LEN)
        return zc_key_equal(computed, expected, ZC_TAG_LEN);
    eq = CRYPTO_memcmp(computed, expected, len) == 0;
    ZC_CT_PUBLIC(&eq, sizeof(eq));
    return eq;
}

int zc_aead_key_install(zc_aead_ctx *ctx, const unsigned char *key, size_t keylen)
{
    if (keylen != ctx->kind->keylen) {
        ZC_CTX_RAISE(ctx, ZC_R_INVALID_KEY_LENGTH, "%s needs a %zu-byte key, got %zu",
                     zc_alg_name(ctx->kind->alg), ctx->kind->keylen, keylen);
        return 0;
    }
    ctx->tls_enc_records = 0;
    ZC_CT_CANARY_TOUCH(key[0]);
    /* Re-keying with the key we hold (openssl speed, some TLS stacks) must
     * not redo key expansion; compare in constant time, it is a secret. */
    if (ctx->key_set && zc_key_equal(ctx->key, key, keylen))
        return 1;
    ctx->key_set = 0;
    if (!ctx->ops->key_setup(ctx->key_state, key)) {
        OPENSSL_cleanse(ctx->key_state, sizeof(ctx->key_state));
        zc_stats_count_error(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg);
        ZC_CTX_RAISE(ctx, ZC_R_BACKEND_FAILURE, "%s key setup on backend %s",
                     zc_alg_name(ctx->kind->alg), ctx->backend->name);
        return 0;
    }
    memcpy(ctx->key, key, keylen);
    ctx->key_set = 1;
    zc_stats_count_key_setup(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg);
    return 1;
}

/*
 * IVs over ZC_GCM_IV_INLINE bytes (valid GCM, beyond the default provider)
 * get a heap block holding the configured IV and the message's copy. Its
 * old contents need not survive growing: a new ivlen invalidates the IV.
 */
int zc_aead_iv_reserve(zc_aead_ctx *ctx, size_t ivlen)
{
    unsigned char *heap;

    if (ivlen <= ZC_GCM_IV_INLINE || ivlen <= ctx->iv_heap_cap)
        return 1;
    if ((heap = OPENSSL_zalloc(2 * ivlen)) == NULL) {
        ZC_CTX_RAISE(ctx, ZC_R_MALLOC_FAILURE, "a %zu-byte IV", ivlen);
        return 0;
    }
    OPENSSL_clear_free(ctx->iv_heap, 2 * ctx->iv_heap_cap);
    ctx->iv_heap = heap;
    ctx->iv_heap_cap = ivlen;
    return 1;
}

int zc_aead_set_iv(zc_aead_ctx *ctx, const unsigned char *iv, size_t ivlen)
{
    size_t max = ctx->kind->family == ZC_FAMILY_GCM ? ZC_GCM_IV_MAX : ZC_CHACHA_IV_LEN;
    size_t min = ctx->kind->family == ZC_FAMILY_GCM ? 1 : ZC_CHACHA_IV_LEN;

    /* Every TLS record brings a 96-bit IV: valid for both families and
     * inline, so it skips the checks and the reserve call. */
    if (ivlen != 12) {
        if (ivlen < min || ivlen > max) {
            ZC_CTX_RAISE(ctx, ZC_R_INVALID_IV_LENGTH, "%s IV length %zu (allowed %zu..%zu)",
                         zc_alg_name(ctx->kind->alg), ivlen, min, max);
            return 0;
        }
        if (!zc_aead_iv_reserve(ctx, ivlen))
            return 0;
    }
    ctx->ivlen = ivlen;
    zc_iv_copy(zc_aead_iv(ctx), iv, ivlen);
    ctx->iv_gen_rand = 0;
    ctx->tls_aad_set = 0;
    zc_aead_msg_arm(ctx);
    return 1;
}

static int zc_aead_init(zc_aead_ctx *ctx, const unsigned char *key, size_t keylen,
                        const unsigned char *iv, size_t ivlen,
                        const OSSL_PARAM params[], int enc)
{
    /* A tag left from the other direction is never this message's tag. */
    if (ctx->enc != enc) {
        OPENSSL_cleanse(ctx->tag, sizeof(ctx->tag));
        ctx->taglen = 0;
        ctx->tag_ready = 0;
    }
    ctx->enc = enc;
#ifdef ZC_HAVE_PIPELINE
    if (ctx->pipe != NULL)
        zc_pipe_off(ctx);
#endif
    if (iv != NULL && !zc_aead_set_iv(ctx, iv, ivlen))
        return 0;
    if (key != NULL && !zc_aead_key_install(ctx, key, keylen))
        return 0;
    return params == NULL || zc_aead_set_ctx_params(ctx, params);
}

int zc_aead_einit(void *vctx, const unsigned char *key, size_t keylen,
                  const unsigned char *iv, size_t ivlen, const OSSL_PARAM params[])
{
    return zc_aead_init(vctx, key, keylen, iv, ivlen, params, 1);
}

int zc_aead_dinit(void *vctx, const unsigned char *key, size_t keylen,
                  const unsigned char *iv, size_t ivlen, const OSSL_PARAM params[])
{
    return zc_aead_init(vctx, key, keylen, iv, ivlen, params, 0);
}

static int zc_aead_iv_materialize(zc_aead_ctx *ctx)
{
    if (ctx->phase != ZC_MSG_NO_IV)
        return 1;
    if (ctx->tls_aad_set || !ctx->enc || ctx->kind->family != ZC_FAMILY_GCM
        || ctx->ivlen < 12) {
        ZC_CTX_RAISE(ctx, ZC_R_IV_NOT_SET, "%s", zc_alg_name(ctx->kind->alg));
        return 0;
    }
    if (!zc_aead_rand(ctx, zc_aead_iv(ctx), ctx->ivlen))
        return 0;
    ctx->iv_gen_rand = 1;
    zc_aead_msg_arm(ctx);
    return 1;
}

/*
 * Brings the message to a state where input is allowed: a key, an IV (GCM
 * encrypt draws a random 96-bit+ IV like the default provider), not done.
 */
static __attribute__((noinline)) int zc_aead_msg_not_ready(zc_aead_ctx *ctx)
{
    if (!ctx->key_set) {
        ZC_CTX_RAISE(ctx, ZC_R_KEY_NOT_SET, "%s", zc_alg_name(ctx->kind->alg));
        return 0;
    }
    if (ctx->phase == ZC_MSG_DONE) {
        ZC_CTX_RAISE(ctx, ZC_R_MESSAGE_FINISHED, "%s", zc_alg_name(ctx->kind->alg));
        return 0;
    }
    return zc_aead_iv_materialize(ctx);
}

/* Three times per record: the usual case (key, IV, not done) inline. */
static inline int zc_aead_msg_ready(zc_aead_ctx *ctx)
{
    if (ctx->key_set && ctx->phase != ZC_MSG_DONE && ctx->phase != ZC_MSG_NO_IV)
        return 1;
    return zc_aead_msg_not_ready(ctx);
}

static unsigned char *zc_aead_aad_buf(zc_aead_ctx *ctx)
{
    return ctx->aad_heap != NULL ? ctx->aad_heap : ctx->aad_inline;
}

static int zc_aead_aad_append(zc_aead_ctx *ctx, const unsigned char *in, size_t inl)
{
    size_t need = ctx->aad_len + inl;

    if (need < ctx->aad_len) {
        ZC_CTX_RAISE(ctx, ZC_R_MESSAGE_TOO_LONG, "AAD length overflow");
        return 0;
    }
    if (need > ZC_AAD_INLINE && need > ctx->aad_cap) {
        size_t cap = ctx->aad_cap ? ctx->aad_cap : 256;
        unsigned char *p;

        while (cap < need)
            cap *= 2;
        if ((p = OPENSSL_realloc(ctx->aad_heap, cap)) == NULL) {
            ZC_CTX_RAISE(ctx, ZC_R_MALLOC_FAILURE, "buffering %zu bytes of AAD", need);
            return 0;
        }
        if (ctx->aad_heap == NULL)
            memcpy(p, ctx->aad_inline, ctx->aad_len);
        ctx->aad_heap = p;
        ctx->aad_cap = cap;
    }
    memcpy(zc_aead_aad_buf(ctx) + ctx->aad_len, in, inl);
    ctx->aad_len = need;
    return 1;
}

/* Hands IV and the buffered AAD to the backend: data can flow. */
/* first_len: the update about to follow (0 from final), a sizing hint. */
static int zc_aead_msg_begin(zc_aead_ctx *ctx, size_t first_len)
{
    if (ctx->phase == ZC_MSG_DATA)
        return 1;
    if (!ctx->ops->msg_start(ctx->key_state, ctx->msg_state, zc_aead_msg_iv(ctx), ctx->ivlen,
                             zc_aead_aad_buf(ctx), ctx->aad_len, first_len)) {
        zc_stats_count_error(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg);
        ZC_CTX_RAISE(ctx, ZC_R_BACKEND_FAILURE, "%s message start on backend %s",
                     zc_alg_name(ctx->kind->alg), ctx->backend->name);
        return 0;
    }
    ctx->phase = ZC_MSG_DATA;
    ctx->lat_t0 = zc_stats_sample_begin(&ctx->provctx->stats, &ctx->lat_countdown);
    return 1;
}

/* The message's start and first data in one backend call (msg_first),
 * where no offload can be wanted: the TLS 1.3 record path. */
static int zc_aead_msg_first(zc_aead_ctx *ctx, unsigned char *out, const unsigned char *in,
                             size_t inl)
{
    ctx->lat_t0 = zc_stats_sample_begin(&ctx->provctx->stats, &ctx->lat_countdown);
    if (!ctx->ops->msg_first(ctx->key_state, ctx->msg_state, zc_aead_msg_iv(ctx), ctx->ivlen,
                             zc_aead_aad_buf(ctx), ctx->aad_len, out, in, inl, ctx->enc)) {
        ctx->lat_t0 = 0;
        zc_stats_count_error(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg);
        ZC_CTX_RAISE(ctx, ZC_R_BACKEND_FAILURE, "%s message on backend %s",
                     zc_alg_name(ctx->kind->alg), ctx->backend->name);
        return 0;
    }
    ctx->phase = ZC_MSG_DATA;
    return 1;
}

/* AAD (out == NULL): buffered until the data or final hands it over. */
static int zc_aead_stream_aad(zc_aead_ctx *ctx, size_t *outl, const unsigned char *in,
                              size_t inl)
{
    *outl = 0;
    if (!zc_aead_msg_ready(ctx))
        return 0;
    if (ctx->phase == ZC_MSG_DATA) {
        ZC_CTX_RAISE(ctx, ZC_R_AAD_AFTER_DATA, "%s", zc_alg_name(ctx->kind->alg));
        return 0;
    }
    /* A TLS 1.3 record's 5 (or 13) bytes, the usual case, without the
     * growth check's call. */
    if (ctx->aad_heap == NULL && inl <= ZC_AAD_INLINE - ctx->aad_len) {
        memcpy(ctx->aad_inline + ctx->aad_len, in, inl);
        ctx->aad_len += inl;
    } else if (!zc_aead_aad_append(ctx, in, inl)) {
        return 0;
    }
    ctx->phase = ZC_MSG_AAD;
    *outl = inl;
    return 1;
}

static int zc_aead_stream(zc_aead_ctx *ctx, unsigned char *out, size_t *outl,
                          const unsigned char *in, size_t inl)
{
    uint64_t limit = ctx->kind->family == ZC_FAMILY_GCM ? ZC_GCM_MAX_DATA
                                                       : ZC_CHACHA_MAX_DATA;

    if (out == NULL)
        return zc_aead_stream_aad(ctx, outl, in, inl);
    *outl = 0;
    if (!zc_aead_msg_ready(ctx))
        return 0;
    if (inl > limit - ctx->data_len) {
        ZC_CTX_RAISE(ctx, ZC_R_MESSAGE_TOO_LONG, "%s message over %llu bytes",
                     zc_alg_name(ctx->kind->alg), (unsigned long long)limit);
        return 0;
    }
    if (ctx->phase != ZC_MSG_DATA && ctx->ops->msg_first != NULL
        && zc_async_runs_inline(ctx->provctx->async, inl, ctx->urgent)) {
        if (!zc_aead_msg_first(ctx, out, in, inl))
            return 0;
    } else {
        if (!zc_aead_msg_begin(ctx, inl))
            return 0;
        if (!zc_async_msg_update(ctx->provctx->async, &ctx->in_flight, ctx->ops,
                                 ctx->key_state, ctx->msg_state, out, in, inl, ctx->enc,
                                 ctx->urgent)) {
            zc_stats_count_error(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg);
            ZC_CTX_RAISE(ctx, ZC_R_BACKEND_FAILURE, "%s update on backend %s",
                         zc_alg_name(ctx->kind->alg), ctx->backend->name);
            return 0;
        }
    }
    ctx->data_len += inl;
    if ((ctx->bytes_unreported += inl) >= ZC_STATS_FLUSH_BYTES)
        zc_aead_stats_flush(ctx);
    *outl = inl;
    return 1;
}

int zc_aead_update(void *vctx, unsigned char *out, size_t *outl, size_t outsize,
                   const unsigned char *in, size_t inl)
{
    zc_aead_ctx *ctx = vctx;

    if (inl == 0) {
        *outl = 0;
        return 1;
    }
    if (out != NULL && outsize < inl) {
        ZC_CTX_RAISE(ctx, ZC_R_OUTPUT_TOO_SMALL, "need %zu bytes, have %zu", inl, outsize);
        return 0;
    }
    if (ctx->tls_aad_set)
        return zc_tls_record(ctx, out, outl, in, inl);
    if (out == NULL)
        return zc_aead_stream_aad(ctx, outl, in, inl);
    return zc_aead_stream(ctx, out, outl, in, inl);
}

static int zc_aead_finish(zc_aead_ctx *ctx)
{
    unsigned char computed[ZC_TAG_LEN];
    int ok = 0;

    if (ctx->tls_aad_set) {
        /* A botched record spends its AAD and IV, as with the default
         * (found by fuzz/fuzz_evp: zcrypto kept the record armed). */
        ctx->tls_aad_set = 0;
        ctx->phase = ZC_MSG_DONE;
        ZC_CTX_RAISE(ctx, ZC_R_INVALID_TLS_RECORD, "final called on a TLS record");
        return 0;
    }
    if (!zc_aead_msg_ready(ctx))
        return 0;
    if (!ctx->enc && ctx->taglen == 0) {
        ZC_CTX_RAISE(ctx, ZC_R_TAG_NOT_SET, "%s", zc_alg_name(ctx->kind->alg));
        return 0;
    }
    if (ctx->phase != ZC_MSG_DATA && !zc_aead_msg_begin(ctx, 0))
        return 0;
    /* Whatever happens below, this IV is spent. */
    ctx->phase = ZC_MSG_DONE;
    if (!ctx->ops->msg_finish(ctx->key_state, ctx->msg_state, computed, ctx->enc)) {
        zc_stats_count_error(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg);
        ZC_CTX_RAISE(ctx, ZC_R_BACKEND_FAILURE, "%s final on backend %s",
                     zc_alg_name(ctx->kind->alg), ctx->backend->name);
        goto err;
    }
    if (ctx->enc) {
        memcpy(ctx->tag, computed, ZC_TAG_LEN);
        ctx->tag_ready = 1;
        if (ctx->kind->family == ZC_FAMILY_GCM)
            ctx->taglen = ZC_TAG_LEN;
    } else if (!zc_tag_equal(computed, ctx->tag, ctx->taglen)) {
        zc_stats_count_tag_failure(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg);
        ZC_CTX_RAISE(ctx, ZC_R_TAG_MISMATCH, "%s", zc_alg_name(ctx->kind->alg));
        goto err;
    }
    zc_stats_count_op_bytes(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg,
                            ctx->bytes_unreported);
    ctx->bytes_unreported = 0;
    if (ctx->lat_t0 != 0)
        zc_stats_sample_end(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg,
                            ctx->data_len, ctx->lat_t0);
    ok = 1;
err:
    ctx->lat_t0 = 0;
    zc_aead_stats_flush(ctx);
    /* Encrypt's computed tag is the message's, public; decrypt's is the one
     * a forger wants. */
    if (!ctx->enc)
        zc_wipe(computed, sizeof(computed));
    return ok;
}

int zc_aead_final(void *vctx, unsigned char *out, size_t *outl, size_t outsize)
{
    *outl = 0;
    return zc_aead_finish(vctx);
}

/*
 * EVP_Cipher() entry. GCM mirrors the default provider: NULL input is final,
 * and the reported length is the input length. ChaCha20-Poly1305 behaves as
 * update there too.
 */
int zc_aead_cipher(void *vctx, unsigned char *out, size_t *outl, size_t outsize,
                   const unsigned char *in, size_t inl)
{
    zc_aead_ctx *ctx = vctx;

    if (ctx->kind->family != ZC_FAMILY_GCM)
        return zc_aead_update(vctx, out, outl, outsize, in, inl);
    if (in == NULL)
        return zc_aead_final(vctx, out, outl, outsize);
    if (out != NULL && outsize < inl) {
        ZC_CTX_RAISE(ctx, ZC_R_OUTPUT_TOO_SMALL, "need %zu bytes, have %zu", inl, outsize);
        return 0;
    }
    if (!(ctx->tls_aad_set ? zc_tls_record(ctx, out, outl, in, inl)
                           : zc_aead_stream(ctx, out, outl, in, inl)))
        return 0;
    *outl = inl;
    return 1;
}

/*
 * One whole message through the backend, writing out and the computed tag;
 * the caller judges the tag. A backend failure raises and, on decrypt,
 * wipes out: output the backend may have half written is never left.
 */
int zc_aead_record_run(zc_aead_ctx *ctx, const unsigned char *nonce, size_t noncelen,
                       const unsigned char *aad, size_t aadlen,
                       unsigned char *out, const unsigned char *in, size_t len,
                       unsigned char computed[ZC_TAG_LEN])
{
    const zc_aead_ops *ops = ctx->ops;

    /* The inline one-shot path is faster, except where offloading pays. */
    int done = ops->msg_oneshot == NULL
                       || zc_async_would_offload(ctx->provctx->async, len, ctx->urgent) ? -1
               : ops->msg_oneshot(ctx->key_state, nonce, noncelen, aad, aadlen, out, in, len,
                                  computed, ctx->enc);

    if (done == 0
        || (done < 0
            && (!ops->msg_start(ctx->key_state, ctx->msg_state, nonce, noncelen, aad, aadlen,
                                len)
                || !zc_async_msg_update(ctx->provctx->async, &ctx->in_flight, ops,
                                        ctx->key_state, ctx->msg_state, out, in, len,
                                        ctx->enc, ctx->urgent)
                || !ops->msg_finish(ctx->key_state, ctx->msg_state, computed, ctx->enc)))) {
        zc_stats_count_error(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg);
        ZC_CTX_RAISE(ctx, ZC_R_BACKEND_FAILURE, "%s record on backend %s",
                     zc_alg_name(ctx->kind->alg), ctx->backend->name);
        if (!ctx->enc)
            OPENSSL_cleanse(out, len);
        return 0;
    }
    return 1;
}

int zc_aead_oneshot(zc_aead_ctx *ctx, const unsigned char *nonce, size_t noncelen,
                    const unsigned char *aad, size_t aadlen,
                    unsigned char *out, const unsigned char *in, size_t len,
                    unsigned char *tag_out, const unsigned char *tag_in)
{
    unsigned char computed[ZC_TAG_LEN];
    uint64_t t0 = zc_stats_sample_begin(&ctx->provctx->stats, &ctx->lat_countdown);
    int ok = 0;

    if (!zc_aead_record_run(ctx, nonce, noncelen, aad, aadlen, out, in, len, computed))
        goto err;
    if (ctx->enc) {
        memcpy(tag_out, computed, ZC_TAG_LEN);
    } else if (!zc_key_equal(computed, tag_in, ZC_TAG_LEN)) {
        /* Never hand back plaintext that failed authentication. */
        OPENSSL_cleanse(out, len);
        zc_stats_count_tag_failure(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg);
        ZC_CTX_RAISE(ctx, ZC_R_TAG_MISMATCH, "%s TLS record", zc_alg_name(ctx->kind->alg));
        goto err;
    }
    zc_stats_count_op_bytes(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg, len);
    if (t0 != 0)
        zc_stats_sample_end(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg, len, t0);
    ok = 1;
err:
    zc_wipe(computed, sizeof(computed));
    return ok;
}
