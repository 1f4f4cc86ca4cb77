/*
 * ChaCha20 on AVX-512 and on AVX2. AVX-512: sixteen blocks per pass with
 * vector i holding state word i of all sixteen (every quarter-round step
 * one instruction, rotations one vprold each), and a seventeenth row-wise
 * in the same rounds when asked for exactly that; five to eight blocks the
 * same way on 256-bit vectors; one to four row-wise, one block per 128-bit
 * lane, one latency chain. The avx512 backend runs only where ipsec-mb's
 * AVX-512 manager does, which requires AVX512F, DQ, CD, BW and VL. AVX2:
 * eight blocks per vertical pass, one to four row-wise as two chains of
 * two blocks; rotations by byte shuffles or shift pairs.
 */
#include "config.h"

#include <immintrin.h>
#include "zc_x86_internal.h"

#define ZC_AVX512 __attribute__((target("avx512f")))
#define ZC_AVX512_INLINE __attribute__((target("avx512f"), always_inline)) static inline

static const uint32_t zc_sigma[4] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };

/*
 * The quarter-round, and the steps of the vertical layout (vector i =
 * state word i of 16 or 8 blocks), once for both widths: P is the
 * intrinsic prefix (_mm512_ or _mm256_), XOR that width's xor.
 */
#define ZC_QRV(P, XOR, ROL, a, b, c, d)                                                 \
    do {                                                                                \
        a = P##add_epi32(a, b), d = XOR(d, a), d = ROL(d, 16);                           \
        c = P##add_epi32(c, d), b = XOR(b, c), b = ROL(b, 12);                           \
        a = P##add_epi32(a, b), d = XOR(d, a), d = ROL(d, 8);                            \
        c = P##add_epi32(c, d), b = XOR(b, c), b = ROL(b, 7);                            \
    } while (0)
#define ZC_QR(a, b, c, d) ZC_QRV(_mm512_, _mm512_xor_si512, _mm512_rol_epi32, a, b, c, d)
#define ZC_QR8(a, b, c, d) ZC_QRV(_mm256_, _mm256_xor_si256, _mm256_rol_epi32, a, b, c, d)

/*
 * AVX2 has no rotate: by 16 and 8 a byte shuffle (one instruction), by 12
 * and 7 two shifts and an or.
 */
#define ZC_AVX2 __attribute__((target("avx2")))
#define ZC_AVX2_INLINE __attribute__((target("avx2"), always_inline)) static inline

ZC_AVX2_INLINE __m256i zc_rol_avx2(__m256i x, const int n)
{
    if (n == 16)
        return _mm256_shuffle_epi8(x, _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13,
                                                       2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
    if (n == 8)
        return _mm256_shuffle_epi8(x, _mm256_setr_epi8(3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14,
                                                       3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14));
    return _mm256_or_si256(_mm256_slli_epi32(x, n), _mm256_srli_epi32(x, 32 - n));
}
#define ZC_QR8_AVX2(a, b, c, d) ZC_QRV(_mm256_, _mm256_xor_si256, zc_rol_avx2, a, b, c, d)

/*
 * x = the input state, or (OP = add) x += the input state. The input words
 * are not kept in registers through the rounds (16 state vectors plus 16
 * inputs would spill): they are broadcast from memory again at the end.
 * Words 0..11 (constants, key) are the same in every lane; ROW12_15 gives
 * the vectors of words 12..15 (counter, nonce): a pass's blocks count up
 * from one counter under one nonce (ZC_ROWS_PASS), while the lanes kernels
 * load each lane's own counter and nonce (ZC_ROWS_LANES).
 */
#define ZC_VERT_INPUT_ROWS(P, OP, x, key, ROW12_15, a, b, c)                          \
    do {                                                                              \
        _Pragma("GCC unroll 16") for (int i = 0; i < 16; i++)                         \
        {                                                                             \
            x[i] = OP(x[i], i < 12 ? P##set1_epi32((int)(i < 4 ? zc_sigma[i]          \
                                                               : (key)[i - 4]))       \
                                   : ROW12_15(P, i, a, b, c));                        \
        }                                                                             \
    } while (0)
#define ZC_ROWS_PASS(P, i, counter, nonce, lanes)                                     \
    ((i) == 12 ? P##add_epi32(P##set1_epi32((int)(counter)), lanes)                   \
               : P##set1_epi32((int)(nonce)[(i) - 13]))
#define ZC_ROWS_LANES(P, i, ctr, nonce, LOAD) LOAD((i) == 12 ? (ctr) : (nonce)[(i) - 13])
#define ZC_VERT_INPUT(P, OP, x, key, counter, nonce, lanes) \
    ZC_VERT_INPUT_ROWS(P, OP, x, key, ZC_ROWS_PASS, counter, nonce, lanes)
#define ZC_VERT_SET(a, b) (b)

/*
 * Words 4g..4g+3 of four state vectors -> v[g][j]: 128-bit lane k holds
 * those words of block 4k + j.
 */
#define ZC_VERT_UNPACK(P, x, v)                                                       \
    do {                                                                              \
        _Pragma("GCC unroll 4") for (int g = 0; g < 4; g++)                          \
        {                                                                             \
            __typeof__(x[0]) ab0 = P##unpacklo_epi32(x[4 * g], x[4 * g + 1]);         \
            __typeof__(x[0]) ab1 = P##unpackhi_epi32(x[4 * g], x[4 * g + 1]);         \
            __typeof__(x[0]) cd0 = P##unpacklo_epi32(x[4 * g + 2], x[4 * g + 3]);     \
            __typeof__(x[0]) cd1 = P##unpackhi_epi32(x[4 * g + 2], x[4 * g + 3]);     \
                                                                                      \
            v[g][0] = P##unpacklo_epi64(ab0, cd0);                                    \
            v[g][1] = P##unpackhi_epi64(ab0, cd0);                                    \
            v[g][2] = P##unpacklo_epi64(ab1, cd1);                                    \
            v[g][3] = P##unpackhi_epi64(ab1, cd1);                                    \
        }                                                                             \
    } while (0)

/*
 * Four vectors whose 128-bit lane k holds 16 bytes of block k (vector j:
 * bytes 16j..16j+15): transpose the lanes and write block k, xored with
 * its input, at out + k * stride, for the first nblocks blocks.
 */
ZC_AVX512_INLINE void zc_lanes_xor_store(__m512i v0, __m512i v1, __m512i v2, __m512i v3,
                                         unsigned char *out, const unsigned char *in,
                                         size_t stride, size_t nblocks)
{
    __m512i u0 = _mm512_shuffle_i32x4(v0, v1, 0x44), u1 = _mm512_shuffle_i32x4(v0, v1, 0xee);
    __m512i u2 = _mm512_shuffle_i32x4(v2, v3, 0x44), u3 = _mm512_shuffle_i32x4(v2, v3, 0xee);
    __m512i w[4] = {
        _mm512_shuffle_i32x4(u0, u2, 0x88), _mm512_shuffle_i32x4(u0, u2, 0xdd),
        _mm512_shuffle_i32x4(u1, u3, 0x88), _mm512_shuffle_i32x4(u1, u3, 0xdd),
    };

#pragma GCC unroll 4
    for (size_t k = 0; k < nblocks; k++)
        _mm512_storeu_si512(out + k * stride,
                            _mm512_xor_si512(w[k], _mm512_loadu_si512(in + k * stride)));
}

/* Sixteen unpacked blocks (ZC_VERT_UNPACK): block 4k + j is lane k of v[0..3][j]. */
#define ZC_X16_STORE(v, out, in, nblocks)                                                 \
    do {                                                                                  \
        (void)(nblocks);                                                                  \
        _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++)                               \
            zc_lanes_xor_store(v[0][j], v[1][j], v[2][j], v[3][j], (out) + 64 * j,        \
                               (in) + 64 * j, 256, 4);                                    \
    } while (0)

/*
 * Row-wise: a, b, c, d are state rows 0..3 of four blocks (one per lane).
 * A double round: the column quarter-rounds, then rows 1..3 rotated by
 * 1..3 words so the diagonals line up as columns, and back.
 */
#define ZC_ROWS_DOUBLE_ROUND_V(P, QR, a, b, c, d)                             \
    do {                                                                      \
        QR(a, b, c, d);                                                       \
        b = P##shuffle_epi32(b, _MM_SHUFFLE(0, 3, 2, 1));                     \
        c = P##shuffle_epi32(c, _MM_SHUFFLE(1, 0, 3, 2));                     \
        d = P##shuffle_epi32(d, _MM_SHUFFLE(2, 1, 0, 3));                     \
        QR(a, b, c, d);                                                       \
        b = P##shuffle_epi32(b, _MM_SHUFFLE(2, 1, 0, 3));                     \
        c = P##shuffle_epi32(c, _MM_SHUFFLE(1, 0, 3, 2));                     \
        d = P##shuffle_epi32(d, _MM_SHUFFLE(0, 3, 2, 1));                     \
    } while (0)
#define ZC_ROWS_DOUBLE_ROUND(a, b, c, d) ZC_ROWS_DOUBLE_ROUND_V(_mm512_, ZC_QR, a, b, c, d)

#define ZC_AVX512VL __attribute__((target("avx512f,avx512vl")))
#define ZC_AVX512VL_INLINE __attribute__((target("avx512f,avx512vl"), always_inline)) static inline

/* One block row-wise in 128-bit vectors (rows 0..3), for zc_chacha20_x16_core's extra. */
#define ZC_QR4(a, b, c, d) ZC_QRV(_mm_, _mm_xor_si128, _mm_rol_epi32, a, b, c, d)
#define ZC_ROW1_INIT(r, key, counter, nonce)                                                  \
    do {                                                                                      \
        (r)[0] = _mm_loadu_si128((const __m128i *)zc_sigma);                                  \
        (r)[1] = _mm_loadu_si128((const __m128i *)(key));                                     \
        (r)[2] = _mm_loadu_si128((const __m128i *)((key) + 4));                               \
        (r)[3] = _mm_setr_epi32((int)(counter), (int)(nonce)[0], (int)(nonce)[1],             \
                                (int)(nonce)[2]);                                             \
    } while (0)

/*
 * Sixteen blocks, counter .. counter + 15; with extra, block counter + 16
 * as well, row-wise in 128-bit vectors through the same rounds. Alone that
 * one block is a latency-bound chain (182 TSC cycles on AVX-512 EPYC, 40%
 * of a 16-block pass at 442); beside the sixteen it adds 104 (546).
 */
ZC_AVX512VL_INLINE void zc_chacha20_x16_core(const uint32_t key[8], uint32_t counter,
                                             const uint32_t nonce[3], unsigned char *out,
                                             const unsigned char *in, int extra)
{
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m512i x[16], v[4][4];
    __m128i r[4], r0[4];

    ZC_VERT_INPUT(_mm512_, ZC_VERT_SET, x, key, counter, nonce, lanes);
    if (extra)
        ZC_ROW1_INIT(r, key, counter + 16, nonce);
    for (int round = 0; round < 5; round++) {
        ZC_CHACHA20_DOUBLE_ROUND(ZC_QR, x);
        if (extra)
            ZC_ROWS_DOUBLE_ROUND_V(_mm_, ZC_QR4, r[0], r[1], r[2], r[3]);
        ZC_CHACHA20_DOUBLE_ROUND(ZC_QR, x);
        if (extra)
            ZC_ROWS_DOUBLE_ROUND_V(_mm_, ZC_QR4, r[0], r[1], r[2], r[3]);
    }
    ZC_VERT_INPUT(_mm512_, _mm512_add_epi32, x, key, counter, nonce, lanes);
    ZC_VERT_UNPACK(_mm512_, x, v);
    ZC_X16_STORE(v, out, in, 16);
    if (extra) {
        ZC_ROW1_INIT(r0, key, counter + 16, nonce);
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++)
            _mm_storeu_si128((__m128i *)(out + 1024 + 16 * i),
                             _mm_xor_si128(_mm_add_epi32(r[i], r0[i]),
                                           _mm_loadu_si128((const __m128i *)(in + 1024 + 16 * i))));
    }
}

static ZC_AVX512VL void zc_chacha20_x16(const uint32_t key[8], uint32_t counter,
                                        const uint32_t nonce[3], unsigned char *out,
                                        const unsigned char *in)
{
    zc_chacha20_x16_core(key, counter, nonce, out, in, 0);
}

static ZC_AVX512VL void zc_chacha20_x17(const uint32_t key[8], uint32_t counter,
                                        const uint32_t nonce[3], unsigned char *out,
                                        const unsigned char *in)
{
    zc_chacha20_x16_core(key, counter, nonce, out, in, 1);
}

/* Rows 0..3 of blocks counter .. counter + 3, one block per 128-bit lane. */
#define ZC_ROWS_INIT(a, b, c, d, key, counter, nonce)                                          \
    do {                                                                                       \
        a = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)zc_sigma));               \
        b = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(key)));                  \
        c = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)((key) + 4)));            \
        d = _mm512_add_epi32(_mm512_broadcast_i32x4(_mm_setr_epi32((int)(counter), (int)(nonce)[0], \
                                                                   (int)(nonce)[1],           \
                                                                   (int)(nonce)[2])),         \
                             _mm512_setr_epi32(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0)); \
    } while (0)

/* Adds the input rows back and writes nblocks (1..4) blocks. */
ZC_AVX512_INLINE void zc_rows_finish(__m512i a, __m512i b, __m512i c, __m512i d,
                                     const uint32_t key[8], uint32_t counter,
                                     const uint32_t nonce[3], unsigned char *out,
                                     const unsigned char *in, size_t nblocks)
{
    __m512i a0, b0, c0, d0;

    ZC_ROWS_INIT(a0, b0, c0, d0, key, counter, nonce);
    zc_lanes_xor_store(_mm512_add_epi32(a, a0), _mm512_add_epi32(b, b0),
                       _mm512_add_epi32(c, c0), _mm512_add_epi32(d, d0), out, in, 64, nblocks);
}

/* 1 to 4 blocks: one latency-bound chain. */
static ZC_AVX512 void zc_chacha20_rows4(const uint32_t key[8], uint32_t counter,
                                        const uint32_t nonce[3], unsigned char *out,
                                        const unsigned char *in, size_t nblocks)
{
    __m512i a, b, c, d;

    ZC_ROWS_INIT(a, b, c, d, key, counter, nonce);
    for (int round = 0; round < 10; round++)
        ZC_ROWS_DOUBLE_ROUND(a, b, c, d);
    zc_rows_finish(a, b, c, d, key, counter, nonce, out, in, nblocks);
}

/*
 * 5 to 8 blocks: the vertical layout on 256-bit vectors (word i of eight
 * blocks per vector). Unlike the row-wise form it is not one latency chain:
 * eight blocks cost about what four cost row-wise, so a message's first
 * call can make eight. Defined twice, ROUNDS being the 20 rounds with
 * AVX-512VL's rotates or with AVX2's.
 */
#define ZC_CHACHA20_X8_DEFINE(name, TARGET, ROUNDS)                                               \
    static TARGET void name(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],   \
                            unsigned char *out, const unsigned char *in, size_t nblocks)       \
    {                                                                                           \
        const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);                        \
        __m256i x[16], v[4][4];                                                                 \
                                                                                                \
        ZC_VERT_INPUT(_mm256_, ZC_VERT_SET, x, key, counter, nonce, lanes);                     \
        ROUNDS(x);                                                                              \
        ZC_VERT_INPUT(_mm256_, _mm256_add_epi32, x, key, counter, nonce, lanes);                \
        ZC_VERT_UNPACK(_mm256_, x, v);                                                          \
        ZC_X8_STORE(v, out, in, nblocks);                                                       \
    }

/*
 * Eight unpacked blocks: 128-bit lane k of v[0..3][j] holds block 4k + j.
 * 0x20 takes the low lanes of both (block j), 0x31 the high (block 4 + j).
 */
#define ZC_X8_STORE(v, out, in, nblocks)                                                        \
    _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++)                                         \
    {                                                                                           \
        zc_pair_xor_store(_mm256_permute2x128_si256(v[0][j], v[1][j], 0x20),                     \
                          _mm256_permute2x128_si256(v[2][j], v[3][j], 0x20), (out) + 64 * j,     \
                          (in) + 64 * j, (size_t)j < (nblocks));                                \
        zc_pair_xor_store(_mm256_permute2x128_si256(v[0][j], v[1][j], 0x31),                     \
                          _mm256_permute2x128_si256(v[2][j], v[3][j], 0x31),                     \
                          (out) + 64 * j + 256, (in) + 64 * j + 256, (size_t)j + 4 < (nblocks)); \
    }

/* One 64-byte block from two 256-bit halves, xored with its input. */
ZC_AVX2_INLINE void zc_pair_xor_store(__m256i lo, __m256i hi, unsigned char *out,
                                      const unsigned char *in, int wanted)
{
    if (!wanted)
        return;
    _mm256_storeu_si256((__m256i *)out,
                        _mm256_xor_si256(lo, _mm256_loadu_si256((const __m256i *)in)));
    _mm256_storeu_si256((__m256i *)(out + 32),
                        _mm256_xor_si256(hi, _mm256_loadu_si256((const __m256i *)(in + 32))));
}

#define ZC_ROUNDS_X8(x) ZC_CHACHA20_ROUNDS(ZC_QR8, x)
#define ZC_ROUNDS_X8_AVX2(x) ZC_CHACHA20_ROUNDS(ZC_QR8_AVX2, x)
ZC_CHACHA20_X8_DEFINE(zc_chacha20_x8, ZC_AVX512VL, ZC_ROUNDS_X8)
ZC_CHACHA20_X8_DEFINE(zc_chacha20_x8_avx2, ZC_AVX2, ZC_ROUNDS_X8_AVX2)

/*
 * AVX2, 1 to 4 blocks row-wise: two blocks per 256-bit vector (one per
 * 128-bit lane), blocks 2-3 as a second chain interleaved with the first.
 */
ZC_AVX2_INLINE void zc_rows2_init(__m256i r[4], const uint32_t key[8], uint32_t counter,
                                  const uint32_t nonce[3])
{
    r[0] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)zc_sigma));
    r[1] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)key));
    r[2] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(key + 4)));
    r[3] = _mm256_add_epi32(_mm256_broadcastsi128_si256(_mm_setr_epi32(
                                (int)counter, (int)nonce[0], (int)nonce[1], (int)nonce[2])),
                            _mm256_setr_epi32(0, 0, 0, 0, 1, 0, 0, 0));
}

/* Adds the input rows back and writes blocks counter, counter + 1 (of want). */
ZC_AVX2_INLINE void zc_rows2_finish(__m256i r[4], const uint32_t key[8], uint32_t counter,
                                    const uint32_t nonce[3], unsigned char *out,
                                    const unsigned char *in, size_t want)
{
    __m256i r0[4];

    zc_rows2_init(r0, key, counter, nonce);
    for (int i = 0; i < 4; i++)
        r[i] = _mm256_add_epi32(r[i], r0[i]);
    zc_pair_xor_store(_mm256_permute2x128_si256(r[0], r[1], 0x20),
                      _mm256_permute2x128_si256(r[2], r[3], 0x20), out, in, want > 0);
    zc_pair_xor_store(_mm256_permute2x128_si256(r[0], r[1], 0x31),
                      _mm256_permute2x128_si256(r[2], r[3], 0x31), out + 64, in + 64, want > 1);
}

static ZC_AVX2 void zc_chacha20_rows_avx2(const uint32_t key[8], uint32_t counter,
                                          const uint32_t nonce[3], unsigned char *out,
                                          const unsigned char *in, size_t nblocks)
{
    __m256i x[4], y[4];

    zc_rows2_init(x, key, counter, nonce);
    if (nblocks <= 2) {
        for (int round = 0; round < 10; round++)
            ZC_ROWS_DOUBLE_ROUND_V(_mm256_, ZC_QR8_AVX2, x[0], x[1], x[2], x[3]);
    } else {
        zc_rows2_init(y, key, counter + 2, nonce);
        for (int round = 0; round < 10; round++) {
            ZC_ROWS_DOUBLE_ROUND_V(_mm256_, ZC_QR8_AVX2, x[0], x[1], x[2], x[3]);
            ZC_ROWS_DOUBLE_ROUND_V(_mm256_, ZC_QR8_AVX2, y[0], y[1], y[2], y[3]);
        }
        zc_rows2_finish(y, key, counter + 2, nonce, out + 128, in + 128, nblocks - 2);
    }
    zc_rows2_finish(x, key, counter, nonce, out, in, nblocks);
}

typedef void zc_chacha20_part_fn(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                                 unsigned char *out, const unsigned char *in, size_t nblocks);

/* What is left below a full-width pass: 5-8 blocks vertically, 1-4 row-wise. */
static inline void zc_chacha20_rest(zc_chacha20_part_fn *x8, zc_chacha20_part_fn *rows,
                                    const uint32_t key[8], uint32_t counter,
                                    const uint32_t nonce[3], unsigned char *out,
                                    const unsigned char *in, size_t nblocks)
{
    while (nblocks > 0) {
        size_t n = nblocks > 8 ? 8 : nblocks;

        (n > 4 ? x8 : rows)(key, counter, nonce, out, in, n);
        nblocks -= n, counter += (uint32_t)n, in += 64 * n, out += 64 * n;
    }
}

void zc_x86_chacha20_avx2(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                          unsigned char *out, const unsigned char *in, size_t nblocks)
{
    zc_chacha20_rest(zc_chacha20_x8_avx2, zc_chacha20_rows_avx2, key, counter, nonce, out, in,
                     nblocks);
}

void zc_x86_chacha20_avx512(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                            unsigned char *out, const unsigned char *in, size_t nblocks)
{
    for (; nblocks >= 16; nblocks -= 16, counter += 16, in += 1024, out += 1024) {
        if (nblocks == 17) { /* the zc_chachapoly_prims pass_plus1 case */
            zc_chacha20_x17(key, counter, nonce, out, in);
            return;
        }
        zc_chacha20_x16(key, counter, nonce, out, in);
    }
    zc_chacha20_rest(zc_chacha20_x8, zc_chacha20_rows4, key, counter, nonce, out, in, nblocks);
}

/*
 * Packets at once, one per 32-bit lane (sixteen on AVX-512, eight on AVX2):
 * the vertical layout of a pass with each lane's own counter and nonce
 * words loaded as vectors instead of broadcast, so lane j computes one
 * block of packet j. ks receives lane j's block at 64 j (the same
 * transpose and store as a pass, xored with zeros). ctr and the nonce rows
 * are ZC_CP_LANES_MAX wide whatever the width; a narrower kernel reads the
 * first lanes of each.
 */
static const unsigned char zc_zero_pass[1024] __attribute__((aligned(64)));

#define ZC_LOAD512(p) _mm512_loadu_si512(p)
#define ZC_LOAD256(p) _mm256_loadu_si256((const __m256i *)(p))

#define ZC_CHACHA20_LANES_DEFINE(name, TARGET, P, VEC, LOAD, ROUNDS, STORE, width)               \
    TARGET void name(const uint32_t key[8], const uint32_t ctr[ZC_CP_LANES_MAX],                \
                     const uint32_t nonce[3][ZC_CP_LANES_MAX], unsigned char *ks)               \
    {                                                                                           \
        VEC x[16], v[4][4];                                                                     \
                                                                                                \
        ZC_VERT_INPUT_ROWS(P, ZC_VERT_SET, x, key, ZC_ROWS_LANES, ctr, nonce, LOAD);           \
        ROUNDS(x);                                                                              \
        ZC_VERT_INPUT_ROWS(P, P##add_epi32, x, key, ZC_ROWS_LANES, ctr, nonce, LOAD);          \
        ZC_VERT_UNPACK(P, x, v);                                                                \
        STORE(v, ks, zc_zero_pass, width);                                                      \
    }

#define ZC_ROUNDS_X16(x) ZC_CHACHA20_ROUNDS(ZC_QR, x)
ZC_CHACHA20_LANES_DEFINE(zc_x86_chacha20_lanes16, ZC_AVX512VL, _mm512_, __m512i, ZC_LOAD512,
                         ZC_ROUNDS_X16, ZC_X16_STORE, 16)
ZC_CHACHA20_LANES_DEFINE(zc_x86_chacha20_lanes8, ZC_AVX2, _mm256_, __m256i, ZC_LOAD256,
                         ZC_ROUNDS_X8_AVX2, ZC_X8_STORE, 8)
