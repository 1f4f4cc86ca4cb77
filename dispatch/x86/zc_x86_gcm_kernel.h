/*
 * Private to zc_x86_gcm*.c: what a kernel (one instruction set) supplies to
 * the GCM framing in zc_x86_gcm.c, and the GHASH reduction they share.
 *
 * GHASH works on byte-reflected blocks with H premultiplied by x (see
 * zc_x86_gcm_key_setup), so a carry-less product of two values needs no
 * bit shifts: it is reduced modulo x^128 + x^127 + x^126 + x^121 + 1 with
 * two multiplications by the constant 0xc2 << 56 (the Montgomery-style
 * folding of Gueron and Kounavis, in the form Biggers uses in Linux).
 */
#ifndef ZC_X86_GCM_KERNEL_H
#define ZC_X86_GCM_KERNEL_H

#include <immintrin.h>
#include "zc_x86_gcm.h"

/* A run of bytes GHASH covers, zero-padded to whole blocks. */
typedef struct zc_gcm_seg {
    const unsigned char *p;
    size_t len;
} zc_gcm_seg;

/*
 * The end of a message in the bulk call: the length block's lengths (the
 * whole message's), and for a streaming message that may yet continue
 * (each may be NULL): xpre gets the hash before the data after the last
 * whole group, pend that data's ciphertext (zero-padded to whole vectors),
 * ks_tail the keystream of its last block if that is partial.
 */
typedef struct zc_gcm_fin {
    uint64_t aadlen, ctlen;
    unsigned char *xpre, *pend, *ks_tail;
} zc_gcm_fin;

typedef struct zc_x86_gcm_kernel {
    /*
     * out = in ^ keystream for len bytes (any length, out == in allowed),
     * the first block from counter index idx (J0's low 32 bits + idx, big
     * endian, wrapping). With ekj0 != NULL (then idx is 1) E_K(J0) is made
     * in the same pass. If len is not whole blocks and ks_tail != NULL, the
     * last block's full keystream goes there (the next update continues it).
     */
    void (*ctr)(const zc_x86_gcm_key *k, const unsigned char j0[16], uint32_t idx,
                unsigned char *out, const unsigned char *in, size_t len,
                unsigned char ks_tail[16], unsigned char ekj0[16]);
    /*
     * x = GHASH continued over the segments, each zero-padded to whole
     * blocks; one reduction per ZC_X86_GCM_POWERS blocks. x is byte-reflected.
     */
    void (*ghash)(const zc_x86_gcm_key *k, unsigned char x[16], const zc_gcm_seg *seg,
                  int nseg);
    /*
     * Optional (NULL: not fused). A message's first data, all in one pass
     * and in registers: len (1..ZC_X86_GCM_FUSED_MAX) bytes through CTR
     * with E_K(J0), and GHASH of aad (at most 64 bytes), the ciphertext and
     * the length block, one reduction, into x: the message's final hash
     * if no more data follows. Writes ks_tail as ctr does; pend (NULL: no
     * copy; else 16 bytes of slack before it) gets the ciphertext, for the
     * case that more does follow.
     */
    void (*fused)(const zc_x86_gcm_key *k, const unsigned char j0[16],
                  const unsigned char *aad, size_t aadlen, unsigned char *out,
                  const unsigned char *in, size_t len, int enc, unsigned char x[16],
                  unsigned char ekj0[16], unsigned char ks_tail[16], unsigned char *pend);
    /* Optional: dst[0..64) = src[0..len) zero-padded (len <= 64), in one
     * store that the fused pass's one load of it can take from the store
     * queue; NULL: memcpy. */
    void (*aad_store)(unsigned char dst[64], const unsigned char *src, size_t len);
    /*
     * The stitched bulk loop (zc_x86_gcm_bulk.h): from counter index idx,
     * the longest run of whole groups of blocks in len (a group is 8
     * vectors) through CTR, x continued over their ciphertext (x must
     * already cover everything before them); returns the bytes of those
     * groups. With fin, the rest of len too and the length block: x is
     * then the message's final hash (see zc_gcm_fin). out == in allowed.
     */
    size_t (*bulk)(const zc_x86_gcm_key *k, const unsigned char j0[16], uint32_t idx,
                   unsigned char *out, const unsigned char *in, size_t len,
                   unsigned char x[16], int enc, const struct zc_gcm_fin *fin);
    /*
     * Optional: n (1..ZC_X86_GCM_LANES) whole short messages side by side,
     * each as zc_x86_gcm_lanes_fits allows; writes every out and tag.
     */
    void (*lanes)(const zc_x86_gcm_key *k, zc_batch_msg *const *m, int n, int enc);
} zc_x86_gcm_kernel;

static inline int zc_gcm_fused_fits(size_t aadlen, size_t len)
{
    return aadlen <= 64 && len > 0 && len <= ZC_X86_GCM_FUSED_MAX
           && (aadlen + 15) / 16 + (len + 15) / 16 + 1 <= ZC_X86_GCM_POWERS;
}

/* hdesc entry of H^(POWERS - i), i from -1 (the zero before) to POWERS + 2. */
#define ZC_GCM_HP(k, i) ((k)->hdesc[1 + (i)])

extern const zc_x86_gcm_kernel zc_x86_gcm_vaes512_kernel;
extern const zc_x86_gcm_kernel zc_x86_gcm_vaes256_kernel;

#define ZC_GCM_CLMUL_INLINE __attribute__((target("pclmul,ssse3"), always_inline)) static inline

ZC_GCM_CLMUL_INLINE __m128i zc_gcm_bswap(__m128i v)
{
    return _mm_shuffle_epi8(v, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

/* The 256-bit product lo + mi * x^64 + hi * x^128, reduced. */
ZC_GCM_CLMUL_INLINE __m128i zc_gcm_reduce(__m128i lo, __m128i mi, __m128i hi)
{
    const __m128i poly = _mm_set_epi64x((long long)0xc200000000000000ULL, 1);
    __m128i t = _mm_clmulepi64_si128(poly, lo, 0x01);

    mi = _mm_xor_si128(mi, _mm_xor_si128(_mm_shuffle_epi32(lo, 0x4e), t));
    t = _mm_clmulepi64_si128(poly, mi, 0x01);
    return _mm_xor_si128(hi, _mm_xor_si128(_mm_shuffle_epi32(mi, 0x4e), t));
}

/*
 * Wipes n bytes (a multiple of 16) of secret message state. Not
 * OPENSSL_cleanse on the per-record path: its call and 8-bytes-a-step loop
 * cost a tenth of a short record's whole work. The stores go to state that
 * outlives the call, and the barrier keeps the compiler from dropping them.
 */
ZC_GCM_CLMUL_INLINE void zc_gcm_wipe(void *p, size_t n)
{
    /* The barrier in the loop keeps the compiler from making it a rep
     * stos (a memset), whose start-up costs more than these stores. */
    for (size_t i = 0; i < n; i += 16) {
        _mm_storeu_si128((__m128i *)((unsigned char *)p + i), _mm_setzero_si128());
        __asm__ volatile("" : : "r"(p) : "memory");
    }
}

/*
 * E_K(J0) alone, one AES-NI block: for messages whose data does not carry
 * it in lane 0 of a pass. (Not the ctr entry with no data: its masked
 * accesses at a null pointer minus 16 cost a fault-suppression assist per
 * access on Zen 4, hundreds of cycles.)
 */
__attribute__((target("aes,sse2"), always_inline)) static inline void
zc_gcm_ekj0(const zc_x86_gcm_key *k, const unsigned char j0[16], unsigned char ekj0[16])
{
    __m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)j0),
                              _mm_load_si128((const __m128i *)k->rk[0]));

    for (unsigned r = 1; r < k->rounds; r++)
        b = _mm_aesenc_si128(b, _mm_load_si128((const __m128i *)k->rk[r]));
    _mm_storeu_si128((__m128i *)ekj0,
                     _mm_aesenclast_si128(b, _mm_load_si128((const __m128i *)k->rk[k->rounds])));
}

/* Blocks GHASH covers in the segments. */
static inline size_t zc_gcm_seg_blocks(const zc_gcm_seg *seg, int nseg)
{
    size_t n = 0;

    for (int i = 0; i < nseg; i++)
        n += (seg[i].len + 15) / 16;
    return n;
}

#endif
