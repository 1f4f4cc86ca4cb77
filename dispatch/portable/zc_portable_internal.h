/*
 * Private to the portable backend: plain C, no intrinsics, constant time
 * (no secret-dependent branches or table indices), any endianness.
 */
#ifndef ZC_PORTABLE_INTERNAL_H
#define ZC_PORTABLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t zc_load32_le(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void zc_store32_le(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

static inline uint64_t zc_load64_be(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static inline void zc_store64_be(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

/* AES encryption only (GCM never decrypts blocks). */
typedef struct zc_aes_key {
    uint8_t rk[15][16];
    int rounds;
} zc_aes_key;

void zc_aes_expand(zc_aes_key *k, const unsigned char *key, size_t keylen);
void zc_aes_encrypt(const zc_aes_key *k, const unsigned char in[16], unsigned char out[16]);

/* GHASH over GF(2^128) with the hash key H, constant time. */
typedef struct zc_ghash_key {
    uint64_t hi, lo;
} zc_ghash_key;

void zc_ghash_mul(const zc_ghash_key *h, uint64_t *xhi, uint64_t *xlo);

/* ChaCha20 (RFC 8439): 32-byte key as words, block counter, 96-bit nonce. */
void zc_chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                       unsigned char out[64]);

/* Poly1305 in 26-bit limbs (no 128-bit types needed), whole blocks only:
 * the zc_chachapoly_prims poly_* contract; state in ZC_POLY_STATE_MAX. */
void zc_poly1305_init(void *st, const unsigned char key[32]);
void zc_poly1305_blocks(void *st, const unsigned char *in, size_t nblocks);
void zc_poly1305_finish(void *st, unsigned char tag[16]);

#endif
