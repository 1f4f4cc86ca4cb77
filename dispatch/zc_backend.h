/*
 * Backend interface: the contract between ciphers/ (EVP plumbing) and the
 * engines that do the arithmetic. Each backend is a const table chosen once
 * at provider init; nothing here knows about OSSL_PARAM or EVP.
 */
#ifndef ZC_BACKEND_H
#define ZC_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "zc_ids.h"  /* zc_alg, zc_backend_id and their names */

#define ZC_TAG_LEN 16

/*
 * Wipes secrets on the per-message path (both layers: message state,
 * computed tags): a memset the compiler must keep (the empty asm may read
 * the memory). OPENSSL_cleanse does the same through a slow loop: 91
 * cycles for the 640-byte Poly1305 state and 141 for a 1 KiB keystream
 * buffer on AVX-512 EPYC, against 18 and 24.
 */
static inline void zc_wipe(void *p, size_t n)
{
    memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
}
/*
 * Storage the cipher layer reserves per ctx. Both regions are 64-byte
 * aligned (ipsec-mb's gcm_key_data crashes when it is not). The key state is
 * a secret (round keys, hash key): the caller cleanses it.
 */
#if defined(ZC_IMB_GCM_KEY_BYTES)
/* The ipsec-mb AES-GCM key: ipsec-mb's struct gcm_key_data (1024 bytes in
 * 1.3, 1280 in 2.0; configure measures it), our header line, and our own
 * x86 GCM key for short messages (round keys, 32 powers of H: at most
 * ZC_X86_GCM_KEY_MAX), rounded to whole cache lines. */
#define ZC_X86_GCM_KEY_MAX 896
#define ZC_KEY_STATE_MAX ((ZC_IMB_GCM_KEY_BYTES + 64 + ZC_X86_GCM_KEY_MAX + 63) / 64 * 64)
#else
#define ZC_KEY_STATE_MAX 1152
#endif
#define ZC_MSG_STATE_MAX 2048

/*
 * One message = msg_start (IV and the whole AAD at once), any number of
 * msg_update calls of any length (in place allowed: out == in), msg_finish.
 * ipsec-mb 1.3 takes AAD only at start, so the cipher layer buffers AAD.
 * msg_finish always writes the full 16-byte computed tag; the caller
 * truncates and, on decrypt, compares in constant time. msg_finish also
 * wipes whatever secret msg_state held (keystream, hash state): only the
 * backend knows how much of the region it used.
 * All functions return 1 on success, 0 on failure (never a partial write
 * that the caller could mistake for success).
 */
/* One whole message of a batch under one key (msg_batch). */
typedef struct zc_batch_msg {
    const unsigned char *iv, *aad, *in;
    unsigned char *out;
    size_t ivlen, aadlen, len;
    unsigned char tag[ZC_TAG_LEN];  /* computed (decrypt too: the caller compares) */
} zc_batch_msg;

typedef struct zc_aead_ops {
    int (*key_setup)(void *key_state, const unsigned char *key);
    /* first_len: the length of the msg_update about to follow (0: none or
     * not known), a hint for sizing work done ahead, not a promise. */
    int (*msg_start)(const void *key_state, void *msg_state,
                     const unsigned char *iv, size_t ivlen,
                     const unsigned char *aad, size_t aadlen, size_t first_len);
    int (*msg_update)(const void *key_state, void *msg_state,
                      unsigned char *out, const unsigned char *in,
                      size_t len, int enc);
    int (*msg_finish)(const void *key_state, void *msg_state,
                      unsigned char tag[ZC_TAG_LEN], int enc);
    /*
     * Optional (may be NULL): one whole message in one call, for TLS
     * records, when the backend has a faster path for it than
     * start/update/finish. Writes out and the computed tag; returns -1 to
     * decline (the caller then uses start/update/finish).
     */
    int (*msg_oneshot)(const void *key_state, const unsigned char *iv, size_t ivlen,
                       const unsigned char *aad, size_t aadlen, unsigned char *out,
                       const unsigned char *in, size_t len,
                       unsigned char tag[ZC_TAG_LEN], int enc);
    /*
     * Optional (may be NULL): n whole messages at once (the pipeline API),
     * where the backend has multi-lane code that runs several packets in
     * one pass; it picks which go through it and sends the rest (long
     * ones) to its single-message path. Writes every out and tag; 1 ok,
     * 0 failure.
     */
    int (*msg_batch)(const void *key_state, zc_batch_msg *msgs, size_t n, int enc);
    /*
     * Optional (may be NULL): msg_start and the message's first msg_update
     * in one call, leaving the state as those two would (more updates may
     * follow, then msg_finish). It is how a TLS 1.3 record arrives through
     * EVP (IV, AAD, one update, final): one backend call where the data
     * is, so a short record does not pay for the layers twice.
     */
    int (*msg_first)(const void *key_state, void *msg_state, const unsigned char *iv,
                     size_t ivlen, const unsigned char *aad, size_t aadlen,
                     unsigned char *out, const unsigned char *in, size_t len, int enc);
} zc_aead_ops;

/*
 * n whole messages on any backend: msg_batch where it has one and lanes
 * (its load-time self-test passed), else one after another (one-shot where the backend takes it, else start, update,
 * finish on scratch state, which finish wipes). For work handed over as a
 * batch (an offloaded pipeline burst), whatever the backend.
 */
static inline int zc_aead_batch_any(const zc_aead_ops *ops, const void *key_state,
                                    zc_batch_msg *m, size_t n, int enc, int lanes)
{
    if (lanes && ops->msg_batch != NULL)
        return ops->msg_batch(key_state, m, n, enc);
    for (size_t i = 0; i < n; i++) {
        int r = ops->msg_oneshot == NULL ? -1
                : ops->msg_oneshot(key_state, m[i].iv, m[i].ivlen, m[i].aad, m[i].aadlen,
                                   m[i].out, m[i].in, m[i].len, m[i].tag, enc);

        if (r < 0) {
            unsigned char st[ZC_MSG_STATE_MAX] __attribute__((aligned(64)));

            r = ops->msg_start(key_state, st, m[i].iv, m[i].ivlen, m[i].aad, m[i].aadlen,
                               m[i].len)
                && ops->msg_update(key_state, st, m[i].out, m[i].in, m[i].len, enc)
                && ops->msg_finish(key_state, st, m[i].tag, enc);
        }
        if (r != 1)
            return 0;
    }
    return 1;
}

typedef struct zc_backend {
    zc_backend_id id;
    const char *name;        /* config value: "avx512", "portable", ... */
    const char *description; /* for buildinfo / list -providers */
    /* 1 if this CPU and build can run it (no side effects, cheap). */
    int (*available)(void);
    /*
     * Called once per provider instance that selects it, before any op.
     * Runs the engine's known-answer self-test; 0 switches the backend off.
     */
    int (*activate)(void);
    /* What the backend runs on, found at run time (library version, code
     * type), for buildinfo; writes "" when it has nothing to add. May be NULL. */
    void (*detail)(char *buf, size_t len);
    /* Drops the calling thread's state (thread stop). May be NULL. */
    void (*thread_stop)(void);
    /* Pairs with activate: last release frees every thread's state. */
    void (*release)(void);
    const zc_aead_ops *aead[ZC_ALG_COUNT];
} zc_backend;

/* Every backend compiled in, indexed by zc_backend_id (NULL if absent). */
const zc_backend *zc_backend_get(zc_backend_id id);
/* Lookup by config name; NULL if the name is unknown. "auto" is not a backend. */
/* Best available backend for this CPU (never NULL: portable always works). */
const zc_backend *zc_backend_best(void);
/* Space-separated names of the backends this CPU can run, best first. */
const char *zc_backend_available_list(void);

extern const zc_backend zc_backend_portable;
#ifdef ZC_HAVE_IPSEC_MB
extern const zc_backend zc_backend_imb_sse;
#if HAVE_DECL_INIT_MB_MGR_AVX
extern const zc_backend zc_backend_imb_avx; /* ipsec-mb 1.x only */
#endif
extern const zc_backend zc_backend_imb_avx2;
extern const zc_backend zc_backend_imb_avx512;
#endif
#ifdef ZC_HAVE_NEON
extern const zc_backend zc_backend_neon;
#endif

static inline size_t zc_alg_keylen(zc_alg alg)
{
    switch (alg) {
    case ZC_ALG_AES_128_GCM: return 16;
    case ZC_ALG_AES_192_GCM: return 24;
    default:                 return 32;
    }
}

#endif
