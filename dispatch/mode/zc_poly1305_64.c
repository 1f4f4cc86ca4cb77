/*
 * Poly1305 (RFC 8439 section 2.5) for 64-bit CPUs: h and r in three limbs
 * of 44, 44 and 42 bits, so each block costs nine 64x64->128 products
 * instead of the 25 32x32 products of the 26-bit form. Whole blocks only
 * (see zc_mode.h). The final reduction is branch-free.
 */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include "zc_mode.h"

#if defined(__SIZEOF_INT128__)

typedef unsigned __int128 zc_u128;

#define ZC_M44 UINT64_C(0xfffffffffff)
#define ZC_M42 UINT64_C(0x3ffffffffff)

typedef struct zc_poly64 {
    uint64_t r[3], s[2], h[3], pad[2];
} zc_poly64;

_Static_assert(sizeof(zc_poly64) <= ZC_POLY_STATE_MAX, "Poly1305 state too large");

static uint64_t zc_le64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void zc_put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (unsigned char)v;
}

void zc_poly1305_64_init(void *st, const unsigned char key[32])
{
    zc_poly64 *s = st;
    uint64_t t0 = zc_le64(key), t1 = zc_le64(key + 8);

    /* r clamped as the RFC requires, then split into limbs. */
    s->r[0] = t0 & UINT64_C(0xffc0fffffff);
    s->r[1] = ((t0 >> 44) | (t1 << 20)) & UINT64_C(0xfffffc0ffff);
    s->r[2] = (t1 >> 24) & UINT64_C(0x00ffffffc0f);
    /* 2^130 = 5 (mod p), and limb products that land at 2^132 carry a 4. */
    s->s[0] = s->r[1] * 20;
    s->s[1] = s->r[2] * 20;
    s->h[0] = s->h[1] = s->h[2] = 0;
    s->pad[0] = zc_le64(key + 16);
    s->pad[1] = zc_le64(key + 24);
}

void zc_poly1305_64_blocks(void *st, const unsigned char *in, size_t nblocks)
{
    zc_poly64 *s = st;
    const uint64_t r0 = s->r[0], r1 = s->r[1], r2 = s->r[2], s1 = s->s[0], s2 = s->s[1];
    uint64_t h0 = s->h[0], h1 = s->h[1], h2 = s->h[2], c;

    for (; nblocks > 0; nblocks--, in += 16) {
        uint64_t t0 = zc_le64(in), t1 = zc_le64(in + 8);
        zc_u128 d0, d1, d2;

        h0 += t0 & ZC_M44;
        h1 += ((t0 >> 44) | (t1 << 20)) & ZC_M44;
        h2 += ((t1 >> 24) & ZC_M42) | (UINT64_C(1) << 40); /* the 2^128 bit */

        d0 = (zc_u128)h0 * r0 + (zc_u128)h1 * s2 + (zc_u128)h2 * s1;
        d1 = (zc_u128)h0 * r1 + (zc_u128)h1 * r0 + (zc_u128)h2 * s2;
        d2 = (zc_u128)h0 * r2 + (zc_u128)h1 * r1 + (zc_u128)h2 * r0;

        c = (uint64_t)(d0 >> 44), h0 = (uint64_t)d0 & ZC_M44;
        d1 += c, c = (uint64_t)(d1 >> 44), h1 = (uint64_t)d1 & ZC_M44;
        d2 += c, c = (uint64_t)(d2 >> 42), h2 = (uint64_t)d2 & ZC_M42;
        h0 += c * 5, c = h0 >> 44, h0 &= ZC_M44;
        h1 += c;
    }
    s->h[0] = h0, s->h[1] = h1, s->h[2] = h2;
}

void zc_poly1305_64_finish(void *st, unsigned char tag[16])
{
    zc_poly64 *s = st;
    uint64_t h0 = s->h[0], h1 = s->h[1], h2 = s->h[2], g0, g1, g2, c, mask;

    /* Fully carry h, twice round the 2^130 wrap. */
    for (int i = 0; i < 2; i++) {
        c = h1 >> 44, h1 &= ZC_M44;
        h2 += c, c = h2 >> 42, h2 &= ZC_M42;
        h0 += c * 5, c = h0 >> 44, h0 &= ZC_M44;
        h1 += c;
    }
    c = h1 >> 44, h1 &= ZC_M44, h2 += c;

    /* g = h + 5 - 2^130 = h - p; take it when it did not go negative. */
    g0 = h0 + 5, c = g0 >> 44, g0 &= ZC_M44;
    g1 = h1 + c, c = g1 >> 44, g1 &= ZC_M44;
    g2 = h2 + c - (UINT64_C(1) << 42);
    mask = (g2 >> 63) - 1;
    h0 = (h0 & ~mask) | (g0 & mask);
    h1 = (h1 & ~mask) | (g1 & mask);
    h2 = (h2 & ~mask) | (g2 & mask);

    /* tag = (h + pad) mod 2^128 */
    h0 += s->pad[0] & ZC_M44, c = h0 >> 44, h0 &= ZC_M44;
    h1 += (((s->pad[0] >> 44) | (s->pad[1] << 20)) & ZC_M44) + c, c = h1 >> 44, h1 &= ZC_M44;
    h2 += ((s->pad[1] >> 24) & ZC_M42) + c, h2 &= ZC_M42;
    zc_put_le64(tag, h0 | (h1 << 44));
    zc_put_le64(tag + 8, (h1 >> 20) | (h2 << 24));
    OPENSSL_cleanse(s, sizeof(*s));
}

#endif
