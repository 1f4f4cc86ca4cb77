/*
 * Private to ciphers/: the one AEAD context both AES-GCM and
 * ChaCha20-Poly1305 share. The EVP and TLS plumbing lives once, in
 * zc_aead*.c; an algorithm differs only by its zc_aead_kind.
 */
#ifndef ZC_CIPHERS_INTERNAL_H
#define ZC_CIPHERS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <openssl/core.h>
#include "zc_backend.h"
#include "zc_provider.h"
#include "zc_async.h"
#include "zc_ct.h"

/* GCM IVs up to this length live in the context; longer ones (GCM allows
 * up to 2^64 - 1 bits, the default provider stops at 1024) on the heap. */
#define ZC_GCM_IV_INLINE   128
/* The longest GCM IV taken. SP 800-38D allows 2^64 - 1 bits, but setting
 * the length reserves (and freeing wipes) twice that much: without a bound
 * one ivlen param from an untrusted peer of the app would make the context
 * gigabytes. 64 KiB is 500 times the default provider's limit. */
#define ZC_GCM_IV_MAX      65536
#define ZC_CHACHA_IV_LEN   12
#define ZC_AAD_INLINE      64   /* TLS AAD is 5 or 13 bytes: never allocates */
#define ZC_TLS_AAD_LEN     13
#define ZC_TLS_FIXED_IV    4
#define ZC_TLS_EXPLICIT_IV 8

typedef enum zc_aead_family {
    ZC_FAMILY_GCM,
    ZC_FAMILY_CHACHA_POLY
} zc_aead_family;

/* The static description of one algorithm. */
typedef struct zc_aead_kind {
    zc_alg alg;
    zc_aead_family family;
    size_t keylen;
} zc_aead_kind;

/*
 * Where the current message stands. Data may only follow AAD; a finished
 * message needs a new IV (GCM: or TLS record setup) before more input.
 */
typedef enum zc_msg_phase {
    ZC_MSG_NO_IV = 0,   /* no IV yet (GCM encrypt generates one at first use) */
    ZC_MSG_READY,       /* IV armed, nothing processed */
    ZC_MSG_AAD,         /* AAD being collected */
    ZC_MSG_DATA,        /* backend message started, data flowing */
    ZC_MSG_DONE         /* final done (or IV invalidated) */
} zc_msg_phase;

/* Pipeline (batch) state, zc_aead_pipe.c; NULL until a pipeline init. */
#define ZC_PIPE_MAX 64
typedef struct zc_pipe zc_pipe;

typedef struct zc_aead_ctx {
    /* Backend state first: both need 64-byte alignment (ctx is allocated so). */
    unsigned char key_state[ZC_KEY_STATE_MAX] __attribute__((aligned(64)));
    unsigned char msg_state[ZC_MSG_STATE_MAX] __attribute__((aligned(64)));

    void *alloc_base;               /* what OPENSSL_free gets */
    zc_provctx *provctx;
    const zc_aead_kind *kind;
    const zc_backend *backend;
    const zc_aead_ops *ops;

    unsigned char key[32];          /* raw key: detects re-init with the same key */
    /* Both IVs are read through zc_aead_iv() / zc_aead_msg_iv(). */
    unsigned char iv_inline[ZC_GCM_IV_INLINE];    /* configured IV (GCM: advanced by IV gen) */
    unsigned char msg_iv_inline[ZC_GCM_IV_INLINE];/* the IV/nonce the current message uses */
    unsigned char *iv_heap;         /* ivlen > ZC_GCM_IV_INLINE: iv, then msg_iv */
    size_t iv_heap_cap;             /* bytes of each of the two halves */
    unsigned char tag[ZC_TAG_LEN];  /* encrypt: computed; decrypt: expected */
    unsigned char tls_aad[ZC_TLS_AAD_LEN];
    unsigned char aad_inline[ZC_AAD_INLINE];
    unsigned char *aad_heap;        /* only for AAD longer than ZC_AAD_INLINE */
    size_t aad_cap, aad_len;

    size_t ivlen;
    size_t taglen;                  /* 0: unset */
    size_t tls_aad_pad;             /* what tlsaadpad reports */
    size_t tls_payload_len;         /* ChaCha TLS record payload, from the AAD */
    uint64_t data_len;              /* bytes of data in this message */
    uint64_t bytes_unreported;      /* processed, not yet added to the stats */
    uint64_t lat_t0;                /* sampled message: its start (0: not sampled) */
    unsigned lat_countdown;         /* messages until the next latency sample */
    uint64_t tls_enc_records;

    int enc;
    int key_set;
    int tls_aad_set;                /* next update is one whole TLS 1.2 record */
    int iv_gen;                     /* GCM: fixed IV set, invocation field counts */
    int iv_gen_rand;
    int tag_ready;                  /* encrypt: tag holds this message's tag */
    int urgent;                     /* zcrypto-priority=urgent: never offload */
    zc_async_slot in_flight;        /* offloaded request, while paused */
    zc_pipe *pipe;
    zc_msg_phase phase;
} zc_aead_ctx;

/* The configured and the message IV: inline unless the IV is longer. */
static inline unsigned char *zc_aead_iv(zc_aead_ctx *ctx)
{
    return ctx->ivlen <= ZC_GCM_IV_INLINE ? ctx->iv_inline : ctx->iv_heap;
}

static inline unsigned char *zc_aead_msg_iv(zc_aead_ctx *ctx)
{
    return ctx->ivlen <= ZC_GCM_IV_INLINE ? ctx->msg_iv_inline : ctx->iv_heap + ctx->iv_heap_cap;
}

/*
 * Constant-time equality of two keys (16, 24 or 32 bytes) or of two full
 * tags: whole-word XORs folded together, no early exit. Inline because it
 * runs on every re-key and every opened record, where an out-of-line byte
 * loop costs more than the rest of the check.
 */
static inline int zc_key_equal(const unsigned char *a, const unsigned char *b, size_t len)
{
    uint64_t acc = 0, x, y;

    if (ZC_CT_CANARY_TAG_ARMED())  /* test builds only, see zc_ct.h */
        return zc_ct_canary_equal(a, b, len);
    for (size_t i = 0; i < len; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        acc |= x ^ y;
    }
    int eq = acc == 0;

    /* The verdict is public (the caller acts on it); its inputs are not. */
    ZC_CT_PUBLIC(&eq, sizeof(eq));
    return eq;
}

/* zc_aead.c: lifecycle and the message engine. */
/* Makes room for an IV of ivlen bytes (a no-op up to ZC_GCM_IV_INLINE). */
int zc_aead_iv_reserve(zc_aead_ctx *ctx, size_t ivlen);
void *zc_aead_newctx(void *provctx, const zc_aead_kind *kind);
int zc_aead_key_install(zc_aead_ctx *ctx, const unsigned char *key, size_t keylen);
int zc_aead_set_iv(zc_aead_ctx *ctx, const unsigned char *iv, size_t ivlen);
/* IV copies: the 96-bit IV of TLS in two moves, not a libc call. */
static inline void zc_iv_copy(unsigned char *dst, const unsigned char *src, size_t len)
{
    if (len == 12)
        memcpy(dst, src, 12);
    else
        memcpy(dst, src, len);
}

/* Arms a new message with ctx->iv as its IV (phase READY, AAD cleared);
 * inline: every record's init runs it. */
static inline void zc_aead_msg_arm(zc_aead_ctx *ctx)
{
    zc_iv_copy(zc_aead_msg_iv(ctx), zc_aead_iv(ctx), ctx->ivlen);
    ctx->aad_len = 0;
    ctx->data_len = 0;
    ctx->phase = ZC_MSG_READY;
}
int zc_aead_rand(zc_aead_ctx *ctx, unsigned char *buf, size_t len);
/* One whole message through the backend: out and the computed tag, which
 * the caller judges; a backend failure raises (and wipes out on decrypt). */
int zc_aead_record_run(zc_aead_ctx *ctx, const unsigned char *nonce, size_t noncelen,
                       const unsigned char *aad, size_t aadlen,
                       unsigned char *out, const unsigned char *in, size_t len,
                       unsigned char computed[ZC_TAG_LEN]);
/* One whole message in one call: the TLS record path. Decrypt compares
 * tag_in in constant time and wipes out on mismatch. */
int zc_aead_oneshot(zc_aead_ctx *ctx, const unsigned char *nonce, size_t noncelen,
                    const unsigned char *aad, size_t aadlen,
                    unsigned char *out, const unsigned char *in, size_t len,
                    unsigned char *tag_out, const unsigned char *tag_in);

/* zc_aead_params.c */
int zc_aead_get_ctx_params(void *vctx, OSSL_PARAM params[]);
int zc_aead_set_ctx_params(void *vctx, const OSSL_PARAM params[]);
const OSSL_PARAM *zc_aead_gettable_ctx_params(void *vctx, void *provctx);
const OSSL_PARAM *zc_aead_settable_ctx_params(void *vctx, void *provctx);
const OSSL_PARAM *zc_chacha_gettable_ctx_params(void *vctx, void *provctx);
const OSSL_PARAM *zc_chacha_settable_ctx_params(void *vctx, void *provctx);
const OSSL_PARAM *zc_aead_gettable_params(void *provctx);
int zc_aead_get_alg_params(const zc_aead_kind *kind, OSSL_PARAM params[]);

/* zc_aead_tls.c: TLS 1.2 record handling and IV generation. */
size_t zc_tls_aad_set(zc_aead_ctx *ctx, const unsigned char *aad, size_t len);
int zc_tls_iv_fixed_set(zc_aead_ctx *ctx, const unsigned char *iv, size_t len);
int zc_tls_iv_gen(zc_aead_ctx *ctx, unsigned char *out, size_t outlen);
int zc_tls_iv_inv_set(zc_aead_ctx *ctx, const unsigned char *in, size_t inlen);
int zc_tls_record(zc_aead_ctx *ctx, unsigned char *out, size_t *outl,
                  const unsigned char *in, size_t inl);

/* Dispatch entry points shared by every algorithm (zc_aead.c). */
void zc_aead_freectx(void *vctx);
void *zc_aead_dupctx(void *vctx);
int zc_aead_einit(void *vctx, const unsigned char *key, size_t keylen,
                  const unsigned char *iv, size_t ivlen, const OSSL_PARAM params[]);
int zc_aead_dinit(void *vctx, const unsigned char *key, size_t keylen,
                  const unsigned char *iv, size_t ivlen, const OSSL_PARAM params[]);
int zc_aead_update(void *vctx, unsigned char *out, size_t *outl, size_t outsize,
                   const unsigned char *in, size_t inl);
int zc_aead_final(void *vctx, unsigned char *out, size_t *outl, size_t outsize);
int zc_aead_cipher(void *vctx, unsigned char *out, size_t *outl, size_t outsize,
                   const unsigned char *in, size_t inl);

/* zc_aead_pipe.c: OpenSSL 3.5's pipeline functions (compiled with 3.5+). */
void zc_pipe_free(zc_aead_ctx *ctx);
int zc_pipe_dup(zc_aead_ctx *dst, const zc_aead_ctx *src);
/* An init of the one-message API ends any pipeline message. */
void zc_pipe_off(zc_aead_ctx *ctx);
int zc_pipe_einit(void *vctx, const unsigned char *key, size_t keylen, size_t numpipes,
                  const unsigned char **iv, size_t ivlen, const OSSL_PARAM params[]);
int zc_pipe_dinit(void *vctx, const unsigned char *key, size_t keylen, size_t numpipes,
                  const unsigned char **iv, size_t ivlen, const OSSL_PARAM params[]);
int zc_pipe_update(void *vctx, size_t numpipes, unsigned char **out, size_t *outl,
                   const size_t *outsize, const unsigned char **in, const size_t *inl);
int zc_pipe_final(void *vctx, size_t numpipes, unsigned char **out, size_t *outl,
                  const size_t *outsize);
int zc_pipe_tag_get(zc_aead_ctx *ctx, OSSL_PARAM *prm);
int zc_pipe_tag_set(zc_aead_ctx *ctx, const OSSL_PARAM *prm);

#define ZC_PARAM_PRIORITY   "zcrypto-priority"
#define ZC_PARAM_TEST_STALL "zcrypto-test-stall"

#define ZC_CTX_RAISE(ctx, reason, ...) \
    ZC_raise((ctx)->provctx->handle, (reason), __VA_ARGS__)

#endif
