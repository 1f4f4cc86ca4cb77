/*
 * ChaCha20 on NEON, four blocks at once: vector i holds state word i of
 * four consecutive blocks, so every quarter-round step is one instruction
 * for all four; a 4x4 transpose per group of words turns the result back
 * into block order. Rotations: 16 by halfword swap, 8 by byte table,
 * 12 and 7 by shift-and-insert.
 */
#include "config.h"

#include <arm_neon.h>
#include <string.h>
#include <openssl/crypto.h>
#include "zc_neon_internal.h"

static const uint8_t zc_rot8_idx[16] = { 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14 };

#define ZC_ROT16(v) vreinterpretq_u32_u16(vrev32q_u16(vreinterpretq_u16_u32(v)))
#define ZC_ROT8(v) vreinterpretq_u32_u8(vqtbl1q_u8(vreinterpretq_u8_u32(v), rot8))
#define ZC_ROTN(v, n) vsliq_n_u32(vshrq_n_u32(v, 32 - (n)), v, n)

#define ZC_QR(a, b, c, d)                                                     \
    do {                                                                      \
        a = vaddq_u32(a, b), d = veorq_u32(d, a), d = ZC_ROT16(d);            \
        c = vaddq_u32(c, d), b = veorq_u32(b, c), b = ZC_ROTN(b, 12);         \
        a = vaddq_u32(a, b), d = veorq_u32(d, a), d = ZC_ROT8(d);             \
        c = vaddq_u32(c, d), b = veorq_u32(b, c), b = ZC_ROTN(b, 7);          \
    } while (0)

static void zc_chacha20_x4(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                           unsigned char *out, const unsigned char *in)
{
    static const uint32_t sigma[4] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };
    const uint8x16_t rot8 = vld1q_u8(zc_rot8_idx);
    const uint32_t ctr[4] = { counter, counter + 1, counter + 2, counter + 3 };
    uint32x4_t s[16], x[16];

    for (int i = 0; i < 4; i++)
        s[i] = vdupq_n_u32(sigma[i]);
    for (int i = 0; i < 8; i++)
        s[4 + i] = vdupq_n_u32(key[i]);
    s[12] = vld1q_u32(ctr);
    for (int i = 0; i < 3; i++)
        s[13 + i] = vdupq_n_u32(nonce[i]);
    memcpy(x, s, sizeof(x));

    ZC_CHACHA20_ROUNDS(ZC_QR, x);

    /* Words 4g..4g+3 of the four blocks: transpose, then block b's bytes 16g.. */
    for (int g = 0; g < 4; g++) {
        uint32x4_t a = vaddq_u32(x[4 * g], s[4 * g]), b = vaddq_u32(x[4 * g + 1], s[4 * g + 1]);
        uint32x4_t c = vaddq_u32(x[4 * g + 2], s[4 * g + 2]);
        uint32x4_t d = vaddq_u32(x[4 * g + 3], s[4 * g + 3]);
        uint64x2_t ab0 = vreinterpretq_u64_u32(vtrn1q_u32(a, b));
        uint64x2_t ab1 = vreinterpretq_u64_u32(vtrn2q_u32(a, b));
        uint64x2_t cd0 = vreinterpretq_u64_u32(vtrn1q_u32(c, d));
        uint64x2_t cd1 = vreinterpretq_u64_u32(vtrn2q_u32(c, d));
        uint8x16_t row[4] = {
            vreinterpretq_u8_u64(vtrn1q_u64(ab0, cd0)), vreinterpretq_u8_u64(vtrn1q_u64(ab1, cd1)),
            vreinterpretq_u8_u64(vtrn2q_u64(ab0, cd0)), vreinterpretq_u8_u64(vtrn2q_u64(ab1, cd1)),
        };

        for (int blk = 0; blk < 4; blk++) {
            size_t off = 64 * (size_t)blk + 16 * (size_t)g;

            vst1q_u8(out + off, veorq_u8(row[blk], vld1q_u8(in + off)));
        }
    }
}

void zc_neon_chacha20(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                      unsigned char *out, const unsigned char *in, size_t nblocks)
{
    unsigned char tail[256];

    for (; nblocks >= 4; nblocks -= 4, counter += 4, in += 256, out += 256)
        zc_chacha20_x4(key, counter, nonce, out, in);
    if (nblocks == 0)
        return;
    /* One to three blocks: run four on a copy and keep what was asked for. */
    memcpy(tail, in, 64 * nblocks);
    zc_chacha20_x4(key, counter, nonce, tail, tail);
    memcpy(out, tail, 64 * nblocks);
    OPENSSL_cleanse(tail, sizeof(tail));
}
