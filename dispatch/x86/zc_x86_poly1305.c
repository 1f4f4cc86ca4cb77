/*
 * Poly1305 eight blocks at a time on AVX-512 IFMA (52-bit multiply-add) in
 * 44/44/42-bit limbs; short runs and tails stay in zc_poly1305_64's scalar
 * radix-2^64 code, and the accumulator is converted between the two at the
 * boundary (zc_poly_to44, zc_poly_collapse). Lane j takes block j of each
 * group of eight; every group multiplies the accumulators by r^8, the last
 * by r^8 .. r^1 lane by lane, and the lanes are summed: Horner's rule
 * regrouped, the same value as block after block.
 */
#include "config.h"

#include <immintrin.h>
#include "zc_poly1305_64.h"
#include "zc_x86_internal.h"

#define ZC_IFMA __attribute__((target("avx512f,avx512ifma")))
#define ZC_IFMA_INLINE __attribute__((target("avx512f,avx512ifma"), always_inline)) static inline

/*
 * Below this many blocks the vector set-up and lane sum cost more than they
 * save; a message's first vector run also computes the powers of r (a
 * chain of four products, 100-200 cycles), which only a longer run pays
 * back: with 16 a 256-byte record hashed its 16 data blocks in IFMA and
 * was ~10% slower in all than with the scalar code (AVX-512 EPYC).
 */
#define ZC_POLY_IFMA_MIN_BLOCKS 8
#define ZC_POLY_IFMA_FIRST_MIN_BLOCKS 32

#define ZC_M44 UINT64_C(0xfffffffffff)
#define ZC_M42 UINT64_C(0x3ffffffffff)

typedef unsigned __int128 zc_u128;

/* out = a * b mod 2^130 - 5 in 44/44/42-bit limbs (out[1] may keep a carry). */
static void zc_poly44_mul(uint64_t out[3], const uint64_t a[3], const uint64_t b[3])
{
    const uint64_t s1 = b[1] * 20, s2 = b[2] * 20;
    zc_u128 d0 = (zc_u128)a[0] * b[0] + (zc_u128)a[1] * s2 + (zc_u128)a[2] * s1;
    zc_u128 d1 = (zc_u128)a[0] * b[1] + (zc_u128)a[1] * b[0] + (zc_u128)a[2] * s2;
    zc_u128 d2 = (zc_u128)a[0] * b[2] + (zc_u128)a[1] * b[1] + (zc_u128)a[2] * b[0];
    uint64_t c;

    c = (uint64_t)(d0 >> 44), out[0] = (uint64_t)d0 & ZC_M44;
    d1 += c, c = (uint64_t)(d1 >> 44), out[1] = (uint64_t)d1 & ZC_M44;
    d2 += c, c = (uint64_t)(d2 >> 42), out[2] = (uint64_t)d2 & ZC_M42;
    out[0] += c * 5, c = out[0] >> 44, out[0] &= ZC_M44;
    out[1] += c;
}

/* 2^64-radix value (x2 small) -> 44/44/42-bit limbs. */
static void zc_poly_to44(uint64_t out[3], uint64_t x0, uint64_t x1, uint64_t x2)
{
    out[0] = x0 & ZC_M44;
    out[1] = ((x0 >> 44) | (x1 << 20)) & ZC_M44;
    out[2] = (x1 >> 24) | (x2 << 40);
}

static void zc_poly_powers_fill(zc_poly64 *s)
{
    uint64_t p[8][3]; /* p[i] = r^(i + 1) */

    /* Four dependent steps, not eight: r^2; r^3, r^4; r^5..r^8 = r^4 * r^1..r^4. */
    zc_poly_to44(p[0], s->r[0], s->r[1], 0);
    zc_poly44_mul(p[1], p[0], p[0]);
    zc_poly44_mul(p[2], p[1], p[0]);
    zc_poly44_mul(p[3], p[1], p[1]);
    for (int i = 4; i < 8; i++)
        zc_poly44_mul(p[i], p[3], p[i - 4]);
    for (int lane = 0; lane < 8; lane++)
        for (int limb = 0; limb < 3; limb++)
            s->v.ifma.pow[limb][lane] = p[7 - lane][limb];
    zc_poly44_mul(s->v.ifma.pow16, p[7], p[7]);
    s->pow_ready = 1;
    zc_wipe(p, sizeof(p));
}

/* x * 20: limb products that land at 2^132 wrap to 20 (2^130 = 5 mod p). */
ZC_IFMA_INLINE __m512i zc_times20(__m512i x)
{
    return _mm512_add_epi64(_mm512_slli_epi64(x, 4), _mm512_slli_epi64(x, 2));
}

/*
 * h = h * r + m lane by lane, carried back to 44/44/42 bits (h0 may keep
 * a few bits over 44; the next product still fits IFMA's 52-bit inputs).
 * m seeds the low accumulators, so the next blocks cost no separate adds.
 * IFMA splits each product at bit 52, not 44: the high half of limb k's
 * product lands 8 bits up in limb k + 1, and past limb 2 it wraps with a
 * factor 20 * 2^8.
 */
ZC_IFMA_INLINE void zc_vmul_add(__m512i h[3], const __m512i r[3], const __m512i s[3],
                                const __m512i m[3])
{
    const __m512i z = _mm512_setzero_si512();
    const __m512i m44 = _mm512_set1_epi64((long long)ZC_M44);
    const __m512i m42 = _mm512_set1_epi64((long long)ZC_M42);
    /* limb k of the product: sum of h[i] * r[k - i], with r[-j] = s[3 - j] */
    __m512i lo0 = _mm512_madd52lo_epu64(m[0], h[0], r[0]), hi0 = _mm512_madd52hi_epu64(z, h[0], r[0]);
    __m512i lo1 = _mm512_madd52lo_epu64(m[1], h[0], r[1]), hi1 = _mm512_madd52hi_epu64(z, h[0], r[1]);
    __m512i lo2 = _mm512_madd52lo_epu64(m[2], h[0], r[2]), hi2 = _mm512_madd52hi_epu64(z, h[0], r[2]);
    __m512i c;

    lo0 = _mm512_madd52lo_epu64(lo0, h[1], s[2]), hi0 = _mm512_madd52hi_epu64(hi0, h[1], s[2]);
    lo1 = _mm512_madd52lo_epu64(lo1, h[1], r[0]), hi1 = _mm512_madd52hi_epu64(hi1, h[1], r[0]);
    lo2 = _mm512_madd52lo_epu64(lo2, h[1], r[1]), hi2 = _mm512_madd52hi_epu64(hi2, h[1], r[1]);
    lo0 = _mm512_madd52lo_epu64(lo0, h[2], s[1]), hi0 = _mm512_madd52hi_epu64(hi0, h[2], s[1]);
    lo1 = _mm512_madd52lo_epu64(lo1, h[2], s[2]), hi1 = _mm512_madd52hi_epu64(hi1, h[2], s[2]);
    lo2 = _mm512_madd52lo_epu64(lo2, h[2], r[0]), hi2 = _mm512_madd52hi_epu64(hi2, h[2], r[0]);

    lo1 = _mm512_add_epi64(lo1, _mm512_slli_epi64(hi0, 8));
    lo2 = _mm512_add_epi64(lo2, _mm512_slli_epi64(hi1, 8));
    lo0 = _mm512_add_epi64(lo0, _mm512_add_epi64(_mm512_slli_epi64(hi2, 12),
                                                 _mm512_slli_epi64(hi2, 10)));

    c = _mm512_srli_epi64(lo0, 44), lo0 = _mm512_and_si512(lo0, m44);
    lo1 = _mm512_add_epi64(lo1, c);
    c = _mm512_srli_epi64(lo1, 44), lo1 = _mm512_and_si512(lo1, m44);
    lo2 = _mm512_add_epi64(lo2, c);
    c = _mm512_srli_epi64(lo2, 42), lo2 = _mm512_and_si512(lo2, m42);
    h[0] = _mm512_add_epi64(lo0, _mm512_add_epi64(_mm512_slli_epi64(c, 2), c));
    h[1] = lo1, h[2] = lo2;
}

/* Eight message blocks (128 bytes) as limbs, block j in lane j. */
ZC_IFMA_INLINE void zc_vload_blocks(__m512i m[3], const unsigned char *in)
{
    const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
    const __m512i odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
    const __m512i m44 = _mm512_set1_epi64((long long)ZC_M44);
    const __m512i bit128 = _mm512_set1_epi64(INT64_C(1) << 40);
    __m512i a = _mm512_loadu_si512(in), b = _mm512_loadu_si512(in + 64);
    __m512i t0 = _mm512_permutex2var_epi64(a, even, b), t1 = _mm512_permutex2var_epi64(a, odd, b);

    m[0] = _mm512_and_si512(t0, m44);
    m[1] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(t0, 44), _mm512_slli_epi64(t1, 20)),
                            m44);
    m[2] = _mm512_or_si512(_mm512_srli_epi64(t1, 24), bit128);
}

/*
 * nblocks: a multiple of 8, at least 8. Runs of 16 keep two accumulator
 * sets (blocks 0-7 and 8-15 of each 16) stepping by r^16, so the two
 * multiply chains overlap; then A * r^8 + B is the one-set state again.
 * The lanes are not summed at the end: they stay in st->acc (lane j still
 * owed r^(8-j)) for the next run, which then costs no set-up, and are
 * summed only when scalar code needs h (zc_poly_collapse).
 */
static ZC_IFMA void zc_poly1305_ifma(zc_poly64 *st, const unsigned char *in, size_t nblocks)
{
    __m512i a[3], b[3], m[3], r8[3], s8[3], rr[3], ss[3];

    if (!st->pow_ready)
        zc_poly_powers_fill(st);
    for (int i = 0; i < 3; i++) {
        r8[i] = _mm512_set1_epi64((long long)st->v.ifma.pow[i][0]);
        s8[i] = zc_times20(r8[i]);
    }
    zc_vload_blocks(m, in);
    if (st->vec_active) {
        for (int i = 0; i < 3; i++)
            a[i] = _mm512_load_si512(st->v.ifma.acc[i]);
        zc_vmul_add(a, r8, s8, m);
    } else {
        uint64_t t[3];

        zc_poly_to44(t, st->h[0], st->h[1], st->h[2]);
        for (int i = 0; i < 3; i++)
            a[i] = _mm512_add_epi64(m[i], _mm512_setr_epi64((long long)t[i], 0, 0, 0, 0, 0, 0, 0));
        zc_wipe(t, sizeof(t));
    }
    in += 128, nblocks -= 8;
    if (nblocks >= 8) {
        for (int i = 0; i < 3; i++) {
            rr[i] = _mm512_set1_epi64((long long)st->v.ifma.pow16[i]);
            ss[i] = zc_times20(rr[i]);
        }
        zc_vload_blocks(b, in);
        for (in += 128, nblocks -= 8; nblocks >= 16; in += 256, nblocks -= 16) {
            zc_vload_blocks(m, in);
            zc_vmul_add(a, rr, ss, m);
            zc_vload_blocks(m, in + 128);
            zc_vmul_add(b, rr, ss, m);
        }
        zc_vmul_add(a, r8, s8, b);
        if (nblocks > 0) { /* eight left */
            zc_vload_blocks(m, in);
            zc_vmul_add(a, r8, s8, m);
        }
    }
    for (int i = 0; i < 3; i++)
        _mm512_store_si512(st->v.ifma.acc[i], a[i]);
    st->vec_active = 1;
}

/* h = sum over lanes of acc_j * r^(8-j), back in radix 2^64 for scalar code. */
static ZC_IFMA void zc_poly_collapse(zc_poly64 *st)
{
    const __m512i zero[3] = { _mm512_setzero_si512(), _mm512_setzero_si512(),
                              _mm512_setzero_si512() };
    __m512i a[3], r[3], s[3];
    uint64_t t[3], c;

    for (int i = 0; i < 3; i++) {
        a[i] = _mm512_load_si512(st->v.ifma.acc[i]);
        r[i] = _mm512_load_si512(st->v.ifma.pow[i]); /* lane j: r^(8 - j) */
        s[i] = zc_times20(r[i]);
    }
    zc_vmul_add(a, r, s, zero);
    for (int i = 0; i < 3; i++)
        t[i] = (uint64_t)_mm512_reduce_add_epi64(a[i]);
    /* Eight lanes summed: limbs below 2^48; carry, then back to radix 2^64. */
    c = t[0] >> 44, t[0] &= ZC_M44, t[1] += c;
    c = t[1] >> 44, t[1] &= ZC_M44, t[2] += c;
    c = t[2] >> 42, t[2] &= ZC_M42, t[0] += c * 5;
    c = t[0] >> 44, t[0] &= ZC_M44, t[1] += c;
    c = t[1] >> 44, t[1] &= ZC_M44, t[2] += c;
    st->h[0] = t[0] | (t[1] << 44);
    st->h[1] = (t[1] >> 20) | (t[2] << 24);
    st->h[2] = t[2] >> 40;
    st->vec_active = 0;
    zc_wipe(t, sizeof(t));
}

static const zc_poly_vec zc_poly_ifma = {
    ZC_POLY_IFMA_MIN_BLOCKS, ZC_POLY_IFMA_FIRST_MIN_BLOCKS, 8, zc_poly1305_ifma, zc_poly_collapse,
};

/* AVX-512 without IFMA (Skylake-SP): the AVX2 lanes instead. */
void zc_x86_poly1305_blocks(void *st, const unsigned char *in, size_t nblocks)
{
    if (__builtin_cpu_supports("avx512ifma"))
        zc_poly_vec_blocks(&zc_poly_ifma, st, in, nblocks);
    else
        zc_x86_poly1305_avx2_blocks(st, in, nblocks);
}

void zc_x86_poly1305_finish(void *st, unsigned char tag[16])
{
    if (__builtin_cpu_supports("avx512ifma"))
        zc_poly_vec_finish(&zc_poly_ifma, st, tag);
    else
        zc_x86_poly1305_avx2_finish(st, tag);
}

const zc_chachapoly_prims zc_x86_chachapoly_avx512_prims = {
    zc_x86_chacha20_avx512, zc_poly1305_64_init, zc_x86_poly1305_blocks, zc_x86_poly1305_finish,
    16, /* sixteen blocks per pass cost a third of sixteen one at a time */
    1,  /* seventeen: the seventeenth rides in the sixteen's rounds */
    zc_x86_chacha20_lanes16, 16, /* bursts: one packet per 32-bit lane */
    /* The AVX2 Poly1305 lanes (eight packets, 26-bit limbs) on Zen 4, 3.5,
     * 16 packets a call: 1.04-1.06x the one-packet tags at 256-512 B, 1.01x
     * at 640 B, 0.89-0.95x from 768 B, where the one-packet IFMA code
     * (from 512 B of ciphertext) is faster. */
    zc_x86_poly1305_avx2_lanes,
    16,   /* up to 1 KiB: above, a 16-block pass fills the vectors as well */
    8,    /* Poly1305 lanes for groups of packets up to 512 B */
};
