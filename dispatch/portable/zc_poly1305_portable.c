/*
 * Poly1305 (RFC 8439 section 2.5) in 26-bit limbs: 32x32->64 products only,
 * so it is portable to 32-bit targets; the final reduction is branch-free.
 * Whole blocks only: the AEAD pads its input (see zc_mode.h).
 */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include "zc_mode.h"
#include "zc_portable_internal.h"

typedef struct zc_poly1305 {
    uint32_t r[5], h[5], pad[4];
} zc_poly1305;

_Static_assert(sizeof(zc_poly1305) <= ZC_POLY_STATE_MAX, "Poly1305 state too large");

#define ZC_M26 0x3ffffff

void zc_poly1305_init(void *state, const unsigned char key[32])
{
    zc_poly1305 *st = state;

    /* r is clamped as the RFC requires. */
    st->r[0] = zc_load32_le(key) & 0x3ffffff;
    st->r[1] = (zc_load32_le(key + 3) >> 2) & 0x3ffff03;
    st->r[2] = (zc_load32_le(key + 6) >> 4) & 0x3ffc0ff;
    st->r[3] = (zc_load32_le(key + 9) >> 6) & 0x3f03fff;
    st->r[4] = (zc_load32_le(key + 12) >> 8) & 0x00fffff;
    for (int i = 0; i < 4; i++)
        st->pad[i] = zc_load32_le(key + 16 + 4 * i);
    memset(st->h, 0, sizeof(st->h));
}

static void zc_poly1305_block(zc_poly1305 *st, const unsigned char m[16], uint32_t hibit)
{
    const uint32_t r0 = st->r[0], r1 = st->r[1], r2 = st->r[2], r3 = st->r[3], r4 = st->r[4];
    const uint32_t s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
    uint32_t h0 = st->h[0], h1 = st->h[1], h2 = st->h[2], h3 = st->h[3], h4 = st->h[4];
    uint64_t d0, d1, d2, d3, d4;
    uint32_t c;

    h0 += zc_load32_le(m) & ZC_M26;
    h1 += (zc_load32_le(m + 3) >> 2) & ZC_M26;
    h2 += (zc_load32_le(m + 6) >> 4) & ZC_M26;
    h3 += (zc_load32_le(m + 9) >> 6) & ZC_M26;
    h4 += (zc_load32_le(m + 12) >> 8) | hibit;

    d0 = (uint64_t)h0 * r0 + (uint64_t)h1 * s4 + (uint64_t)h2 * s3 + (uint64_t)h3 * s2 + (uint64_t)h4 * s1;
    d1 = (uint64_t)h0 * r1 + (uint64_t)h1 * r0 + (uint64_t)h2 * s4 + (uint64_t)h3 * s3 + (uint64_t)h4 * s2;
    d2 = (uint64_t)h0 * r2 + (uint64_t)h1 * r1 + (uint64_t)h2 * r0 + (uint64_t)h3 * s4 + (uint64_t)h4 * s3;
    d3 = (uint64_t)h0 * r3 + (uint64_t)h1 * r2 + (uint64_t)h2 * r1 + (uint64_t)h3 * r0 + (uint64_t)h4 * s4;
    d4 = (uint64_t)h0 * r4 + (uint64_t)h1 * r3 + (uint64_t)h2 * r2 + (uint64_t)h3 * r1 + (uint64_t)h4 * r0;

    c = (uint32_t)(d0 >> 26), h0 = (uint32_t)d0 & ZC_M26;
    d1 += c, c = (uint32_t)(d1 >> 26), h1 = (uint32_t)d1 & ZC_M26;
    d2 += c, c = (uint32_t)(d2 >> 26), h2 = (uint32_t)d2 & ZC_M26;
    d3 += c, c = (uint32_t)(d3 >> 26), h3 = (uint32_t)d3 & ZC_M26;
    d4 += c, c = (uint32_t)(d4 >> 26), h4 = (uint32_t)d4 & ZC_M26;
    h0 += c * 5, c = h0 >> 26, h0 &= ZC_M26;
    h1 += c;

    st->h[0] = h0, st->h[1] = h1, st->h[2] = h2, st->h[3] = h3, st->h[4] = h4;
}

void zc_poly1305_blocks(void *state, const unsigned char *in, size_t nblocks)
{
    for (; nblocks > 0; nblocks--, in += 16)
        zc_poly1305_block(state, in, 1u << 24);
}

void zc_poly1305_finish(void *state, unsigned char tag[16])
{
    zc_poly1305 *st = state;
    uint32_t h0, h1, h2, h3, h4, g0, g1, g2, g3, g4, c, mask;
    uint64_t f;

    h0 = st->h[0], h1 = st->h[1], h2 = st->h[2], h3 = st->h[3], h4 = st->h[4];
    c = h1 >> 26, h1 &= ZC_M26;
    h2 += c, c = h2 >> 26, h2 &= ZC_M26;
    h3 += c, c = h3 >> 26, h3 &= ZC_M26;
    h4 += c, c = h4 >> 26, h4 &= ZC_M26;
    h0 += c * 5, c = h0 >> 26, h0 &= ZC_M26;
    h1 += c;

    /* h - p, kept only when h >= p, chosen by mask. */
    g0 = h0 + 5, c = g0 >> 26, g0 &= ZC_M26;
    g1 = h1 + c, c = g1 >> 26, g1 &= ZC_M26;
    g2 = h2 + c, c = g2 >> 26, g2 &= ZC_M26;
    g3 = h3 + c, c = g3 >> 26, g3 &= ZC_M26;
    g4 = h4 + c - (1u << 26);
    mask = (g4 >> 31) - 1;
    h0 = (h0 & ~mask) | (g0 & mask);
    h1 = (h1 & ~mask) | (g1 & mask);
    h2 = (h2 & ~mask) | (g2 & mask);
    h3 = (h3 & ~mask) | (g3 & mask);
    h4 = (h4 & ~mask) | (g4 & mask);

    h0 = h0 | (h1 << 26);
    h1 = (h1 >> 6) | (h2 << 20);
    h2 = (h2 >> 12) | (h3 << 14);
    h3 = (h3 >> 18) | (h4 << 8);
    f = (uint64_t)h0 + st->pad[0], h0 = (uint32_t)f;
    f = (uint64_t)h1 + st->pad[1] + (f >> 32), h1 = (uint32_t)f;
    f = (uint64_t)h2 + st->pad[2] + (f >> 32), h2 = (uint32_t)f;
    f = (uint64_t)h3 + st->pad[3] + (f >> 32), h3 = (uint32_t)f;
    zc_store32_le(tag, h0);
    zc_store32_le(tag + 4, h1);
    zc_store32_le(tag + 8, h2);
    zc_store32_le(tag + 12, h3);
    OPENSSL_cleanse(st, sizeof(*st));
}
