/*
 * zcrypto's own x86 AES-GCM for short messages (zc_x86_gcm.c). ipsec-mb's
 * streaming API costs three calls and ~450 instructions of set-up per
 * message whatever its size; here a TLS record is one AES pass over its
 * counter blocks and E_K(J0), and one GHASH pass over AAD, data and the
 * length block with a single reduction (H^1..H^16 are precomputed). The
 * ipsec-mb backends use it below a measured size (zc_imb_aead.c).
 */
#ifndef ZC_X86_GCM_H
#define ZC_X86_GCM_H

#include <stddef.h>
#include <stdint.h>
#include "zc_backend.h"

/* Blocks hashed per reduction: the powers of H kept in the key. 32 covers
 * a 480-byte record with its AAD and length block in one pass. */
#define ZC_X86_GCM_POWERS 32
/* The longest first update the one-pass (fused) path takes: J0 and 30
 * blocks in eight vectors. Longer ones run two passes and lose to
 * ipsec-mb's stitched loops. */
#define ZC_X86_GCM_FUSED_MAX 480

typedef struct zc_x86_gcm_key {
    uint8_t rk[15][16];      /* AES round keys, FIPS-197 byte order */
    /*
     * hdesc[1 + i] = H^(POWERS - i) for i < POWERS, byte-reflected and
     * multiplied by x (the form the carry-less multiply wants); a zero block
     * before and three after, so a 4-block vector load at any block of a
     * group (or one lane before it) stays inside the table, and lanes
     * outside the group multiply by zero.
     */
    uint8_t hdesc[1 + ZC_X86_GCM_POWERS + 3][16];
    uint32_t rounds;
    uint32_t kernel;         /* index into the kernel table, not a pointer */
} __attribute__((aligned(64))) zc_x86_gcm_key;

_Static_assert(sizeof(zc_x86_gcm_key) <= ZC_X86_GCM_KEY_MAX, "grow ZC_X86_GCM_KEY_MAX");

/* The kernels (an index, so key state holds no pointer). */
typedef enum zc_x86_gcm_kernel_id {
    ZC_X86_GCM_VAES512 = 0,  /* VAES + VPCLMULQDQ on AVX-512: four blocks a vector */
    ZC_X86_GCM_VAES256,      /* VAES + VPCLMULQDQ on AVX2: two blocks a vector */
    ZC_X86_GCM_KERNELS
} zc_x86_gcm_kernel_id;

/* 1 if this CPU can run the kernel. */
int zc_x86_gcm_kernel_available(zc_x86_gcm_kernel_id id);

/* Round keys, powers of H; kernel chosen by the caller (available). */
void zc_x86_gcm_key_setup(zc_x86_gcm_key *k, const unsigned char *key, size_t keylen,
                          zc_x86_gcm_kernel_id kernel);

/*
 * The streaming message: data not yet hashed waits here (whole AAD up to
 * ZC_X86_GCM_AAD_PEND bytes, ciphertext up to ZC_X86_GCM_PEND), so a
 * short message is hashed in one pass at finish, length block included.
 */
#define ZC_X86_GCM_AAD_PEND 64
#define ZC_X86_GCM_FUSED_SHORT 1  /* the kernel's fused pass: x restarts from 0 */
#define ZC_X86_GCM_FUSED_BULK  2  /* the bulk call with its end: x restarts from xpre */
#define ZC_X86_GCM_PEND     512

typedef struct zc_x86_gcm_msg {
    uint8_t x[16];           /* hash so far, byte-reflected */
    uint8_t xpre[16];        /* ZC_X86_GCM_FUSED_BULK: the hash before pend */
    uint8_t ekj0[16];        /* E_K(J0), once have_ekj0 */
    uint8_t ks[16];          /* keystream of the block in progress */
    uint8_t j0[16];
    uint64_t aadlen, ctlen;
    uint32_t next;           /* counter index of the next whole block */
    uint32_t used;           /* bytes of the block in progress (0..15) */
    uint32_t aad_pend, pend_len, have_ekj0;
    /* The last update left the final hash in x, should no more data come
     * (ZC_X86_GCM_FUSED_*); pend holds what that hash covers since xpre
     * (or since the start: the short path), should more come. */
    uint32_t fused;
    uint8_t aad[ZC_X86_GCM_AAD_PEND];
    uint8_t pend_front[16];  /* the fused path writes whole vectors from here */
    uint8_t pend[ZC_X86_GCM_PEND];
} zc_x86_gcm_msg;

/* The secret header is wiped 16 bytes at a time. */
_Static_assert(__builtin_offsetof(zc_x86_gcm_msg, j0) % 16 == 0, "secret header size");

int zc_x86_gcm_start(const zc_x86_gcm_key *k, zc_x86_gcm_msg *m,
                     const unsigned char *iv, size_t ivlen,
                     const unsigned char *aad, size_t aadlen);
int zc_x86_gcm_update(const zc_x86_gcm_key *k, zc_x86_gcm_msg *m, unsigned char *out,
                      const unsigned char *in, size_t len, int enc);
/*
 * Short whole messages side by side (the pipeline's msg_batch): up to
 * ZC_X86_GCM_LANES at a time, each with a 96-bit IV, 1..ZC_X86_GCM_LANES_MAX
 * bytes and at most 64 bytes of AAD, where the kernel has such a pass.
 */
#define ZC_X86_GCM_LANES 4
#define ZC_X86_GCM_LANES_MAX 128
int zc_x86_gcm_has_lanes(const zc_x86_gcm_key *k);
static inline int zc_x86_gcm_lanes_fits(const zc_batch_msg *m)
{
    return m->ivlen == 12 && m->len > 0 && m->len <= ZC_X86_GCM_LANES_MAX && m->aadlen <= 64;
}
/* n (1..ZC_X86_GCM_LANES) messages that fit: every out and computed tag. */
void zc_x86_gcm_lanes(const zc_x86_gcm_key *k, zc_batch_msg *const *m, int n, int enc);

/* start, then the first update, in one call (the backend's msg_first). */
int zc_x86_gcm_first(const zc_x86_gcm_key *k, zc_x86_gcm_msg *m,
                     const unsigned char *iv, size_t ivlen,
                     const unsigned char *aad, size_t aadlen, unsigned char *out,
                     const unsigned char *in, size_t len, int enc);
/* Writes the full tag and wipes what m held. */
int zc_x86_gcm_finish(const zc_x86_gcm_key *k, zc_x86_gcm_msg *m,
                      unsigned char tag[ZC_TAG_LEN]);
/* A whole message, no state; out == in allowed. */
int zc_x86_gcm_oneshot(const zc_x86_gcm_key *k, const unsigned char *iv, size_t ivlen,
                       const unsigned char *aad, size_t aadlen, unsigned char *out,
                       const unsigned char *in, size_t len,
                       unsigned char tag[ZC_TAG_LEN], int enc);

#endif
