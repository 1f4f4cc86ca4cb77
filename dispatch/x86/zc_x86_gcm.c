/*
 * The GCM framing every kernel shares (streaming in any chunking, any IV
 * length, one-shot) and key setup, on AES-NI + PCLMULQDQ. A record's first
 * update goes through the kernel's fused pass: AES of its counter blocks
 * and E_K(J0), and GHASH of AAD, data and length block with one reduction,
 * leaving the final hash for finish. Anything else keeps AAD and ciphertext
 * that are not hashed yet in the message state and hashes them in as few
 * passes as the powers of H allow.
 *
 * An AES-NI + PCLMULQDQ kernel (one block per vector, no fused pass) was
 * measured here at 0.5-0.8x ipsec-mb 1.3's SSE and AVX2 code for 16-480
 * byte records, so the sse/avx/avx2 backends keep ipsec-mb and there is none.
 */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include "zc_x86_gcm_kernel.h"
#include "zc_portable_internal.h"

#define ZC_AESNI __attribute__((target("aes,pclmul,ssse3,sse4.1")))
#define ZC_AESNI_INLINE __attribute__((target("aes,pclmul,ssse3,sse4.1"), always_inline)) static inline

ZC_AESNI_INLINE __m128i zc_gcm_mul(__m128i a, __m128i b)
{
    __m128i mi = _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x01), _mm_clmulepi64_si128(a, b, 0x10));

    return zc_gcm_reduce(_mm_clmulepi64_si128(a, b, 0x00), mi, _mm_clmulepi64_si128(a, b, 0x11));
}

static const zc_x86_gcm_kernel *const zc_x86_gcm_kernels[ZC_X86_GCM_KERNELS] = {
    [ZC_X86_GCM_VAES512] = &zc_x86_gcm_vaes512_kernel,
    [ZC_X86_GCM_VAES256] = &zc_x86_gcm_vaes256_kernel,
};

int zc_x86_gcm_kernel_available(zc_x86_gcm_kernel_id id)
{
    /* The framing and key setup use AES-NI, PCLMULQDQ and SSE4.1 too. */
    int aesni = __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul")
                && __builtin_cpu_supports("sse4.1");

    switch (id) {
    case ZC_X86_GCM_VAES512:
        return aesni && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
               && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("vaes")
               && __builtin_cpu_supports("vpclmulqdq");
    case ZC_X86_GCM_VAES256:
        return aesni && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("vaes")
               && __builtin_cpu_supports("vpclmulqdq");
    default:
        return 0;
    }
}

/*
 * H = E_K(0), byte-reflected, times x (a one-bit left shift of the 128-bit
 * value, folding the carried-out bit back with the polynomial): then the
 * carry-less product of a reflected block and H needs no shift. Its powers
 * are products of such values, so they keep the form.
 */
ZC_AESNI static void zc_gcm_hpowers(zc_x86_gcm_key *k)
{
    __m128i h = _mm_xor_si128(_mm_setzero_si128(), _mm_load_si128((const __m128i *)k->rk[0]));
    uint64_t hi, lo, carry;

    for (unsigned r = 1; r < k->rounds; r++)
        h = _mm_aesenc_si128(h, _mm_load_si128((const __m128i *)k->rk[r]));
    h = zc_gcm_bswap(_mm_aesenclast_si128(h, _mm_load_si128((const __m128i *)k->rk[k->rounds])));
    hi = (uint64_t)_mm_extract_epi64(h, 1), lo = (uint64_t)_mm_cvtsi128_si64(h);
    carry = 0 - (hi >> 63); /* all ones if a bit falls out: no branch on the key */
    hi = (hi << 1 | lo >> 63) ^ (carry & 0xc200000000000000ULL);
    lo = lo << 1 ^ (carry & 1);
    h = _mm_set_epi64x((long long)hi, (long long)lo);
    _mm_store_si128((__m128i *)ZC_GCM_HP(k, ZC_X86_GCM_POWERS - 1), h);
    for (int i = ZC_X86_GCM_POWERS - 2; i >= 0; i--)
        _mm_store_si128((__m128i *)ZC_GCM_HP(k, i),
                        zc_gcm_mul(_mm_load_si128((const __m128i *)ZC_GCM_HP(k, i + 1)), h));
    memset(ZC_GCM_HP(k, -1), 0, 16);
    memset(ZC_GCM_HP(k, ZC_X86_GCM_POWERS), 0, 3 * 16);
}

void zc_x86_gcm_key_setup(zc_x86_gcm_key *k, const unsigned char *key, size_t keylen,
                          zc_x86_gcm_kernel_id kernel)
{
    zc_aes_key ak;

    /* Once per key: the portable expansion is constant time and gives the
     * round keys in the byte order AES-NI takes. */
    zc_aes_expand(&ak, key, keylen);
    memcpy(k->rk, ak.rk, sizeof(k->rk));
    k->rounds = (uint32_t)ak.rounds;
    OPENSSL_cleanse(&ak, sizeof(ak));
    zc_gcm_hpowers(k);
    k->kernel = kernel;
}

static inline const zc_x86_gcm_kernel *zc_gcm_kern(const zc_x86_gcm_key *k)
{
    return zc_x86_gcm_kernels[k->kernel];
}

/*
 * Small values built in registers and stored once, 16 bytes at a time: a
 * 16-byte load of bytes written by narrower stores cannot be forwarded
 * from the store queue and waits for the stores to reach the cache, on
 * the latency path of a short record.
 */
ZC_AESNI_INLINE __m128i zc_gcm_lens_vec(uint64_t a, uint64_t c)
{
    /* len(A) || len(C) in bits, big endian: the byte reversal of (a, c). */
    return zc_gcm_bswap(_mm_set_epi64x((long long)(a * 8), (long long)(c * 8)));
}

ZC_AESNI_INLINE void zc_gcm_lens(unsigned char lens[16], uint64_t a, uint64_t c)
{
    _mm_storeu_si128((__m128i *)lens, zc_gcm_lens_vec(a, c));
}

/* J0: IV || 0^31 || 1 for 96-bit IVs, else GHASH(IV padded || length). */
ZC_AESNI_INLINE void zc_gcm_j0(const zc_x86_gcm_kernel *kn, const zc_x86_gcm_key *k,
                               unsigned char j0[16], const unsigned char *iv, size_t ivlen)
{
    unsigned char lens[16], x[16] = { 0 };
    zc_gcm_seg s[2] = { { iv, ivlen }, { lens, 16 } };

    if (ivlen == 12) {
        uint32_t w2;

        memcpy(&w2, iv + 8, 4);
        _mm_storeu_si128((__m128i *)j0,
                         _mm_insert_epi32(_mm_insert_epi32(_mm_loadl_epi64((const __m128i *)iv),
                                                           (int)w2, 2), 0x01000000, 3));
        return;
    }
    zc_gcm_lens(lens, 0, ivlen);
    kn->ghash(k, x, s, 2);
    _mm_storeu_si128((__m128i *)j0, zc_gcm_bswap(_mm_loadu_si128((const __m128i *)x)));
}

ZC_AESNI_INLINE void zc_gcm_tag(const unsigned char x[16], const unsigned char ekj0[16],
                                unsigned char tag[ZC_TAG_LEN])
{
    _mm_storeu_si128((__m128i *)tag, _mm_xor_si128(zc_gcm_bswap(_mm_loadu_si128((const __m128i *)x)),
                                                   _mm_loadu_si128((const __m128i *)ekj0)));
}

ZC_AESNI int zc_x86_gcm_start(const zc_x86_gcm_key *k, zc_x86_gcm_msg *m,
                     const unsigned char *iv, size_t ivlen,
                     const unsigned char *aad, size_t aadlen)
{
    const zc_x86_gcm_kernel *kn = zc_gcm_kern(k);

    if (ivlen == 0)
        return 0;
    zc_gcm_j0(kn, k, m->j0, iv, ivlen);
    /* Only what is read before written: the rest is filled as data comes. */
    memset(m->x, 0, sizeof(m->x));
    m->ctlen = 0;
    m->used = m->pend_len = m->have_ekj0 = m->fused = 0;
    m->next = 1;
    m->aadlen = aadlen;
    if (aadlen <= ZC_X86_GCM_AAD_PEND) {
        if (kn->aad_store != NULL)
            kn->aad_store(m->aad, aad, aadlen);
        else
            memcpy(m->aad, aad, aadlen);
        m->aad_pend = (uint32_t)aadlen;
    } else {
        zc_gcm_seg s = { aad, aadlen };

        m->aad_pend = 0;
        kn->ghash(k, m->x, &s, 1);
    }
    return 1;
}

/* A message's first len bytes went through the kernel's fused pass: what
 * finish, or further updates, read of it. */
static inline void zc_gcm_fused_done(zc_x86_gcm_msg *m, size_t len)
{
    m->fused = ZC_X86_GCM_FUSED_SHORT, m->have_ekj0 = 1;
    m->ctlen = len, m->pend_len = (uint32_t)len, m->used = (uint32_t)(len % 16);
    m->next = 1 + (uint32_t)((len + 15) / 16);
}

/* Large updates go through in pieces that stay in L1 between CTR and GHASH. */
#define ZC_GCM_DIRECT_PIECE 4096

ZC_AESNI int zc_x86_gcm_update(const zc_x86_gcm_key *k, zc_x86_gcm_msg *m, unsigned char *out,
                      const unsigned char *in, size_t len, int enc)
{
    const zc_x86_gcm_kernel *kn = zc_gcm_kern(k);

    if (m->ctlen == 0 && kn->fused != NULL && m->aad_pend == m->aadlen
        && zc_gcm_fused_fits(m->aadlen, len)) {
        /* A record's first data: one pass in registers that leaves the
         * final hash, should finish come next. */
        kn->fused(k, m->j0, m->aad, m->aad_pend, out, in, len, enc, m->x, m->ekj0, m->ks,
                  m->pend);
        zc_gcm_fused_done(m, len);  /* no data before: next was 1 */
        return 1;
    }
    /* More data after a pass that left the final hash: what it hashed
     * since xpre (or the start) waits in pend as on the short path, so the
     * hash goes back to there. */
    if (m->fused == ZC_X86_GCM_FUSED_SHORT)
        memset(m->x, 0, sizeof(m->x));
    else if (m->fused == ZC_X86_GCM_FUSED_BULK)
        memcpy(m->x, m->xpre, sizeof(m->x));
    m->fused = 0;
    m->ctlen += len;
    if (m->used != 0 && len > 0) {
        /* Finish the block an earlier update began; pend_len % 16 == used,
         * so this never overflows pend. */
        size_t n = 16 - m->used < len ? 16 - m->used : len;

        for (size_t i = 0; i < n; i++) {
            unsigned char p = in[i], c = p ^ m->ks[m->used + i]; /* in place: read first */

            out[i] = c;
            m->pend[m->pend_len++] = enc ? c : p;
        }
        m->used = (m->used + (uint32_t)n) % 16;
        in += n, out += n, len -= n;
    }
    while (len > 0) {
        size_t n = len, whole;
        unsigned char *ekj0 = m->have_ekj0 ? NULL : m->ekj0;

        if (m->pend_len + n <= ZC_X86_GCM_PEND) {
            /* Short: keep the ciphertext for one hash pass at finish. */
            if (!enc)
                memcpy(m->pend + m->pend_len, in, n);
            kn->ctr(k, m->j0, m->next, out, in, n, m->ks, ekj0);
            if (enc)
                memcpy(m->pend + m->pend_len, out, n);
            m->pend_len += (uint32_t)n;
        } else if (kn->bulk != NULL) {
            /* Long, on a bulk kernel: hash what waits, then all the rest in
             * one stitched call that leaves the final hash, as the fused
             * pass does; its data after the last whole group waits in
             * pend should more come. */
            zc_gcm_seg s[2] = { { m->aad, m->aad_pend }, { m->pend, m->pend_len } };
            const zc_gcm_fin fin = { m->aadlen, m->ctlen, m->xpre, m->pend, m->ks };

            kn->ghash(k, m->x, s, 2);
            if (ekj0 != NULL)
                zc_gcm_ekj0(k, m->j0, ekj0);
            m->aad_pend = 0;
            m->pend_len = (uint32_t)(n - kn->bulk(k, m->j0, m->next, out, in, n, m->x, enc, &fin));
            m->fused = ZC_X86_GCM_FUSED_BULK;
        } else {
            /* Long: hash what waits and this piece's whole blocks now (GHASH
             * covers ciphertext: before decrypting in place), keep the tail. */
            zc_gcm_seg s[3] = { { m->aad, m->aad_pend }, { m->pend, m->pend_len }, { NULL, 0 } };

            if (n > ZC_GCM_DIRECT_PIECE)
                n = ZC_GCM_DIRECT_PIECE;
            whole = n & ~(size_t)15;
            s[2].p = enc ? out : in, s[2].len = whole;
            if (!enc) {
                kn->ghash(k, m->x, s, 3);
                memcpy(m->pend, in + whole, n - whole);
            }
            kn->ctr(k, m->j0, m->next, out, in, n, m->ks, ekj0);
            if (enc) {
                kn->ghash(k, m->x, s, 3);
                memcpy(m->pend, out + whole, n - whole);
            }
            m->aad_pend = 0;
            m->pend_len = (uint32_t)(n - whole);
        }
        m->have_ekj0 = 1;
        m->next += (uint32_t)((n + 15) / 16);
        m->used = (uint32_t)(n % 16);
        in += n, out += n, len -= n;
    }
    return 1;
}

int zc_x86_gcm_has_lanes(const zc_x86_gcm_key *k)
{
    return zc_gcm_kern(k)->lanes != NULL;
}

void zc_x86_gcm_lanes(const zc_x86_gcm_key *k, zc_batch_msg *const *m, int n, int enc)
{
    zc_gcm_kern(k)->lanes(k, m, n, enc);
}

ZC_AESNI int zc_x86_gcm_first(const zc_x86_gcm_key *k, zc_x86_gcm_msg *m,
                              const unsigned char *iv, size_t ivlen,
                              const unsigned char *aad, size_t aadlen, unsigned char *out,
                              const unsigned char *in, size_t len, int enc)
{
    const zc_x86_gcm_kernel *kn = zc_gcm_kern(k);

    if (kn->fused == NULL || kn->aad_store == NULL || ivlen != 12
        || !zc_gcm_fused_fits(aadlen, len))
        return zc_x86_gcm_start(k, m, iv, ivlen, aad, aadlen)
               && zc_x86_gcm_update(k, m, out, in, len, enc);
    /* What start and the update's fused branch leave, set once: the AAD
     * is kept (and read back from there) should more data follow. */
    zc_gcm_j0(kn, k, m->j0, iv, 12);
    kn->aad_store(m->aad, aad, aadlen);
    kn->fused(k, m->j0, m->aad, aadlen, out, in, len, enc, m->x, m->ekj0, m->ks, m->pend);
    m->aadlen = aadlen, m->aad_pend = (uint32_t)aadlen;
    zc_gcm_fused_done(m, len);
    return 1;
}

ZC_AESNI int zc_x86_gcm_finish(const zc_x86_gcm_key *k, zc_x86_gcm_msg *m,
                      unsigned char tag[ZC_TAG_LEN])
{
    const zc_x86_gcm_kernel *kn = zc_gcm_kern(k);
    unsigned char lens[16];
    zc_gcm_seg s[3] = { { m->aad, m->aad_pend }, { m->pend, m->pend_len }, { lens, 16 } };

    if (!m->fused) {
        zc_gcm_lens(lens, m->aadlen, m->ctlen);
        kn->ghash(k, m->x, s, 3);
    }
    if (!m->have_ekj0)
        zc_gcm_ekj0(k, m->j0, m->ekj0);
    zc_gcm_tag(m->x, m->ekj0, tag);
    /* The secrets are the hash, E_K(J0) and the keystream; J0, the
     * lengths and the pending AAD and ciphertext are public. */
    zc_gcm_wipe(m, offsetof(zc_x86_gcm_msg, j0));
    return 1;
}

ZC_AESNI int zc_x86_gcm_oneshot(const zc_x86_gcm_key *k, const unsigned char *iv, size_t ivlen,
                       const unsigned char *aad, size_t aadlen, unsigned char *out,
                       const unsigned char *in, size_t len,
                       unsigned char tag[ZC_TAG_LEN], int enc)
{
    const zc_x86_gcm_kernel *kn = zc_gcm_kern(k);
    unsigned char j0[16], lens[16], x[16] = { 0 }, ekj0[16];
    zc_gcm_seg s[3] = { { aad, aadlen }, { enc ? out : in, len }, { lens, 16 } };

    if (ivlen == 0)
        return 0;
    zc_gcm_j0(kn, k, j0, iv, ivlen);
    if (kn->fused != NULL && zc_gcm_fused_fits(aadlen, len)) {
        kn->fused(k, j0, aad, aadlen, out, in, len, enc, x, ekj0, NULL, NULL);
        goto tag;
    }
    zc_gcm_lens(lens, aadlen, len);
    if (kn->bulk != NULL) {
        /* AAD, then the data and the length block in one stitched call. */
        const zc_gcm_fin fin = { aadlen, len, NULL, NULL, NULL };

        kn->ghash(k, x, s, 1);
        zc_gcm_ekj0(k, j0, ekj0);
        kn->bulk(k, j0, 1, out, in, len, x, enc, &fin);
        goto tag;
    }
    if (!enc)
        kn->ghash(k, x, s, 3);
    kn->ctr(k, j0, 1, out, in, len, NULL, ekj0);
    if (enc)
        kn->ghash(k, x, s, 3);
tag:
    zc_gcm_tag(x, ekj0, tag);
    zc_gcm_wipe(x, sizeof(x));
    zc_gcm_wipe(ekj0, sizeof(ekj0));
    return 1;
}
