/*
 * The AES-GCM kernel on VAES + VPCLMULQDQ with AVX2 (Zen 3, Intel client
 * cores, Sierra Forest): two blocks per 256-bit vector, for long messages
 * of the avx2 backend where ipsec-mb has no VAES code (1.3) or slower code
 * (see zc_imb_aead.c). The bulk loop and the segment GHASH are the same
 * source as the AVX-512 kernel's (zc_x86_gcm_bulk.h); AVX2 has no byte-masked
 * loads and stores, so ragged ends go through a small buffer, and there is
 * no fused short pass: short records stay with ipsec-mb.
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

const zc_x86_gcm_kernel zc_x86_gcm_vaes256_kernel = {
    zc_gcm_ctr_vaes256, zc_gcm_ghash_vaes256, NULL, NULL, zc_gcm_bulk_vaes256,
};
