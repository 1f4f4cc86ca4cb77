/*
 * Private to ciphers/: the one AEAD context both AES-GCM and
 * ChaCha20-Poly1305 share. The EVP and TLS plumbing lives once, in
 * zc_aead*.c; an algorithm differs only by its zc_aead_kind.
 */
#ifndef ZC_CIPHERS_INTERNAL_H
#define ZC_CIPHERS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/core.h>
#include "zc_backend.h"
#include "zc_provider.h"
#include "zc_async.h"

#define ZC_GCM_IV_MAX      128  /* as the default provider: 1024-bit IVs */
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
    unsigned char iv[ZC_GCM_IV_MAX];    /* configured IV (GCM: advanced by IV gen) */
    unsigned char msg_iv[ZC_GCM_IV_MAX];/* the IV/nonce the current message uses */
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
    uint64_t tls_enc_records;

    int enc;
    int key_set;
    int tls_aad_set;                /* next update is one whole TLS 1.2 record */
    int iv_gen;                     /* GCM: fixed IV set, invocation field counts */
    int iv_gen_rand;
    int tag_ready;                  /* encrypt: tag holds this message's tag */
    int urgent;                     /* zcrypto-priority=urgent: never offload */
    zc_async_slot in_flight;        /* offloaded request, while paused */
    zc_msg_phase phase;
} zc_aead_ctx;

/* zc_aead.c: lifecycle and the message engine. */
void *zc_aead_newctx(void *provctx, const zc_aead_kind *kind);
int zc_aead_key_install(zc_aead_ctx *ctx, const unsigned char *key, size_t keylen);
int zc_aead_set_iv(zc_aead_ctx *ctx, const unsigned char *iv, size_t ivlen);
/* Arms a new message with ctx->iv as its IV (phase READY, AAD cleared). */
void zc_aead_msg_arm(zc_aead_ctx *ctx);
int zc_aead_rand(zc_aead_ctx *ctx, unsigned char *buf, size_t len);
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

#define ZC_PARAM_PRIORITY   "zcrypto-priority"
#define ZC_PARAM_TEST_STALL "zcrypto-test-stall"

#define ZC_CTX_RAISE(ctx, reason, ...) \
    ZC_raise((ctx)->provctx->handle, (reason), __VA_ARGS__)

#endif
