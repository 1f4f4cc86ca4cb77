/*
 * AES-GCM primitives on the ARMv8 crypto extensions: AESE/AESMC rounds on
 * eight counter blocks at once (the AES unit is pipelined; one block at a
 * time would leave it idle), and GHASH with PMULL/PMULL2 over four blocks
 * per reduction using precomputed H^1..H^4.
 *
 * GHASH works on blocks byte-reversed into 128-bit integers, where bit i
 * holds the coefficient of x^(127-i) ("reflected" order). A carry-less
 * product of two such integers holds x^d at bit 254-d, so it is shifted
 * left once; the high 128 bits (x^128..x^255) are then folded back with
 * x^128 = x^7 + x^2 + x + 1, which in reflected order is a right shift by
 * 0, 1, 2 and 7, and the bits those shifts push out are folded first.
 */
#include "config.h"

#pragma GCC target("+crypto")

#include <arm_neon.h>
#include <string.h>
#include <openssl/crypto.h>
#include "zc_backend.h"
#include "zc_neon_internal.h"

typedef struct zc_neon_gcm_key {
    uint8x16_t rk[15];
    uint64x2_t h[4];  /* H^1..H^4, reflected integers */
    uint64x2_t hs[4]; /* the same with halves swapped, for the cross products */
    int rounds;
} zc_neon_gcm_key;

_Static_assert(sizeof(zc_neon_gcm_key) <= ZC_KEY_STATE_MAX, "GCM key state too large");

#define ZC_AES_LANES 8

static const uint32_t zc_lane_steps[4] = { 0, 1, 2, 3 };

static inline uint8x16_t zc_aes_block(const uint8x16_t *rk, int rounds, uint8x16_t s)
{
    for (int r = 0; r < rounds - 1; r++)
        s = vaesmcq_u8(vaeseq_u8(s, rk[r]));
    return veorq_u8(vaeseq_u8(s, rk[rounds - 1]), rk[rounds]);
}

static void zc_neon_block(const void *key, const unsigned char in[16], unsigned char out[16])
{
    const zc_neon_gcm_key *k = key;

    vst1q_u8(out, zc_aes_block(k->rk, k->rounds, vld1q_u8(in)));
}

static inline uint8x16_t zc_ctr_block(uint32x4_t base, uint32_t c)
{
    return vreinterpretq_u8_u32(vsetq_lane_u32(__builtin_bswap32(c), base, 3));
}

static void zc_neon_ctr32(const void *key, unsigned char ctr[16], unsigned char *out,
                          const unsigned char *in, size_t nblocks)
{
    const zc_neon_gcm_key *k = key;
    const int rounds = k->rounds;
    /* Locals, so the compiler need not reload them after every store to out. */
    const uint8x16_t rk_last = k->rk[rounds - 1], rk_final = k->rk[rounds];
    const uint32x4_t base = vreinterpretq_u32_u8(vld1q_u8(ctr));
    uint32_t c = (uint32_t)ctr[12] << 24 | (uint32_t)ctr[13] << 16 | (uint32_t)ctr[14] << 8 | ctr[15];

    for (; nblocks >= ZC_AES_LANES; nblocks -= ZC_AES_LANES) {
        uint8x16_t s[ZC_AES_LANES];

        /* Eight counters in two vectors, byte-swapped at once, each then
         * inserted as the last word of a copy of the counter block. */
        const uint32x4_t lo = vaddq_u32(vdupq_n_u32(c), vld1q_u32(zc_lane_steps));
        const uint32x4_t hi = vaddq_u32(lo, vdupq_n_u32(4));
        const uint32x4_t be_lo = vreinterpretq_u32_u8(vrev32q_u8(vreinterpretq_u8_u32(lo)));
        const uint32x4_t be_hi = vreinterpretq_u32_u8(vrev32q_u8(vreinterpretq_u8_u32(hi)));

        s[0] = vreinterpretq_u8_u32(vcopyq_laneq_u32(base, 3, be_lo, 0));
        s[1] = vreinterpretq_u8_u32(vcopyq_laneq_u32(base, 3, be_lo, 1));
        s[2] = vreinterpretq_u8_u32(vcopyq_laneq_u32(base, 3, be_lo, 2));
        s[3] = vreinterpretq_u8_u32(vcopyq_laneq_u32(base, 3, be_lo, 3));
        s[4] = vreinterpretq_u8_u32(vcopyq_laneq_u32(base, 3, be_hi, 0));
        s[5] = vreinterpretq_u8_u32(vcopyq_laneq_u32(base, 3, be_hi, 1));
        s[6] = vreinterpretq_u8_u32(vcopyq_laneq_u32(base, 3, be_hi, 2));
        s[7] = vreinterpretq_u8_u32(vcopyq_laneq_u32(base, 3, be_hi, 3));
        for (int r = 0; r < rounds - 1; r++) {
#pragma GCC unroll 8
            for (int i = 0; i < ZC_AES_LANES; i++)
                s[i] = vaesmcq_u8(vaeseq_u8(s[i], k->rk[r]));
        }
#pragma GCC unroll 8
        for (int i = 0; i < ZC_AES_LANES; i++) {
            s[i] = veorq_u8(vaeseq_u8(s[i], rk_last), rk_final);
            vst1q_u8(out + 16 * i, veorq_u8(s[i], vld1q_u8(in + 16 * i)));
        }
        c += ZC_AES_LANES, in += 16 * ZC_AES_LANES, out += 16 * ZC_AES_LANES;
    }
    for (; nblocks > 0; nblocks--, c++, in += 16, out += 16)
        vst1q_u8(out, veorq_u8(zc_aes_block(k->rk, rounds, zc_ctr_block(base, c)),
                               vld1q_u8(in)));
    ctr[12] = (unsigned char)(c >> 24), ctr[13] = (unsigned char)(c >> 16);
    ctr[14] = (unsigned char)(c >> 8), ctr[15] = (unsigned char)c;
}

/* GCM byte order <-> reflected integer (lane 0 = low 64 bits). */
static inline uint64x2_t zc_load_rev(const unsigned char *p)
{
    uint8x16_t v = vrev64q_u8(vld1q_u8(p));

    return vreinterpretq_u64_u8(vextq_u8(v, v, 8));
}

static inline void zc_store_rev(unsigned char *p, uint64x2_t x)
{
    uint8x16_t v = vrev64q_u8(vreinterpretq_u8_u64(x));

    vst1q_u8(p, vextq_u8(v, v, 8));
}

static inline uint64x2_t zc_pmull_lo(uint64x2_t a, uint64x2_t b)
{
    return vreinterpretq_u64_p128(vmull_p64(vgetq_lane_u64(a, 0), vgetq_lane_u64(b, 0)));
}

static inline uint64x2_t zc_pmull_hi(uint64x2_t a, uint64x2_t b)
{
    return vreinterpretq_u64_p128(vmull_high_p64(vreinterpretq_p64_u64(a),
                                                 vreinterpretq_p64_u64(b)));
}

/* Accumulates the unreduced 256-bit product a * h as lo, mid, hi parts. */
static inline void zc_clmul_acc(uint64x2_t a, uint64x2_t h, uint64x2_t hs, uint64x2_t *lo,
                                uint64x2_t *mid, uint64x2_t *hi)
{
    *lo = veorq_u64(*lo, zc_pmull_lo(a, h));
    *hi = veorq_u64(*hi, zc_pmull_hi(a, h));
    *mid = veorq_u64(*mid, veorq_u64(zc_pmull_lo(a, hs), zc_pmull_hi(a, hs)));
}

static inline uint64x2_t zc_ghash_reduce(uint64x2_t lo, uint64x2_t mid, uint64x2_t hi)
{
    const uint64x2_t zero = vdupq_n_u64(0);
    uint64x2_t l, h, cl, ch, f;

    /* Assemble the 256-bit product (h:l), then shift it left by one. */
    l = veorq_u64(lo, vextq_u64(zero, mid, 1));
    h = veorq_u64(hi, vextq_u64(mid, zero, 1));
    cl = vshrq_n_u64(l, 63);
    ch = vshrq_n_u64(h, 63);
    l = vorrq_u64(vshlq_n_u64(l, 1), vextq_u64(zero, cl, 1));
    h = vorrq_u64(vshlq_n_u64(h, 1), vextq_u64(cl, ch, 1));
    /* Fold first the bits the right shifts below push out of the low word. */
    f = veorq_u64(veorq_u64(vshlq_n_u64(l, 63), vshlq_n_u64(l, 62)), vshlq_n_u64(l, 57));
    l = veorq_u64(l, vextq_u64(zero, f, 1));
    /* h ^= l ^ l>>1 ^ l>>2 ^ l>>7 as 128-bit shifts. */
    f = veorq_u64(veorq_u64(vshlq_n_u64(l, 63), vshlq_n_u64(l, 62)), vshlq_n_u64(l, 57));
    h = veorq_u64(h, l);
    h = veorq_u64(h, veorq_u64(vshrq_n_u64(l, 1), vshrq_n_u64(l, 2)));
    h = veorq_u64(h, vshrq_n_u64(l, 7));
    return veorq_u64(h, vextq_u64(f, zero, 1));
}

static inline uint64x2_t zc_gf_mul(uint64x2_t a, uint64x2_t h, uint64x2_t hs)
{
    uint64x2_t lo = vdupq_n_u64(0), mid = lo, hi = lo;

    zc_clmul_acc(a, h, hs, &lo, &mid, &hi);
    return zc_ghash_reduce(lo, mid, hi);
}

static void zc_neon_ghash(const void *key, unsigned char x[16], const unsigned char *in,
                          size_t nblocks)
{
    const zc_neon_gcm_key *k = key;
    uint64x2_t acc = zc_load_rev(x);

    /* X' = (X ^ b0) H^4 ^ b1 H^3 ^ b2 H^2 ^ b3 H: one reduction per 4 blocks. */
    for (; nblocks >= 4; nblocks -= 4, in += 64) {
        uint64x2_t lo = vdupq_n_u64(0), mid = lo, hi = lo;

        zc_clmul_acc(veorq_u64(acc, zc_load_rev(in)), k->h[3], k->hs[3], &lo, &mid, &hi);
        zc_clmul_acc(zc_load_rev(in + 16), k->h[2], k->hs[2], &lo, &mid, &hi);
        zc_clmul_acc(zc_load_rev(in + 32), k->h[1], k->hs[1], &lo, &mid, &hi);
        zc_clmul_acc(zc_load_rev(in + 48), k->h[0], k->hs[0], &lo, &mid, &hi);
        acc = zc_ghash_reduce(lo, mid, hi);
    }
    for (; nblocks > 0; nblocks--, in += 16)
        acc = zc_gf_mul(veorq_u64(acc, zc_load_rev(in)), k->h[0], k->hs[0]);
    zc_store_rev(x, acc);
}

const zc_gcm_prims zc_neon_gcm_prims = {
    zc_neon_block, zc_neon_ctr32, zc_neon_ghash,
};

/*
 * SubWord through the AES unit: with the word in all four columns,
 * ShiftRows moves nothing and AESE with a zero key is just SubBytes.
 */
static uint32_t zc_subword(uint32_t w)
{
    uint8x16_t v = vaeseq_u8(vreinterpretq_u8_u32(vdupq_n_u32(w)), vdupq_n_u8(0));

    return vgetq_lane_u32(vreinterpretq_u32_u8(v), 0);
}

int zc_neon_gcm_key_setup(void *key_state, const unsigned char *key, size_t keylen)
{
    zc_neon_gcm_key *k = key_state;
    const size_t nk = keylen / 4;
    uint32_t w[60], rcon = 1;
    unsigned char hb[16] = { 0 };
    uint64x2_t h;

    k->rounds = (int)nk + 6;
    memcpy(w, key, keylen); /* words as little-endian: byte 0 is the low byte */
    for (size_t i = nk; i < 4 * ((size_t)k->rounds + 1); i++) {
        uint32_t t = w[i - 1];

        if (i % nk == 0) {
            t = zc_subword(t >> 8 | t << 24) ^ rcon;
            rcon = (rcon << 1) ^ ((rcon >> 7) * 0x11b);
        } else if (nk > 6 && i % nk == 4) {
            t = zc_subword(t);
        }
        w[i] = w[i - nk] ^ t;
    }
    for (int r = 0; r <= k->rounds; r++)
        k->rk[r] = vld1q_u8((const unsigned char *)&w[4 * r]);
    OPENSSL_cleanse(w, sizeof(w));

    zc_neon_block(k, hb, hb);
    h = zc_load_rev(hb);
    OPENSSL_cleanse(hb, sizeof(hb));
    k->h[0] = h;
    k->hs[0] = vextq_u64(h, h, 1);
    for (int i = 1; i < 4; i++) {
        k->h[i] = zc_gf_mul(k->h[i - 1], k->h[0], k->hs[0]);
        k->hs[i] = vextq_u64(k->h[i], k->h[i], 1);
    }
    return 1;
}
