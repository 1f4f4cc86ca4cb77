/*
 * The AES-GCM kernel on VAES + VPCLMULQDQ with AVX2 (Zen 3, Intel client
 * cores, Sierra Forest): two blocks per 256-bit vector, for the avx2
 * backend where ipsec-mb has no VAES code (1.3) or does not run it (2.x
 * without GFNI; see zc_imb_aead.c). The bulk loop and the segment GHASH are
 * the same source as the AVX-512 kernel's (zc_x86_gcm_bulk.h). Records up
 * to ZC_X86_GCM_FUSED_MAX take one fused pass (AES in two runs of up to
 * eight vectors, GHASH from registers, one reduction), as on AVX-512. AVX2
 * has no byte-masked loads and stores: ragged ends load by dword masks and
 * store through a small buffer.
 */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include "zc_x86_gcm_kernel.h"

#define ZC_V256_TARGET "avx2,vaes,vpclmulqdq,aes,pclmul,ssse3,sse4.1"
#define ZC_V256 __attribute__((target(ZC_V256_TARGET)))
#define ZC_V256_INLINE __attribute__((target(ZC_V256_TARGET), always_inline)) static inline

ZC_V256_INLINE __m256i zc_bswap256(__m256i v)
{
    return _mm256_shuffle_epi8(v, _mm256_broadcastsi128_si256(_mm_set_epi8(
                                      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)));
}

ZC_V256_INLINE __m128i zc_fold256(__m256i v)
{
    return _mm_xor_si128(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
}

/* n < 32 bytes at p, zero-padded: a buffer, never a read past p + n. */
ZC_V256_INLINE __m256i zc_load_part256(const unsigned char *p, size_t n)
{
    unsigned char b[32] = { 0 };

    memcpy(b, p, n);
    return _mm256_loadu_si256((const __m256i *)b);
}

/* n < 32 bytes of v to p. */
ZC_V256_INLINE void zc_store_part256(unsigned char *p, __m256i v, size_t n)
{
    unsigned char b[32];

    _mm256_storeu_si256((__m256i *)b, v);
    memcpy(p, b, n);
}

/* v with bytes n.. (n < 32) zeroed: a mask loaded from a run of ones. */
ZC_V256_INLINE __m256i zc_keep256(__m256i v, size_t n)
{
    static const unsigned char ones[64] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    };

    return _mm256_and_si256(v, _mm256_loadu_si256((const __m256i *)(ones + 32 - n)));
}

#define ZC_BN(name) name##_vaes256
#define ZC_BTARGET ZC_V256_TARGET
#define ZC_BV __m256i
#define ZC_BL 2
#define ZC_BV_LOAD(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define ZC_BV_STORE(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), (v))
#define ZC_BV_XOR(a, b) _mm256_xor_si256((a), (b))
#define ZC_BV_XOR3(a, b, c) _mm256_xor_si256(_mm256_xor_si256((a), (b)), (c))
#define ZC_BV_ZERO() _mm256_setzero_si256()
#define ZC_BV_BCAST(v) _mm256_broadcastsi128_si256(v)
#define ZC_BV_BSWAP(v) zc_bswap256(v)
#define ZC_BV_ADD32(a, b) _mm256_add_epi32((a), (b))
#define ZC_BV_AESENC(v, k) _mm256_aesenc_epi128((v), (k))
#define ZC_BV_AESLAST(v, k) _mm256_aesenclast_epi128((v), (k))
#define ZC_BV_CLMUL(a, b, i) _mm256_clmulepi64_epi128((a), (b), (i))
#define ZC_BV_SWAP64(v) _mm256_shuffle_epi32((v), 0x4e)
#define ZC_BV_FOLD(v) zc_fold256(v)
#define ZC_BV_ZEXT(v) _mm256_zextsi128_si256(v)
#define ZC_BV_LANES(c0, st) _mm256_set_epi32(0, 0, 0, (int)((c0) + (st)), 0, 0, 0, (int)(c0))
#define ZC_BV_LOAD_PART(p, n) zc_load_part256((p), (n))
#define ZC_BV_STORE_PART(p, v, n) zc_store_part256((p), (v), (n))
#define ZC_BV_KEEP(v, n) zc_keep256((v), (n))
#include "zc_x86_gcm_bulk.h"

/* n vectors of keystream XORed from in to out (whole vectors). */
ZC_V256_INLINE void zc_ctr256_pass(const zc_x86_gcm_key *k, __m256i *ctr, const int n,
                                   unsigned char *out, const unsigned char *in)
{
    __m256i s[8];

    zc_baes_vaes256(k, s, ctr, n);
    _Pragma("GCC unroll 8")
    for (int i = 0; i < n; i++)
        _mm256_storeu_si256((__m256i *)(out + 32 * i),
                            _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(in + 32 * i)), s[i]));
}

/*
 * The kernel's ctr entry (contract in zc_x86_gcm_kernel.h). E_K(J0) is one
 * AES-NI block of its own: this kernel serves long messages, where the
 * lane it would save does not show.
 */
ZC_V256 static void zc_gcm_ctr_vaes256(const zc_x86_gcm_key *k, const unsigned char j0[16],
                                       uint32_t idx, unsigned char *out,
                                       const unsigned char *in, size_t len,
                                       unsigned char ks_tail[16], unsigned char ekj0[16])
{
    __m256i ctr = zc_bctr0_vaes256(j0, idx);

    if (ekj0 != NULL)
        zc_gcm_ekj0(k, j0, ekj0);
    for (; len >= 256; len -= 256, in += 256, out += 256)
        zc_ctr256_pass(k, &ctr, 8, out, in);
    for (; len >= 32; len -= 32, in += 32, out += 32)
        zc_ctr256_pass(k, &ctr, 1, out, in);
    if (len > 0) {
        unsigned char b[32] = { 0 }, ks[32];
        __m256i s;

        zc_baes_vaes256(k, &s, &ctr, 1);
        memcpy(b, in, len);
        _mm256_storeu_si256((__m256i *)b, _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)b), s));
        memcpy(out, b, len);
        if (len % 16 != 0 && ks_tail != NULL) {
            _mm256_storeu_si256((__m256i *)ks, s);
            memcpy(ks_tail, ks + len / 16 * 16, 16);
        }
        OPENSSL_cleanse(ks, sizeof(ks));
        OPENSSL_cleanse(b, sizeof(b));
    }
}

/*
 * Bytes [lo, hi) of the 32 at p + base, zeros elsewhere (lo - base is 0 or
 * 16); only those bytes are read. Whole dwords by a masked load (a masked
 * lane is never read), the last 1-3 bytes one by one: a copy into a buffer
 * and one load of it would stall on store forwarding, ~20% of a 16-byte
 * record on Zen 3.
 */
ZC_V256_INLINE __m256i zc_load_range256(uintptr_t p, size_t base, size_t lo, size_t hi)
{
    const size_t a = lo > base ? lo - base : 0, b = hi - base >= 32 ? 32 : hi - base;
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const unsigned char *q = (const unsigned char *)(p + base);
    __m256i m, v;

    if (a == 0 && b == 32)
        return _mm256_loadu_si256((const __m256i *)q);
    m = _mm256_and_si256(_mm256_cmpgt_epi32(idx, _mm256_set1_epi32((int)(a / 4) - 1)),
                         _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(b / 4)), idx));
    v = _mm256_maskload_epi32((const int *)(const void *)q, m);
    if (b % 4 != 0) {
        const size_t o = b & ~(size_t)3;
        uint32_t t = q[o];

        if (b % 4 > 1)
            t |= (uint32_t)q[o + 1] << 8;
        if (b % 4 > 2)
            t |= (uint32_t)q[o + 2] << 16;
        v = _mm256_or_si256(v, _mm256_and_si256(_mm256_set1_epi32((int)t),
                                                _mm256_cmpeq_epi32(idx, _mm256_set1_epi32((int)(b / 4)))));
    }
    return v;
}

/* Bytes [lo, hi) of v to p + base (as zc_load_range256 reads them). */
ZC_V256_INLINE void zc_store_range256(uintptr_t p, size_t base, size_t lo, size_t hi, __m256i v)
{
    const size_t a = lo > base ? lo - base : 0, b = hi - base >= 32 ? 32 : hi - base;
    unsigned char buf[32];

    if (a == 0 && b == 32) {
        _mm256_storeu_si256((__m256i *)(p + base), v);
        return;
    }
    _mm256_storeu_si256((__m256i *)buf, v);
    memcpy((void *)(p + base + a), buf + a, b - a);
}

/* v with bytes n.. (n < 32) zeroed, by a compare: no table for the compiler
 * to bound-check in the unrolled passes. */
ZC_V256_INLINE __m256i zc_below256(__m256i v, size_t n)
{
    const __m256i idx = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                         17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);

    return _mm256_and_si256(v, _mm256_cmpgt_epi8(_mm256_set1_epi8((char)n), idx));
}

/*
 * The fused first pass over n vectors (a constant after inlining), the
 * AVX-512 kernel's plan on two lanes: stream block 0 is J0, data block d
 * stream block d + 1; AAD block a hashes with the power at position a,
 * data block d at aadb + d, of m = aadb + datab + 1 (the length block
 * last), so vector i of the stream takes the powers from aadb - 1 + 2i (its
 * J0 lane is zero). AES runs eight vectors at a time (eight states and a
 * round key fill the sixteen registers); the ciphertext is hashed from
 * registers, never reloaded.
 */
ZC_V256_INLINE void zc_v256_fused(const zc_x86_gcm_key *k, const int n,
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
    const __m128i lens = _mm_set_epi64x((long long)(aadlen * 8), (long long)(len * 8));
    __m256i lo = _mm256_setzero_si256(), mi = lo, hi = lo;
    __m256i ctr = zc_bctr0_vaes256(j0, 0);

    /* The AAD (at most 64 bytes) does not wait for AES. */
    for (size_t a = 0; a < aadlen; a += 32)
        zc_bclmul_vaes256(zc_bswap256(zc_load_range256((uintptr_t)aad, a, 0, aadlen)),
                          _mm256_loadu_si256((const __m256i *)ZC_GCM_HP(k, first + a / 16)),
                          &lo, &mi, &hi);
    _Pragma("GCC unroll 2")
    for (int p = 0; p < n; p += 8) {
        const int w = n - p < 8 ? n - p : 8;
        __m256i s[8];

        zc_baes_vaes256(k, s, &ctr, w);
        if (p == 0)
            _mm_storeu_si128((__m128i *)ekj0, _mm256_castsi256_si128(s[0]));
        _Pragma("GCC unroll 8")
        for (int i = 0; i < w; i++) {
            const size_t base = (size_t)(p + i) * 32;
            const __m256i d = zc_load_range256(vin, base, 16, hi_b);
            const __m256i x = _mm256_xor_si256(d, s[i]);
            __m256i c = d;

            if (enc) { /* the ciphertext without J0's lane or bytes past the end */
                c = base == 0 ? _mm256_blend_epi32(x, _mm256_setzero_si256(), 0x0f) : x;
                if (hi_b - base < 32)
                    c = zc_below256(c, hi_b - base);
            }
            zc_store_range256(vout, base, 16, hi_b, x);
            if (pend != NULL)
                _mm256_storeu_si256((__m256i *)(pend - 16 + base), c);
            if (ks_tail != NULL && tail - base < 32) {
                unsigned char ks[32];

                _mm256_storeu_si256((__m256i *)ks, s[i]);
                memcpy(ks_tail, ks + (tail - base), 16);
                OPENSSL_cleanse(ks, sizeof(ks));
            }
            zc_bclmul_vaes256(zc_bswap256(c),
                              _mm256_loadu_si256((const __m256i *)ZC_GCM_HP(
                                  k, first + aadb - 1 + 2 * (size_t)(p + i))),
                              &lo, &mi, &hi);
        }
    }
    /* The length block with H^1 (the table's zero entry after it in lane 1). */
    zc_bclmul_vaes256(_mm256_zextsi128_si256(lens),
                      _mm256_loadu_si256((const __m256i *)ZC_GCM_HP(k, ZC_X86_GCM_POWERS - 1)),
                      &lo, &mi, &hi);
    _mm_storeu_si128((__m128i *)xout, zc_breduce_vaes256(lo, mi, hi));
}

ZC_V256 static void zc_gcm_fused_vaes256(const zc_x86_gcm_key *k, const unsigned char j0[16],
                                         const unsigned char *aad, size_t aadlen,
                                         unsigned char *out, const unsigned char *in,
                                         size_t len, int enc, unsigned char xout[16],
                                         unsigned char ekj0[16], unsigned char ks_tail[16],
                                         unsigned char *pend)
{
#define ZC_FUSED_N(n) \
    zc_v256_fused(k, (n), j0, aad, aadlen, out, in, len, enc, xout, ekj0, ks_tail, pend)
    switch ((16 + len + 31) / 32) {
    case 1: ZC_FUSED_N(1); break;
    case 2: ZC_FUSED_N(2); break;
    case 3: ZC_FUSED_N(3); break;
    case 4: ZC_FUSED_N(4); break;
    case 5: ZC_FUSED_N(5); break;
    case 6: ZC_FUSED_N(6); break;
    case 7: ZC_FUSED_N(7); break;
    case 8: ZC_FUSED_N(8); break;
    case 9: ZC_FUSED_N(9); break;
    case 10: ZC_FUSED_N(10); break;
    case 11: ZC_FUSED_N(11); break;
    case 12: ZC_FUSED_N(12); break;
    case 13: ZC_FUSED_N(13); break;
    case 14: ZC_FUSED_N(14); break;
    case 15: ZC_FUSED_N(15); break;
    default: ZC_FUSED_N(16); break;
    }
#undef ZC_FUSED_N
}

/* The AAD zero-padded in two whole-vector stores, which the fused pass's
 * loads of it then take from the store queue. */
ZC_V256 static void zc_gcm_aad_store_vaes256(unsigned char dst[64], const unsigned char *src,
                                             size_t len)
{
    _mm256_storeu_si256((__m256i *)dst, zc_load_range256((uintptr_t)src, 0, 0, len));
    _mm256_storeu_si256((__m256i *)(dst + 32),
                        len > 32 ? zc_load_range256((uintptr_t)src, 32, 0, len)
                                 : _mm256_setzero_si256());
}

const zc_x86_gcm_kernel zc_x86_gcm_vaes256_kernel = {
    zc_gcm_ctr_vaes256, zc_gcm_ghash_vaes256, zc_gcm_fused_vaes256, zc_gcm_aad_store_vaes256,
    zc_gcm_bulk_vaes256, NULL,
};
