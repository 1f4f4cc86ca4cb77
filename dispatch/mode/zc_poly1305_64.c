/*
 * Poly1305 (RFC 8439 section 2.5) for 64-bit CPUs: h in two 64-bit words
 * plus a few bits, r in two words. r's clamping clears the low two bits of
 * r1, so the part of h1 * r1 at 2^128 folds back as h1 * (r1 / 4) * 5 and
 * each block costs four full 64x64->128 products and two small ones, with
 * a short carry chain (the previous 44-bit-limb form needed nine products
 * and a carry chain through all three limbs, ~2x slower here). Whole
 * blocks only (see zc_mode.h). The final reduction is branch-free.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include "zc_poly1305_64.h"

#if defined(__SIZEOF_INT128__)

typedef unsigned __int128 zc_u128;

/* One load, not a byte loop: GCC -O2 does not fuse the loop (~3x slower). */
static inline uint64_t zc_le64(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline void zc_put_le64(unsigned char *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

void zc_poly1305_64_init(void *st, const unsigned char key[32])
{
    zc_poly64 *s = st;

    s->r[0] = zc_le64(key) & UINT64_C(0x0ffffffc0fffffff);
    s->r[1] = zc_le64(key + 8) & UINT64_C(0x0ffffffc0ffffffc);
    s->s1 = s->r[1] + (s->r[1] >> 2);
    s->h[0] = s->h[1] = s->h[2] = 0;
    s->pad[0] = zc_le64(key + 16);
    s->pad[1] = zc_le64(key + 24);
    s->pow_ready = s->vec_active = 0;
}

void zc_poly1305_64_blocks(void *st, const unsigned char *in, size_t nblocks)
{
    zc_poly64 *s = st;
    const uint64_t r0 = s->r[0], r1 = s->r[1], s1 = s->s1;
    uint64_t h0 = s->h[0], h1 = s->h[1], h2 = s->h[2];

    /*
     * 64-bit adds with explicit carries: GCC 12 -O2 turns 128-bit sums of
     * zero-extended words into stack round trips (~2x slower).
     */
    for (; nblocks > 0; nblocks--, in += 16) {
        uint64_t t0 = zc_le64(in), t1 = zc_le64(in + 8), c, c1, d2;
        zc_u128 d0, d1;

        /* h += block, with the 2^128 bit */
        h0 += t0, c = h0 < t0;
        h1 += t1, c1 = h1 < t1;
        h1 += c, c1 += h1 < c;
        h2 += c1 + 1;

        /* h *= r; h2 < 8 and r < 2^124 keep every sum below 2^128 */
        d0 = (zc_u128)h0 * r0 + (zc_u128)h1 * s1;
        d1 = (zc_u128)h0 * r1 + (zc_u128)h1 * r0;
        d2 = h2 * r0;
        d1 += h2 * s1;
        d1 += (uint64_t)(d0 >> 64);
        h0 = (uint64_t)d0;
        h1 = (uint64_t)d1;
        d2 += (uint64_t)(d1 >> 64);

        /* fold the bits at 2^130 and above back in times 5 */
        c = (d2 >> 2) + (d2 & ~UINT64_C(3));
        h2 = d2 & 3;
        h0 += c, c = h0 < c;
        h1 += c, c = h1 < c;
        h2 += c;
    }
    s->h[0] = h0, s->h[1] = h1, s->h[2] = h2;
}

void zc_poly1305_64_finish(void *st, unsigned char tag[16])
{
    zc_poly64 *s = st;
    uint64_t h0 = s->h[0], h1 = s->h[1], h2 = s->h[2], g0, g1, g2, c, mask;
    zc_u128 a;

    /* Fold h2's bits above 2^130 once more: now h < 2^130 + 5 * 2. */
    c = (h2 >> 2) + (h2 & ~UINT64_C(3));
    h2 &= 3;
    a = (zc_u128)h0 + c, h0 = (uint64_t)a;
    a = (zc_u128)h1 + (uint64_t)(a >> 64), h1 = (uint64_t)a;
    h2 += (uint64_t)(a >> 64);

    /* g = h + 5; if it reaches 2^130, h >= p and h - p = g - 2^130. */
    a = (zc_u128)h0 + 5, g0 = (uint64_t)a;
    a = (zc_u128)h1 + (uint64_t)(a >> 64), g1 = (uint64_t)a;
    g2 = h2 + (uint64_t)(a >> 64);
    mask = 0 - (g2 >> 2); /* all ones when g >= 2^130 */
    h0 = (h0 & ~mask) | (g0 & mask);
    h1 = (h1 & ~mask) | (g1 & mask);

    /* tag = (h + pad) mod 2^128 */
    a = (zc_u128)h0 + s->pad[0];
    h0 = (uint64_t)a;
    h1 = h1 + s->pad[1] + (uint64_t)(a >> 64);
    zc_put_le64(tag, h0);
    zc_put_le64(tag + 8, h1);
    /* The vector fields hold secrets only once filled. */
    if (s->pow_ready)
        zc_wipe(s, sizeof(*s));
    else
        zc_wipe(s, offsetof(zc_poly64, pow_ready));
}

#endif
