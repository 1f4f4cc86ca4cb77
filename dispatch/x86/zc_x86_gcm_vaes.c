/*
 * The AES-GCM kernel on VAES + VPCLMULQDQ with AVX-512: four blocks per
 * vector, up to 32 blocks per AES pass (E_K(J0) rides in lane 0 of the
 * first), byte-masked loads and stores for ragged ends (a masked lane is
 * never read, so no copy into a padded buffer), and GHASH of up to 32
 * blocks with one reduction. A record of up to 480 bytes takes one fused
 * pass: AES, XOR, GHASH of AAD, ciphertext and length block from registers.
 * Longer runs take the stitched bulk loop of zc_x86_gcm_bulk.h on 512-bit
 * vectors. Zen 4 runs the 512-bit forms as two 256-bit halves: the gain
 * over 256-bit code is fewer instructions, not width.
 */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include "zc_x86_gcm_kernel.h"

#define ZC_VAES512 __attribute__((target("avx512f,avx512bw,avx512vl,vaes,vpclmulqdq,pclmul,ssse3")))
#define ZC_VAES512_INLINE                                                                   \
    __attribute__((target("avx512f,avx512bw,avx512vl,vaes,vpclmulqdq,pclmul,ssse3"),        \
                   always_inline)) static inline

/* Vectors per AES pass: 32 blocks in registers (8 states + a round key)
 * keep the AES units busy and cover a 496-byte record in one latency chain. */
#define ZC_VAES_PASS 8

ZC_VAES512_INLINE __m512i zc_bswap512(__m512i v)
{
    return _mm512_shuffle_epi8(v, _mm512_broadcast_i32x4(_mm_set_epi8(
                                      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)));
}

/* Bytes [lo, hi) of the 64 starting at base (lo <= base + 64, any hi). */
static inline __mmask64 zc_range_mask(size_t base, size_t lo, size_t hi)
{
    size_t a = lo > base ? lo - base : 0, b = hi - base >= 64 ? 64 : hi - base;
    uint64_t m = b == 64 ? ~UINT64_C(0) : (UINT64_C(1) << b) - 1;

    return (__mmask64)(m & ~((UINT64_C(1) << a) - 1));
}

ZC_VAES512_INLINE __m128i zc_fold512(__m512i v)
{
    __m256i h = _mm256_xor_si256(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));

    return _mm_xor_si128(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

/* The bulk loop and the segment GHASH on 512-bit vectors (zc_x86_gcm_bulk.h). */
#define ZC_BN(name) name##_vaes512
#define ZC_BTARGET "avx512f,avx512bw,avx512vl,vaes,vpclmulqdq,pclmul,ssse3"
#define ZC_BV __m512i
#define ZC_BL 4
#define ZC_BV_LOAD(p) _mm512_loadu_si512((const void *)(p))
#define ZC_BV_STORE(p, v) _mm512_storeu_si512((void *)(p), (v))
#define ZC_BV_XOR(a, b) _mm512_xor_si512((a), (b))
#define ZC_BV_XOR3(a, b, c) _mm512_ternarylogic_epi64((a), (b), (c), 0x96)
#define ZC_BV_ZERO() _mm512_setzero_si512()
#define ZC_BV_BCAST(v) _mm512_broadcast_i32x4(v)
#define ZC_BV_BSWAP(v) zc_bswap512(v)
#define ZC_BV_ADD32(a, b) _mm512_add_epi32((a), (b))
#define ZC_BV_AESENC(v, k) _mm512_aesenc_epi128((v), (k))
#define ZC_BV_AESLAST(v, k) _mm512_aesenclast_epi128((v), (k))
#define ZC_BV_CLMUL(a, b, i) _mm512_clmulepi64_epi128((a), (b), (i))
#define ZC_BV_SWAP64(v) _mm512_shuffle_epi32((v), _MM_PERM_BADC)
#define ZC_BV_FOLD(v) zc_fold512(v)
#define ZC_BV_ZEXT(v) _mm512_zextsi128_si512(v)
#define ZC_BV_LANES(c0, st)                                                                 \
    _mm512_set_epi32(0, 0, 0, (int)((c0) + 3 * (st)), 0, 0, 0, (int)((c0) + 2 * (st)), 0, 0, \
                     0, (int)((c0) + (st)), 0, 0, 0, (int)(c0))
#define ZC_BV_LOAD_PART(p, n) _mm512_maskz_loadu_epi8(zc_range_mask(0, 0, (n)), (p))
#define ZC_BV_STORE_PART(p, v, n) _mm512_mask_storeu_epi8((p), zc_range_mask(0, 0, (n)), (v))
#define ZC_BV_KEEP(v, n) _mm512_maskz_mov_epi8(zc_range_mask(0, 0, (n)), (v))
#include "zc_x86_gcm_bulk.h"

/* One data byte window of the keystream stream (see zc_gcm_ctr_vaes512). */
typedef struct zc_vaes_stream {
    uintptr_t vin, vout;
    size_t lo, hi, tail;
    unsigned char *ks_tail, *ekj0;
} zc_vaes_stream;

/*
 * n vectors (a constant after inlining, so they live in registers) of
 * counter blocks from *ctr through AES, XORed into the data at stream
 * offset base.
 */
ZC_VAES512_INLINE void zc_vaes_pass(const zc_x86_gcm_key *k, __m512i *ctr, const int n,
                                    const zc_vaes_stream *st, size_t base)
{
    __m512i s[ZC_VAES_PASS];

    zc_baes_vaes512(k, s, ctr, n);
    if (base == 0 && st->ekj0 != NULL)
        _mm_storeu_si128((__m128i *)st->ekj0, _mm512_castsi512_si128(s[0]));
    _Pragma("GCC unroll 8")
    for (int i = 0; i < n; i++, base += 64) {
        __mmask64 m = zc_range_mask(base, st->lo, st->hi);
        __m512i d = _mm512_maskz_loadu_epi8(m, (const void *)(st->vin + base));

        _mm512_mask_storeu_epi8((void *)(st->vout + base), m, _mm512_xor_si512(d, s[i]));
        if (st->tail - base < 64) {
            unsigned char ks[64];

            _mm512_storeu_si512(ks, s[i]);
            memcpy(st->ks_tail, ks + (st->tail - base), 16);
            OPENSSL_cleanse(ks, sizeof(ks));
        }
    }
}

/*
 * The keystream is a stream of blocks, E_K(J0) first when asked for, so
 * data byte i sits at stream byte i + 16 * shift; loads and stores use the
 * data pointer moved back by that much, masked to the data.
 */
ZC_VAES512 static void zc_gcm_ctr_vaes512(const zc_x86_gcm_key *k, const unsigned char j0[16],
                                          uint32_t idx, unsigned char *out,
                                          const unsigned char *in, size_t len,
                                          unsigned char ks_tail[16], unsigned char ekj0[16])
{
    const size_t lo = ekj0 != NULL ? 16 : 0;
    const zc_vaes_stream st = {
        .vin = (uintptr_t)in - lo, .vout = (uintptr_t)out - lo, .lo = lo, .hi = lo + len,
        .tail = len % 16 != 0 && ks_tail != NULL ? lo + len / 16 * 16 : SIZE_MAX,
        .ks_tail = ks_tail, .ekj0 = ekj0,
    };
    const uint32_t c0 = ekj0 != NULL ? 0 : idx;
    size_t base = 0;
    __m512i ctr = zc_bctr0_vaes512(j0, c0);

    for (; st.hi > base + (ZC_VAES_PASS - 1) * 64; base += ZC_VAES_PASS * 64)
        zc_vaes_pass(k, &ctr, ZC_VAES_PASS, &st, base);
    switch (st.hi > base ? (st.hi - base + 63) / 64 : 0) {
    case 7: zc_vaes_pass(k, &ctr, 7, &st, base); break;
    case 6: zc_vaes_pass(k, &ctr, 6, &st, base); break;
    case 5: zc_vaes_pass(k, &ctr, 5, &st, base); break;
    case 4: zc_vaes_pass(k, &ctr, 4, &st, base); break;
    case 3: zc_vaes_pass(k, &ctr, 3, &st, base); break;
    case 2: zc_vaes_pass(k, &ctr, 2, &st, base); break;
    case 1: zc_vaes_pass(k, &ctr, 1, &st, base); break;
    default: break;
    }
}


/*
 * The fused first pass over n vectors (a constant after inlining). Stream
 * block 0 is J0, data block d is stream block d + 1; in the hash, AAD
 * block a has position a and data block d position aadb + d, of
 * m = aadb + datab + 1 (the length block last), so vector i of the stream
 * takes the powers from position aadb - 1 + 4i (its J0 lane is zero).
 * The ciphertext is hashed from registers, never reloaded from memory.
 */
ZC_VAES512_INLINE void zc_vaes_fused(const zc_x86_gcm_key *k, const int n,
                                     const unsigned char j0[16], const unsigned char *aad,
                                     size_t aadlen, unsigned char *out, const unsigned char *in,
                                     size_t len, int enc, unsigned char xout[16],
                                     unsigned char ekj0[16], unsigned char ks_tail[16],
                                     unsigned char *pend)
{
    const size_t aadb = (aadlen + 15) / 16, m = aadb + (len + 15) / 16 + 1;
    const size_t first = ZC_X86_GCM_POWERS - m, hi_b = 16 + len;
    const size_t tail = len % 16 != 0 ? 16 + len / 16 * 16 : SIZE_MAX;
    const uintptr_t vin = (uintptr_t)in - 16, vout = (uintptr_t)out - 16;
    __m512i s[ZC_VAES_PASS], lo = _mm512_setzero_si512(), mi = lo, hi = lo;
    __m512i ctr = zc_bctr0_vaes512(j0, 0);

    /* The AAD does not wait for AES: out-of-order execution overlaps them. */
    if (aadlen != 0)
        zc_bclmul_vaes512(zc_bswap512(_mm512_maskz_loadu_epi8(zc_range_mask(0, 0, aadlen), aad)),
                     _mm512_loadu_si512(ZC_GCM_HP(k, first)), &lo, &mi, &hi);
    zc_baes_vaes512(k, s, &ctr, n);
    _mm_storeu_si128((__m128i *)ekj0, _mm512_castsi512_si128(s[0]));
    _Pragma("GCC unroll 8")
    for (int i = 0; i < n; i++) {
        const size_t base = (size_t)i * 64;
        const __mmask64 msk = zc_range_mask(base, 16, hi_b);
        __m512i d = _mm512_maskz_loadu_epi8(msk, (const void *)(vin + base));
        __m512i x = _mm512_xor_si512(d, s[i]);
        __m512i c = enc ? _mm512_maskz_mov_epi8(msk, x) : d;

        _mm512_mask_storeu_epi8((void *)(vout + base), msk, x);
        if (pend != NULL)
            _mm512_storeu_si512(pend - 16 + base, c);
        if (ks_tail != NULL && tail - base < 64) {
            unsigned char ks[64];

            _mm512_storeu_si512(ks, s[i]);
            memcpy(ks_tail, ks + (tail - base), 16);
            OPENSSL_cleanse(ks, sizeof(ks));
        }
        zc_bclmul_vaes512(zc_bswap512(c), _mm512_loadu_si512(ZC_GCM_HP(k, first + aadb - 1 + 4 * (size_t)i)),
                     &lo, &mi, &hi);
    }
    {
        /* The length block (H^1) and the one reduction, here rather than at
         * finish: the caller's way from update to final then overlaps them. */
        const __m128i l = _mm_set_epi64x((long long)(aadlen * 8), (long long)(len * 8));
        const __m128i h = _mm_loadu_si128((const __m128i *)ZC_GCM_HP(k, ZC_X86_GCM_POWERS - 1));
        __m128i lo1 = _mm_xor_si128(zc_fold512(lo), _mm_clmulepi64_si128(l, h, 0x00));
        __m128i mi1 = _mm_ternarylogic_epi64(zc_fold512(mi), _mm_clmulepi64_si128(l, h, 0x01),
                                             _mm_clmulepi64_si128(l, h, 0x10), 0x96);
        __m128i hi1 = _mm_xor_si128(zc_fold512(hi), _mm_clmulepi64_si128(l, h, 0x11));

        _mm_storeu_si128((__m128i *)xout, zc_gcm_reduce(lo1, mi1, hi1));
    }
}

ZC_VAES512 static void zc_gcm_fused_vaes512(const zc_x86_gcm_key *k, const unsigned char j0[16],
                                            const unsigned char *aad, size_t aadlen,
                                            unsigned char *out, const unsigned char *in,
                                            size_t len, int enc, unsigned char xout[16],
                                            unsigned char ekj0[16], unsigned char ks_tail[16],
                                            unsigned char *pend)
{
#define ZC_FUSED_N(n) \
    zc_vaes_fused(k, (n), j0, aad, aadlen, out, in, len, enc, xout, ekj0, ks_tail, pend)
    switch ((16 + len + 63) / 64) {
    case 1: ZC_FUSED_N(1); break;
    case 2: ZC_FUSED_N(2); break;
    case 3: ZC_FUSED_N(3); break;
    case 4: ZC_FUSED_N(4); break;
    case 5: ZC_FUSED_N(5); break;
    case 6: ZC_FUSED_N(6); break;
    case 7: ZC_FUSED_N(7); break;
    default: ZC_FUSED_N(8); break;
    }
#undef ZC_FUSED_N
}

ZC_VAES512 static void zc_gcm_aad_store_vaes512(unsigned char dst[64], const unsigned char *src,
                                                size_t len)
{
    _mm512_storeu_si512(dst, _mm512_maskz_loadu_epi8(zc_range_mask(0, 0, len), src));
}

/*
 * Packets side by side (the pipeline's short packets): a 64-byte packet
 * alone is two vectors in one 14-round latency chain (J0 and its four
 * blocks), so the AES units idle. Here up to four packets share a pass:
 * their J0s in the lanes of one vector, then each packet's data in vpp
 * vectors of its own (a constant after inlining: 1 or 2), and GHASH runs
 * per packet from registers with its own powers of H, as the fused pass
 * does for one.
 */
/* dword 3 (the big-endian counter's word) of every lane = c << 24: counter c. */
#define ZC_LANES_CTR(c) _mm512_maskz_set1_epi32((__mmask16)0x8888, (int)((uint32_t)(c) << 24))

ZC_VAES512_INLINE void zc_vaes_lanes(const zc_x86_gcm_key *k, const int vpp,
                                     zc_batch_msg *const *m, int n, int enc)
{
    /* Data vector v of a packet holds its blocks 4v..4v+3: counters 2 + 4v + lane. */
    const __m512i lane = _mm512_set_epi32(3 << 24, 0, 0, 0, 2 << 24, 0, 0, 0, 1 << 24, 0, 0, 0,
                                          0, 0, 0, 0);
    const unsigned rounds = k->rounds;
    __m512i s[1 + 4 * 2], kr;
    __m128i ekj0[4];

    s[0] = _mm512_setzero_si512();
    _Pragma("GCC unroll 4")
    for (int p = 0; p < 4; p++) {
        /* IV || 0 in every lane (a masked load: the IV is 12 bytes, never
         * read past); lanes of absent packets repeat the first's. */
        const __m512i b = _mm512_broadcast_i32x4(
            _mm_maskz_loadu_epi8((__mmask16)0x0fff, m[p < n ? p : 0]->iv));

        s[0] = _mm512_mask_blend_epi64((__mmask8)(3u << (2 * p)), s[0],
                                       _mm512_add_epi32(b, ZC_LANES_CTR(1)));
        _Pragma("GCC unroll 2")
        for (int v = 0; v < vpp; v++)
            s[1 + p * vpp + v] = _mm512_add_epi32(_mm512_add_epi32(b, lane),
                                                  ZC_LANES_CTR(2 + 4 * v));
    }
    kr = _mm512_broadcast_i32x4(_mm_load_si128((const __m128i *)k->rk[0]));
    _Pragma("GCC unroll 9")
    for (int i = 0; i < 1 + 4 * vpp; i++)
        s[i] = _mm512_xor_si512(s[i], kr);
    for (unsigned r = 1; r < rounds; r++) {
        kr = _mm512_broadcast_i32x4(_mm_load_si128((const __m128i *)k->rk[r]));
        _Pragma("GCC unroll 9")
        for (int i = 0; i < 1 + 4 * vpp; i++)
            s[i] = _mm512_aesenc_epi128(s[i], kr);
    }
    kr = _mm512_broadcast_i32x4(_mm_load_si128((const __m128i *)k->rk[rounds]));
    _Pragma("GCC unroll 9")
    for (int i = 0; i < 1 + 4 * vpp; i++)
        s[i] = _mm512_aesenclast_epi128(s[i], kr);
    ekj0[0] = _mm512_castsi512_si128(s[0]);
    ekj0[1] = _mm512_extracti32x4_epi32(s[0], 1);
    ekj0[2] = _mm512_extracti32x4_epi32(s[0], 2);
    ekj0[3] = _mm512_extracti32x4_epi32(s[0], 3);
    _Pragma("GCC unroll 4")
    for (int p = 0; p < 4; p++) {
        if (p >= n)
            break;
        zc_batch_msg *q = m[p];
        /* As in the fused pass: AAD block a at position a, data block d at
         * aadb + d, the length block last (H^1). */
        const size_t aadb = (q->aadlen + 15) / 16, mb = aadb + (q->len + 15) / 16 + 1;
        const size_t first = ZC_X86_GCM_POWERS - mb;
        __m512i lo = _mm512_setzero_si512(), mi = lo, hi = lo;

        if (q->aadlen != 0)
            zc_bclmul_vaes512(zc_bswap512(_mm512_maskz_loadu_epi8(
                                  zc_range_mask(0, 0, q->aadlen), q->aad)),
                              _mm512_loadu_si512(ZC_GCM_HP(k, first)), &lo, &mi, &hi);
        _Pragma("GCC unroll 2")
        for (int v = 0; v < vpp; v++) {
            const size_t base = (size_t)v * 64;

            if (base >= q->len)
                break;
            const __mmask64 msk = zc_range_mask(base, base, q->len);
            __m512i d = _mm512_maskz_loadu_epi8(msk, q->in + base);
            __m512i x = _mm512_xor_si512(d, s[1 + p * vpp + v]);
            __m512i c = enc ? _mm512_maskz_mov_epi8(msk, x) : d;

            _mm512_mask_storeu_epi8(q->out + base, msk, x);
            zc_bclmul_vaes512(zc_bswap512(c),
                              _mm512_loadu_si512(ZC_GCM_HP(k, first + aadb + 4 * (size_t)v)),
                              &lo, &mi, &hi);
        }
        {
            const __m128i l = _mm_set_epi64x((long long)(q->aadlen * 8), (long long)(q->len * 8));
            const __m128i h = _mm_loadu_si128((const __m128i *)ZC_GCM_HP(k, ZC_X86_GCM_POWERS - 1));
            __m128i lo1 = _mm_xor_si128(zc_fold512(lo), _mm_clmulepi64_si128(l, h, 0x00));
            __m128i mi1 = _mm_ternarylogic_epi64(zc_fold512(mi), _mm_clmulepi64_si128(l, h, 0x01),
                                                 _mm_clmulepi64_si128(l, h, 0x10), 0x96);
            __m128i hi1 = _mm_xor_si128(zc_fold512(hi), _mm_clmulepi64_si128(l, h, 0x11));

            _mm_storeu_si128((__m128i *)q->tag,
                             _mm_xor_si128(zc_gcm_bswap(zc_gcm_reduce(lo1, mi1, hi1)), ekj0[p]));
        }
    }
}

ZC_VAES512 static void zc_gcm_lanes_vaes512(const zc_x86_gcm_key *k, zc_batch_msg *const *m,
                                            int n, int enc)
{
    size_t longest = 0;

    for (int p = 0; p < n; p++)
        longest = m[p]->len > longest ? m[p]->len : longest;
    if (longest <= 64)
        zc_vaes_lanes(k, 1, m, n, enc);
    else
        zc_vaes_lanes(k, 2, m, n, enc);
}

const zc_x86_gcm_kernel zc_x86_gcm_vaes512_kernel = {
    zc_gcm_ctr_vaes512, zc_gcm_ghash_vaes512, zc_gcm_fused_vaes512, zc_gcm_aad_store_vaes512,
    zc_gcm_bulk_vaes512, zc_gcm_lanes_vaes512,
};
