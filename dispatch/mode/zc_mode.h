/*
 * AEAD modes on top of a backend's block primitives. GCM and
 * ChaCha20-Poly1305 framing (IV handling, AAD, partial blocks across
 * streaming updates, length block, tag) is written once here; a backend
 * supplies only what differs between CPUs: the block cipher in counter
 * mode, the hash, and its own key layout. The key state is opaque to the
 * modes; the message state is the mode's.
 */
#ifndef ZC_MODE_H
#define ZC_MODE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "zc_backend.h"

/* ---------------------------------------------------------------- GCM */
typedef struct zc_gcm_prims {
    /* out = E_K(in), one block (H at key setup, E_K(J0) for the tag). */
    void (*block)(const void *key, const unsigned char in[16], unsigned char out[16]);
    /*
     * out = in ^ E_K(ctr), E_K(ctr + 1), ... for nblocks whole blocks; ctr's
     * last four bytes are a big-endian counter that wraps. ctr is advanced.
     * out == in is allowed.
     */
    void (*ctr32)(const void *key, unsigned char ctr[16], unsigned char *out,
                  const unsigned char *in, size_t nblocks);
    /* x = (x ^ in_i) * H for each of nblocks blocks (x in GCM byte order). */
    void (*ghash)(const void *key, unsigned char x[16], const unsigned char *in,
                  size_t nblocks);
} zc_gcm_prims;

int zc_gcm_mode_start(const zc_gcm_prims *p, const void *key, void *msg,
                      const unsigned char *iv, size_t ivlen,
                      const unsigned char *aad, size_t aadlen, size_t first_len);
int zc_gcm_mode_update(const zc_gcm_prims *p, const void *key, void *msg,
                       unsigned char *out, const unsigned char *in, size_t len, int enc);
int zc_gcm_mode_finish(const zc_gcm_prims *p, const void *key, void *msg,
                       unsigned char tag[ZC_TAG_LEN]);

/* ------------------------------------------------- ChaCha20-Poly1305 */
#define ZC_POLY_STATE_MAX 640
#define ZC_CP_LANES_MAX 16

/*
 * One packet's Poly1305 input for poly_lanes: the blocks of seg[0], then
 * seg[1] .. seg[3] (nblocks[i] 16-byte blocks each, 0 allowed). The AEAD
 * gives AAD and ciphertext in place and their padded tails and the lengths
 * block from scratch, so the lanes copy nothing.
 */
typedef struct zc_poly_lane_msg {
    const unsigned char *seg[4];
    size_t nblocks[4];
} zc_poly_lane_msg;

typedef struct zc_chachapoly_prims {
    /*
     * out = in ^ ChaCha20 keystream blocks counter, counter + 1, ... for
     * nblocks whole 64-byte blocks. out == in is allowed.
     */
    void (*chacha20)(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                     unsigned char *out, const unsigned char *in, size_t nblocks);
    /*
     * Poly1305 over whole 16-byte blocks only: the AEAD pads everything it
     * authenticates to 16 bytes, so the partial-block rule of the bare MAC
     * never applies. State lives in ZC_POLY_STATE_MAX bytes, 16-aligned.
     */
    void (*poly_init)(void *st, const unsigned char key[32]);
    void (*poly_blocks)(void *st, const unsigned char *in, size_t nblocks);
    void (*poly_finish)(void *st, unsigned char tag[16]); /* wipes st */
    /*
     * The backend's full-width pass in blocks (1 to ZC_CP_KS_BLOCKS): how
     * much keystream the mode computes ahead once short updates stream in
     * (they then share one call), and from what length an update goes
     * straight to the backend. A message's first call makes block 0 (the
     * Poly1305 key) and what the first update needs, up to eight blocks; a
     * one-shot message never computes past its end.
     */
    unsigned ks_blocks;
    /*
     * Nonzero: ks_blocks + 1 blocks cost about what ks_blocks do (the extra
     * block rides in the same rounds), so a message of whole passes gets
     * block 0 from its first pass instead of a call of its own.
     */
    unsigned pass_plus1;
    /*
     * Optional (NULL: none): one keystream block for each of `lanes`
     * packets at once, lane j with its own counter ctr[j] and nonce words
     * nonce[0..2][j]; ks[64 j ..] is lane j's block. The batch path
     * (zc_chachapoly_mode_batch) runs short packets of a burst through it,
     * one packet per 32-bit lane, instead of one packet after another.
     */
    void (*chacha20_lanes)(const uint32_t key[8], const uint32_t ctr[ZC_CP_LANES_MAX],
                           const uint32_t nonce[3][ZC_CP_LANES_MAX], unsigned char *ks);
    unsigned lanes;
    /*
     * Optional (NULL: Poly1305 one packet after another): the tags of cnt
     * (up to ZC_CP_LANES_MAX) packets at once, packet j keyed by key[j],
     * its blocks msg[j], its tag written to tag[j].
     */
    void (*poly_lanes)(const unsigned char (*key)[32], const zc_poly_lane_msg *msg,
                       size_t cnt, unsigned char *const tag[]);
    /*
     * With chacha20_lanes: packets of up to this many 64-byte blocks go
     * through the lanes; longer ones keep the single-message path, whose
     * full-width passes fill the vectors as well (measured per backend).
     */
    unsigned lanes_max_blocks;
    /*
     * With poly_lanes: a group whose longest packet has more 64-byte blocks
     * takes its tags one packet after another (0: no bound), where the
     * backend's one-packet vector Poly1305 is faster (measured per backend).
     */
    unsigned poly_lanes_max_blocks;
} zc_chachapoly_prims;

#define ZC_CP_KS_BLOCKS 16

/* The ChaCha20-Poly1305 key state the mode expects: the key as words. */
typedef struct zc_chachapoly_key {
    uint32_t k[8];
} zc_chachapoly_key;

int zc_chachapoly_mode_key_setup(void *key_state, const unsigned char *key);
int zc_chachapoly_mode_start(const zc_chachapoly_prims *p, const void *key, void *msg,
                             const unsigned char *iv, size_t ivlen,
                             const unsigned char *aad, size_t aadlen, size_t first_len);
int zc_chachapoly_mode_update(const zc_chachapoly_prims *p, const void *key, void *msg,
                              unsigned char *out, const unsigned char *in, size_t len,
                              int enc);
int zc_chachapoly_mode_finish(const zc_chachapoly_prims *p, const void *key, void *msg,
                              unsigned char tag[ZC_TAG_LEN]);
int zc_chachapoly_mode_oneshot(const zc_chachapoly_prims *p, const void *key,
                               const unsigned char *iv, size_t ivlen,
                               const unsigned char *aad, size_t aadlen, unsigned char *out,
                               const unsigned char *in, size_t len,
                               unsigned char tag[ZC_TAG_LEN], int enc);
/* n whole messages: short ones through chacha20_lanes, the rest one by one. */
int zc_chachapoly_mode_batch(const zc_chachapoly_prims *p, const void *key,
                             zc_batch_msg *msgs, size_t n, int enc);

/* 64-bit scalar Poly1305 (44/44/42-bit limbs, 128-bit products): for
 * backends on 64-bit CPUs; the portable backend keeps 26-bit limbs. */
void zc_poly1305_64_init(void *st, const unsigned char key[32]);
void zc_poly1305_64_blocks(void *st, const unsigned char *in, size_t nblocks);
void zc_poly1305_64_finish(void *st, unsigned char tag[16]);

/*
 * The zc_aead_ops entry points of one backend's mode instance: thin
 * adapters that bind the backend's primitive table, so a backend file
 * states its table once and never repeats the framing.
 */
#define ZC_MODE_OPS(name, mode, prims, key_setup_fn, oneshot_fn, batch_fn)            \
    static int name##_start(const void *k, void *m, const unsigned char *iv,          \
                            size_t ivlen, const unsigned char *aad, size_t aadlen,    \
                            size_t first_len)                                         \
    {                                                                                 \
        return zc_##mode##_mode_start(&(prims), k, m, iv, ivlen, aad, aadlen,         \
                                      first_len);                                     \
    }                                                                                 \
    static int name##_update(const void *k, void *m, unsigned char *out,              \
                             const unsigned char *in, size_t len, int enc)            \
    {                                                                                 \
        return zc_##mode##_mode_update(&(prims), k, m, out, in, len, enc);            \
    }                                                                                 \
    static int name##_finish(const void *k, void *m, unsigned char tag[ZC_TAG_LEN],   \
                             int enc)                                                 \
    {                                                                                 \
        (void)enc;                                                                    \
        return zc_##mode##_mode_finish(&(prims), k, m, tag);                          \
    }                                                                                 \
    static int name##_first(const void *k, void *m, const unsigned char *iv,          \
                            size_t ivlen, const unsigned char *aad, size_t aadlen,    \
                            unsigned char *out, const unsigned char *in, size_t len,  \
                            int enc)                                                  \
    {                                                                                 \
        return zc_##mode##_mode_start(&(prims), k, m, iv, ivlen, aad, aadlen, len)    \
               && zc_##mode##_mode_update(&(prims), k, m, out, in, len, enc);         \
    }                                                                                 \
    static const zc_aead_ops name = {                                                 \
        key_setup_fn, name##_start, name##_update, name##_finish, oneshot_fn, batch_fn, \
        name##_first,                                                                 \
    };

#define ZC_GCM_MODE_OPS(name, prims, key_setup_fn) \
    ZC_MODE_OPS(name, gcm, prims, key_setup_fn, NULL, NULL)
#define ZC_CHACHAPOLY_MODE_OPS(name, prims)                                               \
    static int name##_oneshot(const void *k, const unsigned char *iv, size_t ivlen,       \
                              const unsigned char *aad, size_t aadlen, unsigned char *out, \
                              const unsigned char *in, size_t len,                        \
                              unsigned char tag[ZC_TAG_LEN], int enc)                     \
    {                                                                                     \
        return zc_chachapoly_mode_oneshot(&(prims), k, iv, ivlen, aad, aadlen, out, in,   \
                                          len, tag, enc);                                 \
    }                                                                                     \
    static int name##_batch(const void *k, zc_batch_msg *msgs, size_t n, int enc)         \
    {                                                                                     \
        return zc_chachapoly_mode_batch(&(prims), k, msgs, n, enc);                       \
    }                                                                                     \
    ZC_MODE_OPS(name, chachapoly, prims, zc_chachapoly_mode_key_setup, name##_oneshot,    \
                name##_batch)

/*
 * The 20 ChaCha rounds as 10 column + diagonal double rounds over a state
 * x[16], for any quarter-round QR(a, b, c, d): scalar words or vectors of
 * words from several blocks. Two double rounds per loop pass: with one,
 * GCC carries the 16 state registers round the loop with a register copy
 * each (16 extra instructions per double round in the AVX-512 code).
 */
#define ZC_CHACHA20_DOUBLE_ROUND(QR, x)                                       \
    QR(x[0], x[4], x[8], x[12]);                                              \
    QR(x[1], x[5], x[9], x[13]);                                              \
    QR(x[2], x[6], x[10], x[14]);                                             \
    QR(x[3], x[7], x[11], x[15]);                                             \
    QR(x[0], x[5], x[10], x[15]);                                             \
    QR(x[1], x[6], x[11], x[12]);                                             \
    QR(x[2], x[7], x[8], x[13]);                                              \
    QR(x[3], x[4], x[9], x[14])

#define ZC_CHACHA20_ROUNDS(QR, x)                                             \
    for (int zc_round = 0; zc_round < 5; zc_round++) {                        \
        ZC_CHACHA20_DOUBLE_ROUND(QR, x);                                      \
        ZC_CHACHA20_DOUBLE_ROUND(QR, x);                                      \
    }

#endif
