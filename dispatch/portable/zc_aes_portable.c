/*
 * Constant-time AES encryption without tables: SubBytes computes the
 * GF(2^8) inverse as x^254 with byte-sliced (SWAR, 8 bytes per uint64_t)
 * carry-less multiplications, then the affine map. Slow (~tens of MB/s) but
 * immune to cache-timing, which is what a fallback must be.
 */
#include "config.h"

#include <string.h>
#include "zc_portable_internal.h"

#define ZC_LO7 UINT64_C(0x7f7f7f7f7f7f7f7f)
#define ZC_B0  UINT64_C(0x0101010101010101)

/* Multiply every byte lane by x modulo the AES polynomial. */
static inline uint64_t zc_xtime8(uint64_t a)
{
    return ((a & ZC_LO7) << 1) ^ (((a >> 7) & ZC_B0) * 0x1b);
}

/*
 * Two lane-wise GF(2^8) products at once (a0*b0, a1*b1): the two halves of
 * the AES state are independent, and interleaving them doubles the
 * instruction-level parallelism of the bit loop. Masks replace branches.
 */
static inline void zc_gfmul16(uint64_t *r0, uint64_t *r1, uint64_t a0, uint64_t a1,
                              uint64_t b0, uint64_t b1)
{
    uint64_t x0 = 0, x1 = 0;

    for (int i = 0; i < 8; i++) {
        x0 ^= a0 & (((b0 >> i) & ZC_B0) * 0xff);
        x1 ^= a1 & (((b1 >> i) & ZC_B0) * 0xff);
        a0 = zc_xtime8(a0);
        a1 = zc_xtime8(a1);
    }
    *r0 = x0;
    *r1 = x1;
}

static inline uint64_t zc_rotl8(uint64_t x, int n)
{
    uint64_t stay = (UINT64_C(0xff) >> n) * ZC_B0;        /* bits that stay in their byte */
    uint64_t wrap = (UINT64_C(0xff) >> (8 - n)) * ZC_B0;  /* bits that wrap around */

    return ((x & stay) << n) | ((x >> (8 - n)) & wrap);
}

static inline uint64_t zc_affine8(uint64_t inv)
{
    return inv ^ zc_rotl8(inv, 1) ^ zc_rotl8(inv, 2) ^ zc_rotl8(inv, 3)
           ^ zc_rotl8(inv, 4) ^ (ZC_B0 * 0x63);
}

/* S-box on 16 lanes: inverse as x^254 (0 maps to 0), then the affine map. */
static void zc_sub16(uint64_t *p0, uint64_t *p1)
{
    uint64_t a = *p0, b = *p1;
    uint64_t a2, b2, a3, b3, a6, b6, a12, b12, a15, b15, t0, t1;

    zc_gfmul16(&a2, &b2, a, b, a, b);
    zc_gfmul16(&a3, &b3, a2, b2, a, b);
    zc_gfmul16(&a6, &b6, a3, b3, a3, b3);
    zc_gfmul16(&a12, &b12, a6, b6, a6, b6);
    zc_gfmul16(&a15, &b15, a12, b12, a3, b3);
    zc_gfmul16(&t0, &t1, a15, b15, a15, b15);     /* x^30 */
    zc_gfmul16(&t0, &t1, t0, t1, t0, t1);         /* x^60 */
    zc_gfmul16(&t0, &t1, t0, t1, t0, t1);         /* x^120 */
    zc_gfmul16(&t0, &t1, t0, t1, t0, t1);         /* x^240 */
    zc_gfmul16(&t0, &t1, t0, t1, a12, b12);       /* x^252 */
    zc_gfmul16(&t0, &t1, t0, t1, a2, b2);         /* x^254 */
    *p0 = zc_affine8(t0);
    *p1 = zc_affine8(t1);
}

static uint64_t zc_pack8(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void zc_unpack8(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static void zc_sub_bytes(uint8_t s[16])
{
    uint64_t lo = zc_pack8(s), hi = zc_pack8(s + 8);

    zc_sub16(&lo, &hi);
    zc_unpack8(s, lo);
    zc_unpack8(s + 8, hi);
}

static uint8_t zc_xtime(uint8_t a)
{
    return (uint8_t)((a << 1) ^ ((a >> 7) * 0x1b));
}

void zc_aes_expand(zc_aes_key *k, const unsigned char *key, size_t keylen)
{
    size_t nk = keylen / 4, total;
    uint8_t w[60][4], rcon = 1;

    k->rounds = (int)nk + 6;
    total = 4 * ((size_t)k->rounds + 1);
    memcpy(w, key, keylen);
    for (size_t i = nk; i < total; i++) {
        uint8_t t[8] = { w[i - 1][0], w[i - 1][1], w[i - 1][2], w[i - 1][3], 0, 0, 0, 0 };

        if (i % nk == 0) {
            uint8_t r[8] = { t[1], t[2], t[3], t[0], 0, 0, 0, 0 };
            uint64_t v = zc_pack8(r), unused = 0;

            zc_sub16(&v, &unused);
            zc_unpack8(t, v);
            t[0] ^= rcon;
            rcon = zc_xtime(rcon);
        } else if (nk > 6 && i % nk == 4) {
            uint64_t v = zc_pack8(t), unused = 0;

            zc_sub16(&v, &unused);
            zc_unpack8(t, v);
        }
        for (int j = 0; j < 4; j++)
            w[i][j] = w[i - nk][j] ^ t[j];
    }
    for (int r = 0; r <= k->rounds; r++)
        memcpy(k->rk[r], w[4 * r], 16);
    memset(w, 0, sizeof(w));
}

static void zc_shift_rows(uint8_t s[16])
{
    uint8_t t[16];

    for (int c = 0; c < 4; c++)
        for (int r = 0; r < 4; r++)
            t[4 * c + r] = s[4 * ((c + r) % 4) + r];
    memcpy(s, t, 16);
}

static void zc_mix_columns(uint8_t s[16])
{
    for (int c = 0; c < 4; c++) {
        uint8_t *col = s + 4 * c, a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
        uint8_t all = a0 ^ a1 ^ a2 ^ a3;

        col[0] ^= all ^ zc_xtime(a0 ^ a1);
        col[1] ^= all ^ zc_xtime(a1 ^ a2);
        col[2] ^= all ^ zc_xtime(a2 ^ a3);
        col[3] ^= all ^ zc_xtime(a3 ^ a0);
    }
}

void zc_aes_encrypt(const zc_aes_key *k, const unsigned char in[16], unsigned char out[16])
{
    uint8_t s[16];

    for (int i = 0; i < 16; i++)
        s[i] = in[i] ^ k->rk[0][i];
    for (int r = 1; r <= k->rounds; r++) {
        zc_sub_bytes(s);
        zc_shift_rows(s);
        if (r != k->rounds)
            zc_mix_columns(s);
        for (int i = 0; i < 16; i++)
            s[i] ^= k->rk[r][i];
    }
    memcpy(out, s, 16);
    memset(s, 0, sizeof(s));
}
