/*
 * Poly1305 four blocks at a time on AVX2, for CPUs without IFMA (and, at
 * the end, eight packets side by side for pipeline bursts): 26-bit
 * limbs in 64-bit lanes, products by VPMULUDQ (32x32->64), the form
 * OpenSSL's AVX2 code uses. Same plan as the IFMA code: lane j takes block
 * j of each group of four, every group multiplies the lanes by r^4 (two
 * accumulator sets stepping by r^8 on long runs, so two multiply chains
 * overlap), and the lanes stay in the state between runs, summed (times
 * r^4 .. r^1) only when scalar code needs h. Short runs and tails stay in
 * zc_poly1305_64's scalar code.
 */
#include "config.h"

#include <immintrin.h>
#include "zc_poly1305_64.h"
#include "zc_x86_internal.h"

#define ZC_AVX2 __attribute__((target("avx2")))
#define ZC_AVX2_INLINE __attribute__((target("avx2"), always_inline)) static inline

/*
 * Shorter runs cost more in set-up and lane sums than they save, and a
 * message's first run also pays for the powers of r: on Zen 3 the vector
 * code has ~600 cycles of fixed cost against the scalar code's 15 cycles a
 * block and its own 7, so a fresh message passes the scalar code only from
 * ~2 KiB (measured 3.1x slower at 256 B, 1.34x at 1 KiB, 0.96x at 2 KiB).
 * With the first run from 16 blocks, ChaCha20-Poly1305 records measured
 * 0.86-0.92x the default at 256 B and 0.73-0.91x at 480 B; from 128 blocks,
 * 1.17-1.28x and 1.04-1.11x (3.0, same process, two builds in turn).
 */
#define ZC_POLY_AVX2_MIN_BLOCKS 8
#define ZC_POLY_AVX2_FIRST_MIN_BLOCKS 128

#define ZC_M26 UINT64_C(0x3ffffff)

/* out = a * b mod 2^130 - 5 in 26-bit limbs (limbs of a, b below 2^27). */
static void zc_poly26_mul(uint64_t out[5], const uint64_t a[5], const uint64_t b[5])
{
    const uint64_t s1 = b[1] * 5, s2 = b[2] * 5, s3 = b[3] * 5, s4 = b[4] * 5;
    uint64_t d[5], c;

    d[0] = a[0] * b[0] + a[1] * s4 + a[2] * s3 + a[3] * s2 + a[4] * s1;
    d[1] = a[0] * b[1] + a[1] * b[0] + a[2] * s4 + a[3] * s3 + a[4] * s2;
    d[2] = a[0] * b[2] + a[1] * b[1] + a[2] * b[0] + a[3] * s4 + a[4] * s3;
    d[3] = a[0] * b[3] + a[1] * b[2] + a[2] * b[1] + a[3] * b[0] + a[4] * s4;
    d[4] = a[0] * b[4] + a[1] * b[3] + a[2] * b[2] + a[3] * b[1] + a[4] * b[0];
    for (int i = 0; i < 4; i++)
        c = d[i] >> 26, d[i] &= ZC_M26, d[i + 1] += c;
    c = d[4] >> 26, d[4] &= ZC_M26, d[0] += c * 5;
    c = d[0] >> 26, d[0] &= ZC_M26, d[1] += c;
    for (int i = 0; i < 5; i++)
        out[i] = d[i];
}

/* 2^64-radix value (x2 small) -> 26-bit limbs (the top one takes x2). */
static void zc_poly_to26(uint64_t out[5], uint64_t x0, uint64_t x1, uint64_t x2)
{
    out[0] = x0 & ZC_M26;
    out[1] = (x0 >> 26) & ZC_M26;
    out[2] = ((x0 >> 52) | (x1 << 12)) & ZC_M26;
    out[3] = (x1 >> 14) & ZC_M26;
    out[4] = (x1 >> 40) | (x2 << 24);
}

static void zc_poly26_powers_fill(zc_poly64 *s)
{
    uint64_t p[4][5]; /* p[i] = r^(i + 1) */

    zc_poly_to26(p[0], s->r[0], s->r[1], 0);
    zc_poly26_mul(p[1], p[0], p[0]);
    zc_poly26_mul(p[2], p[1], p[0]);
    zc_poly26_mul(p[3], p[1], p[1]);
    for (int lane = 0; lane < 4; lane++)
        for (int limb = 0; limb < 5; limb++)
            s->v.avx2.pow[limb][lane] = p[3 - lane][limb];
    zc_poly26_mul(s->v.avx2.r8, p[3], p[3]);
    s->pow_ready = 1;
    zc_wipe(p, sizeof(p));
}

/* x * 5: limb products that land at 2^130 wrap to 5 (2^130 = 5 mod p). */
ZC_AVX2_INLINE __m256i zc_times5(__m256i x)
{
    return _mm256_add_epi64(_mm256_slli_epi64(x, 2), x);
}

/*
 * h = h * r + m lane by lane (s = r * 5), carried back to about 26 bits a
 * limb: two carry chains side by side (limbs 0->1 and 3->4, and on), not
 * one through all five, so the next product waits less.
 */
ZC_AVX2_INLINE void zc_v26_mul_add(__m256i h[5], const __m256i r[5], const __m256i s[5],
                                   const __m256i m[5])
{
    const __m256i mask = _mm256_set1_epi64x((long long)ZC_M26);
    __m256i d0, d1, d2, d3, d4, c;

#define ZC_MUL(a, b) _mm256_mul_epu32(a, b)
    d0 = _mm256_add_epi64(m[0], ZC_MUL(h[0], r[0]));
    d1 = _mm256_add_epi64(m[1], ZC_MUL(h[0], r[1]));
    d2 = _mm256_add_epi64(m[2], ZC_MUL(h[0], r[2]));
    d3 = _mm256_add_epi64(m[3], ZC_MUL(h[0], r[3]));
    d4 = _mm256_add_epi64(m[4], ZC_MUL(h[0], r[4]));
    d0 = _mm256_add_epi64(d0, ZC_MUL(h[1], s[4]));
    d1 = _mm256_add_epi64(d1, ZC_MUL(h[1], r[0]));
    d2 = _mm256_add_epi64(d2, ZC_MUL(h[1], r[1]));
    d3 = _mm256_add_epi64(d3, ZC_MUL(h[1], r[2]));
    d4 = _mm256_add_epi64(d4, ZC_MUL(h[1], r[3]));
    d0 = _mm256_add_epi64(d0, ZC_MUL(h[2], s[3]));
    d1 = _mm256_add_epi64(d1, ZC_MUL(h[2], s[4]));
    d2 = _mm256_add_epi64(d2, ZC_MUL(h[2], r[0]));
    d3 = _mm256_add_epi64(d3, ZC_MUL(h[2], r[1]));
    d4 = _mm256_add_epi64(d4, ZC_MUL(h[2], r[2]));
    d0 = _mm256_add_epi64(d0, ZC_MUL(h[3], s[2]));
    d1 = _mm256_add_epi64(d1, ZC_MUL(h[3], s[3]));
    d2 = _mm256_add_epi64(d2, ZC_MUL(h[3], s[4]));
    d3 = _mm256_add_epi64(d3, ZC_MUL(h[3], r[0]));
    d4 = _mm256_add_epi64(d4, ZC_MUL(h[3], r[1]));
    d0 = _mm256_add_epi64(d0, ZC_MUL(h[4], s[1]));
    d1 = _mm256_add_epi64(d1, ZC_MUL(h[4], s[2]));
    d2 = _mm256_add_epi64(d2, ZC_MUL(h[4], s[3]));
    d3 = _mm256_add_epi64(d3, ZC_MUL(h[4], s[4]));
    d4 = _mm256_add_epi64(d4, ZC_MUL(h[4], r[0]));
#undef ZC_MUL

    c = _mm256_srli_epi64(d3, 26), d3 = _mm256_and_si256(d3, mask), d4 = _mm256_add_epi64(d4, c);
    c = _mm256_srli_epi64(d0, 26), d0 = _mm256_and_si256(d0, mask), d1 = _mm256_add_epi64(d1, c);
    c = _mm256_srli_epi64(d4, 26), d4 = _mm256_and_si256(d4, mask), d0 = _mm256_add_epi64(d0, zc_times5(c));
    c = _mm256_srli_epi64(d1, 26), d1 = _mm256_and_si256(d1, mask), d2 = _mm256_add_epi64(d2, c);
    c = _mm256_srli_epi64(d2, 26), d2 = _mm256_and_si256(d2, mask), d3 = _mm256_add_epi64(d3, c);
    c = _mm256_srli_epi64(d0, 26), d0 = _mm256_and_si256(d0, mask), d1 = _mm256_add_epi64(d1, c);
    c = _mm256_srli_epi64(d3, 26), d3 = _mm256_and_si256(d3, mask), d4 = _mm256_add_epi64(d4, c);
    h[0] = d0, h[1] = d1, h[2] = d2, h[3] = d3, h[4] = d4;
}

/* Four blocks as limbs, block j in lane j: a holds blocks 0 and 1, b blocks 2 and 3. */
ZC_AVX2_INLINE void zc_v26_split(__m256i m[5], __m256i a, __m256i b)
{
    const __m256i mask = _mm256_set1_epi64x((long long)ZC_M26);
    /* unpack gives blocks 0, 2, 1, 3; the permute puts them in order */
    __m256i t0 = _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(a, b), 0xd8);
    __m256i t1 = _mm256_permute4x64_epi64(_mm256_unpackhi_epi64(a, b), 0xd8);

    m[0] = _mm256_and_si256(t0, mask);
    m[1] = _mm256_and_si256(_mm256_srli_epi64(t0, 26), mask);
    m[2] = _mm256_and_si256(_mm256_or_si256(_mm256_srli_epi64(t0, 52), _mm256_slli_epi64(t1, 12)),
                            mask);
    m[3] = _mm256_and_si256(_mm256_srli_epi64(t1, 14), mask);
    m[4] = _mm256_or_si256(_mm256_srli_epi64(t1, 40), _mm256_set1_epi64x(1 << 24));
}

/* Four message blocks (64 bytes) as limbs, block j in lane j. */
ZC_AVX2_INLINE void zc_v26_load(__m256i m[5], const unsigned char *in)
{
    zc_v26_split(m, _mm256_loadu_si256((const __m256i *)in),
                 _mm256_loadu_si256((const __m256i *)(in + 32)));
}

/* Limb i of one power is p[i * stride]: r^8 (stride 1) or pow's lane 0, r^4 (stride 4). */
ZC_AVX2_INLINE void zc_v26_bcast(__m256i r[5], __m256i s[5], const uint64_t *p, size_t stride)
{
    for (int i = 0; i < 5; i++) {
        r[i] = _mm256_set1_epi64x((long long)p[i * stride]);
        s[i] = zc_times5(r[i]);
    }
}

/* nblocks: a multiple of 4, at least 4. */
static ZC_AVX2 void zc_poly1305_avx2(zc_poly64 *st, const unsigned char *in, size_t nblocks)
{
    __m256i a[5], b[5], m[5], r4[5], s4[5], r8[5], s8[5];

    if (!st->pow_ready)
        zc_poly26_powers_fill(st);
    zc_v26_bcast(r4, s4, &st->v.avx2.pow[0][0], 4);
    zc_v26_load(m, in);
    if (st->vec_active) {
        for (int i = 0; i < 5; i++)
            a[i] = _mm256_load_si256((const __m256i *)st->v.avx2.acc[i]);
        zc_v26_mul_add(a, r4, s4, m);
    } else {
        uint64_t t[5];

        zc_poly_to26(t, st->h[0], st->h[1], st->h[2]);
        for (int i = 0; i < 5; i++)
            a[i] = _mm256_add_epi64(m[i], _mm256_setr_epi64x((long long)t[i], 0, 0, 0));
        zc_wipe(t, sizeof(t));
    }
    in += 64, nblocks -= 4;
    if (nblocks >= 4) {
        zc_v26_bcast(r8, s8, st->v.avx2.r8, 1);
        zc_v26_load(b, in);
        for (in += 64, nblocks -= 4; nblocks >= 8; in += 128, nblocks -= 8) {
            zc_v26_load(m, in);
            zc_v26_mul_add(a, r8, s8, m);
            zc_v26_load(m, in + 64);
            zc_v26_mul_add(b, r8, s8, m);
        }
        zc_v26_mul_add(a, r4, s4, b);
        if (nblocks > 0) { /* four left */
            zc_v26_load(m, in);
            zc_v26_mul_add(a, r4, s4, m);
        }
    }
    for (int i = 0; i < 5; i++)
        _mm256_store_si256((__m256i *)st->v.avx2.acc[i], a[i]);
    st->vec_active = 1;
}

/* 26-bit limbs below 2^29 (one lane after mul_add, or four lanes summed):
 * carry twice round, then the scalar state's radix 2^64. */
static void zc_poly26_to64(zc_poly64 *st, uint64_t t[5])
{
    uint64_t c;

    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 4; i++)
            c = t[i] >> 26, t[i] &= ZC_M26, t[i + 1] += c;
        if (pass == 0)
            c = t[4] >> 26, t[4] &= ZC_M26, t[0] += c * 5;
    }
    st->h[0] = t[0] | (t[1] << 26) | (t[2] << 52);
    st->h[1] = (t[2] >> 12) | (t[3] << 14) | (t[4] << 40);
    st->h[2] = t[4] >> 24;
}

/* h = sum over lanes of acc_j * r^(4-j), back in radix 2^64 for scalar code. */
static ZC_AVX2 void zc_poly26_collapse(zc_poly64 *st)
{
    const __m256i zero = _mm256_setzero_si256();
    const __m256i zeros[5] = { zero, zero, zero, zero, zero };
    __m256i a[5], r[5], s[5];
    uint64_t t[5], lanes[4] __attribute__((aligned(32)));

    for (int i = 0; i < 5; i++) {
        a[i] = _mm256_load_si256((const __m256i *)st->v.avx2.acc[i]);
        r[i] = _mm256_load_si256((const __m256i *)st->v.avx2.pow[i]); /* lane j: r^(4 - j) */
        s[i] = zc_times5(r[i]);
    }
    zc_v26_mul_add(a, r, s, zeros);
    for (int i = 0; i < 5; i++) {
        _mm256_store_si256((__m256i *)lanes, a[i]);
        t[i] = lanes[0] + lanes[1] + lanes[2] + lanes[3];
    }
    /* GCC 12 leaves this function without its vzeroupper (the scalar call
     * below confuses its pass): a caller's SSE code would then pay for
     * dirty upper halves on Intel (test_gcm_hybrid's upper-state check). */
    _mm256_zeroupper();
    zc_poly26_to64(st, t);
    st->vec_active = 0;
    zc_wipe(t, sizeof(t));
    zc_wipe(lanes, sizeof(lanes));
}

/* ------------------------------------------- packets side by side */

/*
 * A burst of short packets gives the vectors nothing to do inside one
 * packet (a 64-byte packet is six blocks), so here each 64-bit lane runs a
 * packet of its own, h = h * r + m block by block with the lane's own r,
 * eight packets as two sets of four lanes whose multiply chains overlap. A
 * lane whose packet has ended keeps its h (blend), the rest go on.
 */
#define ZC_POLY_LANES 8

/* Walks one packet's segments: the next block, or a zero block once past the end. */
typedef struct zc_poly_cursor {
    const zc_poly_lane_msg *msg;
    const unsigned char *p;
    size_t left;
    unsigned seg;
} zc_poly_cursor;

static const unsigned char zc_poly_zero_block[16];

static inline const unsigned char *zc_poly_cursor_next(zc_poly_cursor *c)
{
    const unsigned char *b;

    while (c->left == 0) {
        if (c->msg == NULL || c->seg == 4)
            return zc_poly_zero_block;
        c->p = c->msg->seg[c->seg];
        c->left = c->msg->nblocks[c->seg++];
    }
    b = c->p;
    c->p += 16, c->left--;
    return b;
}

ZC_AVX2_INLINE __m256i zc_v26_pair(const unsigned char *lo, const unsigned char *hi)
{
    return _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)lo)),
        _mm_loadu_si128((const __m128i *)hi), 1);
}

/* Up to ZC_POLY_LANES packets; lane j of set k is packet 4 k + j. */
static ZC_AVX2 void zc_poly_lanes8(const unsigned char (*key)[32], const zc_poly_lane_msg *msg,
                                   size_t cnt, unsigned char *const tag[])
{
    uint64_t rl[5][ZC_POLY_LANES] __attribute__((aligned(32))) = { { 0 } };
    uint64_t hl[5][ZC_POLY_LANES] __attribute__((aligned(32)));
    long long nb[ZC_POLY_LANES] __attribute__((aligned(32))) = { 0 };
    zc_poly_cursor cur[ZC_POLY_LANES] = { { 0 } };
    const __m256i zero = _mm256_setzero_si256();
    const __m256i zeros[5] = { zero, zero, zero, zero, zero };
    __m256i h[2][5], r[2][5], s[2][5], n[2];
    zc_poly64 st;
    size_t steps = 0;

    for (size_t j = 0; j < cnt; j++) {
        uint64_t t[5];

        zc_poly1305_64_init(&st, key[j]);
        zc_poly_to26(t, st.r[0], st.r[1], 0);
        for (int i = 0; i < 5; i++)
            rl[i][j] = t[i];
        cur[j].msg = &msg[j];
        for (int i = 0; i < 4; i++)
            nb[j] += (long long)msg[j].nblocks[i];
        if ((size_t)nb[j] > steps)
            steps = (size_t)nb[j];
        zc_wipe(t, sizeof(t));
    }
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 5; i++) {
            r[k][i] = _mm256_load_si256((const __m256i *)&rl[i][4 * k]);
            s[k][i] = zc_times5(r[k][i]);
            h[k][i] = zero;
        }
        n[k] = _mm256_load_si256((const __m256i *)&nb[4 * k]);
    }
    for (size_t t = 0; t < steps; t++) {
        const __m256i tv = _mm256_set1_epi64x((long long)t);

        for (int k = 0; k < 2; k++) {
            zc_poly_cursor *c = &cur[4 * k];
            __m256i m[5], x[5];
            const __m256i live = _mm256_cmpgt_epi64(n[k], tv);
            const unsigned char *b0 = zc_poly_cursor_next(&c[0]);
            const unsigned char *b1 = zc_poly_cursor_next(&c[1]);
            const unsigned char *b2 = zc_poly_cursor_next(&c[2]);
            const unsigned char *b3 = zc_poly_cursor_next(&c[3]);

            zc_v26_split(m, zc_v26_pair(b0, b1), zc_v26_pair(b2, b3));
            for (int i = 0; i < 5; i++)
                x[i] = h[k][i];
            zc_v26_mul_add(x, r[k], s[k], m);
            for (int i = 0; i < 5; i++)
                h[k][i] = _mm256_blendv_epi8(h[k][i], x[i], live);
        }
    }
    /* h * r + m leaves every lane one factor of r short */
    for (int k = 0; k < 2; k++) {
        zc_v26_mul_add(h[k], r[k], s[k], zeros);
        for (int i = 0; i < 5; i++)
            _mm256_store_si256((__m256i *)&hl[i][4 * k], h[k][i]);
    }
    for (size_t j = 0; j < cnt; j++) {
        uint64_t t[5];

        for (int i = 0; i < 5; i++)
            t[i] = hl[i][j];
        zc_poly1305_64_init(&st, key[j]);
        zc_poly26_to64(&st, t);
        zc_poly1305_64_finish(&st, tag[j]); /* wipes st */
        zc_wipe(t, sizeof(t));
    }
    zc_wipe(rl, sizeof(rl));
    zc_wipe(hl, sizeof(hl));
}

void zc_x86_poly1305_avx2_lanes(const unsigned char (*key)[32], const zc_poly_lane_msg *msg,
                                size_t cnt, unsigned char *const tag[])
{
    for (size_t j = 0; j < cnt; j += ZC_POLY_LANES)
        zc_poly_lanes8(key + j, msg + j, cnt - j < ZC_POLY_LANES ? cnt - j : ZC_POLY_LANES,
                       tag + j);
}

static const zc_poly_vec zc_poly_avx2 = {
    ZC_POLY_AVX2_MIN_BLOCKS, ZC_POLY_AVX2_FIRST_MIN_BLOCKS, 4, zc_poly1305_avx2, zc_poly26_collapse,
};

void zc_x86_poly1305_avx2_blocks(void *st, const unsigned char *in, size_t nblocks)
{
    zc_poly_vec_blocks(&zc_poly_avx2, st, in, nblocks);
}

void zc_x86_poly1305_avx2_finish(void *st, unsigned char tag[16])
{
    zc_poly_vec_finish(&zc_poly_avx2, st, tag);
}

const zc_chachapoly_prims zc_x86_chachapoly_avx2_prims = {
    zc_x86_chacha20_avx2, zc_poly1305_64_init, zc_x86_poly1305_avx2_blocks,
    zc_x86_poly1305_avx2_finish,
    8, /* eight blocks per vertical pass */
    0,
    zc_x86_chacha20_lanes8, 8, /* bursts: one packet per 32-bit lane */
    zc_x86_poly1305_avx2_lanes, /* and their tags one per 64-bit lane */
    /*
     * Zen 3, 3.5, 16 packets a call: the lanes run 1.07-1.08x the
     * single-message path at 1200-1536 B, 0.97-0.99x at 2 KiB.
     */
    24,
    0, /* the one-packet tags are scalar below 2 KiB: lanes for every group */
};
