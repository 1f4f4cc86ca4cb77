/*
 * OpenSSL 3.5's provider pipeline cipher functions for both AEADs: one key,
 * up to ZC_PIPE_MAX packets per call, each with its own IV, AAD, length
 * and tag. Every pipe gives exactly the one-packet result: a batch is a
 * list of whole records, run through the backend's one-shot record path
 * (zc_aead_record_run), so the API never depends on the CPU.
 *
 * The contract (doc/zcrypto.7, "PIPELINES"): init with the IVs; any number
 * of AAD updates (out == NULL); ONE data update; final; tags through the
 * "pipeline-tag" octet-pointer param (an array of numpipes tag pointers).
 * Every check runs before the first byte is written, so a bad call leaves
 * every output untouched. A decrypt final whose tag fails on any pipe
 * fails, wipes that pipe's output and names it; the other pipes keep their
 * authenticated plaintext.
 */
#include "config.h"

#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include "internal.h"
#include "zc_err.h"
#include "zc_stats.h"

#define ZC_GCM_PIPE_MAX_DATA    ((UINT64_C(1) << 36) - 32)
#define ZC_CHACHA_PIPE_MAX_DATA (((UINT64_C(1) << 32) - 1) * 64)

typedef enum zc_pipe_phase {
    ZC_PIPE_OFF = 0,    /* no pipeline message (single-message API in use) */
    ZC_PIPE_READY,      /* IVs armed; AAD may come, then the data update */
    ZC_PIPE_SEALED,     /* data processed, final due */
    ZC_PIPE_DONE        /* final done or failed: a new init is needed */
} zc_pipe_phase;

/*
 * One block per ctx, allocated at its first pipeline init and reused: a
 * batch never allocates per pipe (AAD shares one growing arena).
 */
struct zc_pipe {
    size_t n, ivlen, taglen;
    zc_pipe_phase phase;
    int tags_set;                               /* decrypt: expected tags given */
    /* Pipeline IVs stay inline: GCM up to the default provider's 128 bytes. */
    unsigned char iv[ZC_PIPE_MAX][ZC_GCM_IV_INLINE];
    unsigned char tag[ZC_PIPE_MAX][ZC_TAG_LEN]; /* computed */
    unsigned char want[ZC_PIPE_MAX][ZC_TAG_LEN];/* decrypt: expected */
    size_t aad_off[ZC_PIPE_MAX], aad_len[ZC_PIPE_MAX];
    unsigned char *out[ZC_PIPE_MAX];            /* decrypt: wiped if its tag fails */
    size_t len[ZC_PIPE_MAX];
    unsigned char *aad;
    size_t aad_cap, aad_used;
    zc_batch_msg msgs[ZC_PIPE_MAX];             /* for the backend's batch path */
};

#define ZC_PIPE_RAISE(ctx, reason, fmt, ...)                                   \
    ZC_CTX_RAISE((ctx), (reason), "%s pipeline: " fmt,                        \
                 zc_alg_name((ctx)->kind->alg), __VA_ARGS__)

void zc_pipe_free(zc_aead_ctx *ctx)
{
    zc_pipe *p = ctx->pipe;

    if (p == NULL)
        return;
    OPENSSL_clear_free(p->aad, p->aad_cap);
    /* IVs, and tags a forger would want. */
    OPENSSL_clear_free(p, sizeof(*p));
    ctx->pipe = NULL;
}

int zc_pipe_dup(zc_aead_ctx *dst, const zc_aead_ctx *src)
{
    const zc_pipe *s = src->pipe;
    zc_pipe *d;

    dst->pipe = NULL;
    if (s == NULL)
        return 1;
    if ((d = OPENSSL_memdup(s, sizeof(*s))) == NULL)
        return 0;
    d->aad = NULL;
    if (s->aad != NULL && (d->aad = OPENSSL_memdup(s->aad, s->aad_cap)) == NULL) {
        OPENSSL_clear_free(d, sizeof(*d));
        return 0;
    }
    dst->pipe = d;
    return 1;
}

void zc_pipe_off(zc_aead_ctx *ctx)
{
    if (ctx->pipe != NULL)
        ctx->pipe->phase = ZC_PIPE_OFF;
}

static int zc_pipe_init(zc_aead_ctx *ctx, const unsigned char *key, size_t keylen,
                        size_t numpipes, const unsigned char **iv, size_t ivlen,
                        const OSSL_PARAM params[], int enc)
{
    size_t min = ctx->kind->family == ZC_FAMILY_GCM ? 1 : ZC_CHACHA_IV_LEN;
    size_t max = ctx->kind->family == ZC_FAMILY_GCM ? ZC_GCM_IV_INLINE : ZC_CHACHA_IV_LEN;
    zc_pipe *p;

    zc_pipe_off(ctx);
    if (numpipes == 0 || numpipes > ZC_PIPE_MAX) {
        ZC_PIPE_RAISE(ctx, ZC_R_INVALID_PIPELINE, "%zu pipes (allowed 1..%d)", numpipes,
                      ZC_PIPE_MAX);
        return 0;
    }
    if (iv == NULL) {
        ZC_PIPE_RAISE(ctx, ZC_R_IV_NOT_SET, "no IV array for %zu pipes", numpipes);
        return 0;
    }
    if (ivlen < min || ivlen > max) {
        ZC_PIPE_RAISE(ctx, ZC_R_INVALID_IV_LENGTH, "IV length %zu (allowed %zu..%zu)", ivlen,
                      min, max);
        return 0;
    }
    for (size_t i = 0; i < numpipes; i++)
        if (iv[i] == NULL) {
            ZC_PIPE_RAISE(ctx, ZC_R_IV_NOT_SET, "pipe %zu has no IV", i);
            return 0;
        }
    if (key != NULL && !zc_aead_key_install(ctx, key, keylen))
        return 0;
    if (ctx->pipe == NULL && (ctx->pipe = OPENSSL_zalloc(sizeof(*ctx->pipe))) == NULL) {
        ZC_PIPE_RAISE(ctx, ZC_R_MALLOC_FAILURE, "state for %zu pipes", numpipes);
        return 0;
    }
    p = ctx->pipe;
    /* A pipelined ctx is no single message: the one-message API refuses
     * input until an init with an IV, and TLS record mode is over. */
    ctx->enc = enc;
    ctx->phase = ZC_MSG_DONE;
    ctx->tls_aad_set = 0;
    ctx->tag_ready = 0;
    p->n = numpipes;
    p->ivlen = ivlen;
    p->tags_set = 0;
    p->taglen = 0;
    p->aad_used = 0;
    for (size_t i = 0; i < numpipes; i++) {
        memcpy(p->iv[i], iv[i], ivlen);
        p->aad_off[i] = p->aad_len[i] = 0;
        p->len[i] = 0;
    }
    p->phase = ZC_PIPE_READY;
    if (!zc_aead_set_ctx_params(ctx, params)) {
        p->phase = ZC_PIPE_OFF;
        return 0;
    }
    return 1;
}

int zc_pipe_einit(void *vctx, const unsigned char *key, size_t keylen, size_t numpipes,
                  const unsigned char **iv, size_t ivlen, const OSSL_PARAM params[])
{
    return zc_pipe_init(vctx, key, keylen, numpipes, iv, ivlen, params, 1);
}

int zc_pipe_dinit(void *vctx, const unsigned char *key, size_t keylen, size_t numpipes,
                  const unsigned char **iv, size_t ivlen, const OSSL_PARAM params[])
{
    return zc_pipe_init(vctx, key, keylen, numpipes, iv, ivlen, params, 0);
}

/* The checks every pipeline call shares: an armed message of numpipes. */
static int zc_pipe_check(zc_aead_ctx *ctx, size_t numpipes, size_t *outl, const char *what)
{
    zc_pipe *p = ctx->pipe;

    if (p == NULL || p->phase == ZC_PIPE_OFF) {
        ZC_PIPE_RAISE(ctx, ZC_R_INVALID_PIPELINE, "%s without a pipeline init", what);
        return 0;
    }
    if (p->phase == ZC_PIPE_DONE) {
        ZC_PIPE_RAISE(ctx, ZC_R_MESSAGE_FINISHED, "%s after final", what);
        return 0;
    }
    if (numpipes != p->n) {
        ZC_PIPE_RAISE(ctx, ZC_R_INVALID_PIPELINE, "%s of %zu pipes, init armed %zu", what,
                      numpipes, p->n);
        return 0;
    }
    if (outl == NULL) {
        ZC_PIPE_RAISE(ctx, ZC_R_INVALID_PIPELINE, "%s without an outl array", what);
        return 0;
    }
    if (!ctx->key_set) {
        ZC_PIPE_RAISE(ctx, ZC_R_KEY_NOT_SET, "%s before a key was set", what);
        return 0;
    }
    return 1;
}

/*
 * Appends each pipe's chunk to its AAD, keeping every pipe's AAD contiguous
 * in the arena: pipes move up by what the pipes before them gain, last pipe
 * first, so no byte is overwritten before it has moved.
 */
static int zc_pipe_aad_add(zc_aead_ctx *ctx, const unsigned char **in, const size_t *inl)
{
    zc_pipe *p = ctx->pipe;
    size_t add = 0, need, shift;

    for (size_t i = 0; i < p->n; i++) {
        if (inl[i] != 0 && in[i] == NULL) {
            ZC_PIPE_RAISE(ctx, ZC_R_INVALID_PIPELINE, "pipe %zu: NULL AAD of %zu bytes", i,
                          inl[i]);
            return 0;
        }
        if (inl[i] > SIZE_MAX / 2 - add) {
            ZC_PIPE_RAISE(ctx, ZC_R_MESSAGE_TOO_LONG, "pipe %zu: AAD length overflow", i);
            return 0;
        }
        add += inl[i];
    }
    if (add > SIZE_MAX / 2 - p->aad_used) {
        ZC_PIPE_RAISE(ctx, ZC_R_MESSAGE_TOO_LONG, "%s", "AAD length overflow");
        return 0;
    }
    need = p->aad_used + add;
    if (need > p->aad_cap) {
        size_t cap = p->aad_cap ? p->aad_cap : 1024;
        unsigned char *a;

        while (cap < need)
            cap *= 2;
        if ((a = OPENSSL_zalloc(cap)) == NULL) {
            ZC_PIPE_RAISE(ctx, ZC_R_MALLOC_FAILURE, "%zu bytes of AAD", need);
            return 0;
        }
        if (p->aad != NULL)
            memcpy(a, p->aad, p->aad_used);
        OPENSSL_clear_free(p->aad, p->aad_cap);
        p->aad = a;
        p->aad_cap = cap;
    }
    shift = add;
    for (size_t i = p->n; i-- > 0;) {
        shift -= inl[i];
        if (shift != 0 && p->aad_len[i] != 0)
            memmove(p->aad + p->aad_off[i] + shift, p->aad + p->aad_off[i], p->aad_len[i]);
        p->aad_off[i] += shift;
        if (inl[i] != 0)
            memcpy(p->aad + p->aad_off[i] + p->aad_len[i], in[i], inl[i]);
        p->aad_len[i] += inl[i];
    }
    p->aad_used = need;
    return 1;
}

/* Every pipe's buffers and lengths, checked before anything is written. */
static int zc_pipe_data_check(zc_aead_ctx *ctx, unsigned char **out, const size_t *outsize,
                              const unsigned char **in, const size_t *inl)
{
    uint64_t limit = ctx->kind->family == ZC_FAMILY_GCM ? ZC_GCM_PIPE_MAX_DATA
                                                       : ZC_CHACHA_PIPE_MAX_DATA;

    if (outsize == NULL) {
        ZC_PIPE_RAISE(ctx, ZC_R_INVALID_PIPELINE, "%s", "update without an outsize array");
        return 0;
    }
    for (size_t i = 0; i < ctx->pipe->n; i++) {
        if (inl[i] == 0)
            continue;
        if (in[i] == NULL || out[i] == NULL) {
            ZC_PIPE_RAISE(ctx, ZC_R_INVALID_PIPELINE, "pipe %zu: NULL %s buffer", i,
                          in[i] == NULL ? "input" : "output");
            return 0;
        }
        if (outsize[i] < inl[i]) {
            ZC_PIPE_RAISE(ctx, ZC_R_OUTPUT_TOO_SMALL, "pipe %zu needs %zu bytes, has %zu", i,
                          inl[i], outsize[i]);
            return 0;
        }
        if ((uint64_t)inl[i] > limit) {
            ZC_PIPE_RAISE(ctx, ZC_R_MESSAGE_TOO_LONG, "pipe %zu: %zu bytes", i, inl[i]);
            return 0;
        }
    }
    return 1;
}

/*
 * The whole batch at once: inside an ASYNC job with the burst's bytes at
 * async_min_bytes or more, offloaded as one request (one pause per burst,
 * on any backend); otherwise inline through the backend's multi-lane path
 * (msg_batch) where it has one. Neither: *ran = 0, the caller runs the
 * pipes one by one.
 */
static int zc_pipe_run_batch(zc_aead_ctx *ctx, unsigned char **out, const unsigned char **in,
                             const size_t *inl, int *ran)
{
    /* Real pointers for empty AAD or data; never written (length 0). */
    static const unsigned char none[1];
    static unsigned char sink[1];
    zc_pipe *p = ctx->pipe;
    size_t total = 0;
    int lanes = ctx->ops->msg_batch != NULL && ctx->provctx->batch_ok[ctx->kind->alg];
    int offload, ok;

    for (size_t i = 0; out != NULL && i < p->n; i++)
        total += inl[i];
    /*
     * An AES-GCM burst counts half: inline it runs so fast (the AES lanes
     * on avx512) that offloading pays only from twice async_min_bytes.
     * Zen 4, 3.5, 16 jobs, offloaded / inline: 16 x 256 B 0.84x, 4 x 1 KiB
     * 0.62x, 16 x 512 B 1.15x, 4 x 2 KiB 1.01x, 16 x 1 KiB 1.38x (Zen 3,
     * avx2: 0.91-1.25x up to 1 KiB packets). ChaCha20-Poly1305 bursts pay
     * from 16 x 64 B (1.23x).
     */
    offload = zc_async_would_offload(ctx->provctx->async,
                                     ctx->kind->family == ZC_FAMILY_GCM ? total / 2 : total,
                                     ctx->urgent);
    *ran = lanes || offload;
    if (!*ran)
        return 1;
    for (size_t i = 0; i < p->n; i++) {
        zc_batch_msg *m = &p->msgs[i];
        size_t len = out == NULL ? 0 : inl[i];

        p->out[i] = len ? out[i] : NULL;
        p->len[i] = len;
        m->iv = p->iv[i], m->ivlen = p->ivlen;
        m->aad = p->aad_len[i] ? p->aad + p->aad_off[i] : none, m->aadlen = p->aad_len[i];
        m->in = len ? in[i] : none, m->out = len ? out[i] : sink, m->len = len;
    }
    if (offload)
        ok = zc_async_msg_batch(ctx->provctx->async, &ctx->in_flight, ctx->ops, ctx->key_state,
                                p->msgs, p->n, ctx->enc, lanes, ctx->urgent);
    else
        ok = ctx->ops->msg_batch(ctx->key_state, p->msgs, p->n, ctx->enc);
    if (!ok) {
        zc_stats_count_error(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg);
        ZC_PIPE_RAISE(ctx, ZC_R_BACKEND_FAILURE, "batch of %zu on backend %s", p->n,
                      ctx->backend->name);
        if (!ctx->enc)
            for (size_t i = 0; i < p->n; i++)
                OPENSSL_cleanse(p->out[i], p->len[i]);
        p->phase = ZC_PIPE_DONE;
        return 0;
    }
    for (size_t i = 0; i < p->n; i++) {
        memcpy(p->tag[i], p->msgs[i].tag, ZC_TAG_LEN);
        /* Decrypt's computed tags are what a forger wants. */
        if (!ctx->enc)
            zc_wipe(p->msgs[i].tag, ZC_TAG_LEN);
    }
    p->phase = ZC_PIPE_SEALED;
    return 1;
}

/* Runs every pipe as one whole record; out == NULL: empty messages. */
static int zc_pipe_run(zc_aead_ctx *ctx, unsigned char **out, const unsigned char **in,
                       const size_t *inl)
{
    zc_pipe *p = ctx->pipe;
    int batched;

    /* Backends get real pointers even for empty AAD or data. */
    static const unsigned char none[1];
    unsigned char scratch[1];

    if (!zc_pipe_run_batch(ctx, out, in, inl, &batched) || batched)
        return p->phase == ZC_PIPE_SEALED;
    for (size_t i = 0; i < p->n; i++) {
        size_t len = out == NULL ? 0 : inl[i];

        p->out[i] = len ? out[i] : NULL;
        p->len[i] = len;
        if (!zc_aead_record_run(ctx, p->iv[i], p->ivlen,
                                p->aad_len[i] ? p->aad + p->aad_off[i] : none, p->aad_len[i],
                                len ? out[i] : scratch, len ? in[i] : none, len, p->tag[i])) {
            /* The failing pipe is wiped by record_run; earlier ones too. */
            if (!ctx->enc)
                for (size_t j = 0; j < i; j++)
                    OPENSSL_cleanse(p->out[j], p->len[j]);
            p->phase = ZC_PIPE_DONE;
            return 0;
        }
    }
    p->phase = ZC_PIPE_SEALED;
    return 1;
}

int zc_pipe_update(void *vctx, size_t numpipes, unsigned char **out, size_t *outl,
                   const size_t *outsize, const unsigned char **in, const size_t *inl)
{
    zc_aead_ctx *ctx = vctx;

    if (!zc_pipe_check(ctx, numpipes, outl, "update"))
        return 0;
    if (in == NULL || inl == NULL) {
        ZC_PIPE_RAISE(ctx, ZC_R_INVALID_PIPELINE, "update without %s array",
                      in == NULL ? "an input" : "an inl");
        return 0;
    }
    if (ctx->pipe->phase != ZC_PIPE_READY) {
        ZC_PIPE_RAISE(ctx, out == NULL ? ZC_R_AAD_AFTER_DATA : ZC_R_INVALID_PIPELINE, "%s",
                      out == NULL ? "AAD after the data update"
                                  : "one data update per pipeline message");
        return 0;
    }
    if (out == NULL) {
        if (!zc_pipe_aad_add(ctx, in, inl))
            return 0;
        for (size_t i = 0; i < numpipes; i++)
            outl[i] = inl[i];
        return 1;
    }
    if (!zc_pipe_data_check(ctx, out, outsize, in, inl) || !zc_pipe_run(ctx, out, in, inl))
        return 0;
    for (size_t i = 0; i < numpipes; i++)
        outl[i] = inl[i];
    return 1;
}

/* Decrypt: every pipe's tag against its expected one, in constant time. */
static int zc_pipe_verify(zc_aead_ctx *ctx)
{
    zc_pipe *p = ctx->pipe;
    size_t bad = 0, first = 0;

    for (size_t i = 0; i < p->n; i++) {
        int ok = p->taglen == ZC_TAG_LEN ? zc_key_equal(p->tag[i], p->want[i], ZC_TAG_LEN)
                                         : CRYPTO_memcmp(p->tag[i], p->want[i], p->taglen) == 0;

        if (!ok) {
            /* Never hand back plaintext that failed authentication. */
            OPENSSL_cleanse(p->out[i], p->len[i]);
            if (bad++ == 0)
                first = i;
        }
    }
    zc_wipe(p->tag, ZC_TAG_LEN * p->n);
    if (bad == 0)
        return 1;
    for (size_t i = 0; i < bad; i++)
        zc_stats_count_tag_failure(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg);
    ZC_PIPE_RAISE(ctx, ZC_R_TAG_MISMATCH, "pipe %zu of %zu failed (%zu failing pipe%s wiped)",
                  first, p->n, bad, bad == 1 ? "" : "s");
    return 0;
}

int zc_pipe_final(void *vctx, size_t numpipes, unsigned char **out, size_t *outl,
                  const size_t *outsize)
{
    zc_aead_ctx *ctx = vctx;
    zc_pipe *p = ctx->pipe;
    uint64_t bytes = 0;

    if (!zc_pipe_check(ctx, numpipes, outl, "final"))
        return 0;
    for (size_t i = 0; i < numpipes; i++)
        outl[i] = 0;
    if (!ctx->enc && !p->tags_set) {
        /* Unauthenticated plaintext must not survive a final that cannot
         * verify it. */
        for (size_t i = 0; p->phase == ZC_PIPE_SEALED && i < p->n; i++)
            OPENSSL_cleanse(p->out[i], p->len[i]);
        p->phase = ZC_PIPE_DONE;
        ZC_PIPE_RAISE(ctx, ZC_R_TAG_NOT_SET, "%s", "decrypt final before the pipeline tags");
        return 0;
    }
    /* No data update: every pipe is an empty message (AAD only). */
    if (p->phase == ZC_PIPE_READY && !zc_pipe_run(ctx, NULL, NULL, NULL))
        return 0;
    p->phase = ZC_PIPE_DONE;
    if (!ctx->enc && !zc_pipe_verify(ctx))
        return 0;
    for (size_t i = 0; i < p->n; i++)
        bytes += p->len[i];
    ctx->tag_ready = ctx->enc;
    zc_stats_count_ops(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg, p->n);
    zc_stats_count_bytes(&ctx->provctx->stats, ctx->backend->id, ctx->kind->alg, bytes);
    return 1;
}

/* The param's value: an array of p->n tag pointers, each of data_size. */
static unsigned char **zc_pipe_tag_array(zc_aead_ctx *ctx, const OSSL_PARAM *prm)
{
    unsigned char **tags = NULL;
    size_t sz = 0;

    if (ctx->pipe == NULL || ctx->pipe->phase == ZC_PIPE_OFF) {
        ZC_PIPE_RAISE(ctx, ZC_R_INVALID_PIPELINE, "'%s' without a pipeline init", prm->key);
        return NULL;
    }
    if (!OSSL_PARAM_get_octet_ptr(prm, (const void **)&tags, &sz) || tags == NULL) {
        ZC_PIPE_RAISE(ctx, ZC_R_BAD_PARAMETER, "'%s' must be an octet pointer to %zu tag "
                      "pointers", prm->key, ctx->pipe->n);
        return NULL;
    }
    if (sz == 0 || sz > ZC_TAG_LEN) {
        ZC_PIPE_RAISE(ctx, ZC_R_INVALID_TAG_LENGTH, "tag length %zu (allowed 1..16)", sz);
        return NULL;
    }
    for (size_t i = 0; i < ctx->pipe->n; i++)
        if (tags[i] == NULL) {
            ZC_PIPE_RAISE(ctx, ZC_R_BAD_PARAMETER, "pipe %zu: NULL tag buffer", i);
            return NULL;
        }
    return tags;
}

int zc_pipe_tag_get(zc_aead_ctx *ctx, OSSL_PARAM *prm)
{
    unsigned char **tags = zc_pipe_tag_array(ctx, prm);
    zc_pipe *p = ctx->pipe;

    if (tags == NULL)
        return 0;
    if (!ctx->enc || p->phase != ZC_PIPE_DONE || !ctx->tag_ready) {
        ZC_PIPE_RAISE(ctx, ZC_R_TAG_NOT_READY, "%s", "tags come after a successful encrypt final");
        return 0;
    }
    for (size_t i = 0; i < p->n; i++)
        memcpy(tags[i], p->tag[i], prm->data_size);
    return 1;
}

int zc_pipe_tag_set(zc_aead_ctx *ctx, const OSSL_PARAM *prm)
{
    unsigned char **tags = zc_pipe_tag_array(ctx, prm);
    zc_pipe *p = ctx->pipe;

    if (tags == NULL)
        return 0;
    if (ctx->enc) {
        ZC_PIPE_RAISE(ctx, ZC_R_TAG_NOT_NEEDED, "%s", "tags are set only when decrypting");
        return 0;
    }
    if (p->phase == ZC_PIPE_DONE) {
        ZC_PIPE_RAISE(ctx, ZC_R_MESSAGE_FINISHED, "%s", "tags set after final");
        return 0;
    }
    for (size_t i = 0; i < p->n; i++)
        memcpy(p->want[i], tags[i], prm->data_size);
    p->taglen = prm->data_size;
    p->tags_set = 1;
    return 1;
}
