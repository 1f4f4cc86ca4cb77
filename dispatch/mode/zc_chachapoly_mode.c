/*
 * ChaCha20-Poly1305 (RFC 8439 section 2.8) framing over a backend's
 * ChaCha20 and Poly1305 primitives, data in any chunking. Long runs of
 * whole 64-byte blocks go to the backend in bulk; keystream for short
 * updates is computed ahead into a buffer (see zc_chachapoly_prims
 * ks_blocks), and partial 16-byte Poly1305 blocks are buffered here.
 */
#include "config.h"

#include <string.h>
#include "zc_mode.h"

typedef struct zc_cp_msg {
    unsigned char poly[ZC_POLY_STATE_MAX] __attribute__((aligned(64)));
    /* Keystream computed ahead: bytes ks_used .. ks_len are still unused. */
    unsigned char ks[64 * (ZC_CP_KS_BLOCKS + 1)] __attribute__((aligned(16)));
    unsigned char pbuf[16]; /* ciphertext not yet a whole Poly1305 block */
    uint32_t nonce[3], counter; /* counter: the next block not yet computed */
    uint64_t aadlen, ctlen;
    size_t ks_used, ks_len, pbuf_len;
    size_t ks_high; /* bytes of ks ever written: what finish must wipe */
    int streaming;  /* a tail has needed keystream before: more will follow */
    int ks_planned; /* ks holds what start made for the first update: use it */
} zc_cp_msg;

/* ChaCha20 of zeros is the bare keystream (the primitive XORs its input). */
static const unsigned char zc_cp_zeros[64 * (ZC_CP_KS_BLOCKS + 1)];

/* ks = keystream blocks counter .. counter + nb - 1. */
static void zc_cp_keystream(const zc_chachapoly_prims *p, const zc_chachapoly_key *k,
                            zc_cp_msg *m, uint32_t counter, unsigned nb)
{
    p->chacha20(k->k, counter, m->nonce, m->ks, zc_cp_zeros, nb);
    m->ks_used = 0;
    m->ks_len = 64 * (size_t)nb;
    if (m->ks_high < m->ks_len)
        m->ks_high = m->ks_len;
}

_Static_assert(sizeof(zc_cp_msg) <= ZC_MSG_STATE_MAX, "ChaCha message state too large");
_Static_assert(sizeof(zc_chachapoly_key) <= ZC_KEY_STATE_MAX, "ChaCha key state too large");

static uint32_t zc_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void zc_put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (unsigned char)v;
}

int zc_chachapoly_mode_key_setup(void *key_state, const unsigned char *key)
{
    zc_chachapoly_key *k = key_state;

    for (int i = 0; i < 8; i++)
        k->k[i] = zc_le32(key + 4 * i);
    return 1;
}

/*
 * out = in ^ ks, 64 then sixteen bytes at a time (GCC/Clang vectors: SSE2,
 * NEON): up to a whole pass of keystream goes through here.
 */
typedef unsigned char zc_v16 __attribute__((vector_size(16)));
typedef unsigned char zc_v64 __attribute__((vector_size(64)));

static void zc_cp_xor(unsigned char *out, const unsigned char *in, const unsigned char *ks,
                      size_t n)
{
    size_t i = 0;

    for (; i + 64 <= n; i += 64) {
        zc_v64 a, b;

        memcpy(&a, in + i, 64);
        memcpy(&b, ks + i, 64);
        a ^= b;
        memcpy(out + i, &a, 64);
    }

    for (; i + 16 <= n; i += 16) {
        zc_v16 a, b;

        memcpy(&a, in + i, 16);
        memcpy(&b, ks + i, 16);
        a ^= b;
        memcpy(out + i, &a, 16);
    }
    for (; i < n; i++)
        out[i] = in[i] ^ ks[i];
}

/* Feeds Poly1305 (the AEAD's padding is applied by zc_cp_poly_pad). */
static void zc_cp_poly(const zc_chachapoly_prims *p, zc_cp_msg *m,
                       const unsigned char *in, size_t len)
{
    if (m->pbuf_len != 0) {
        size_t n = 16 - m->pbuf_len < len ? 16 - m->pbuf_len : len;

        memcpy(m->pbuf + m->pbuf_len, in, n);
        m->pbuf_len += n, in += n, len -= n;
        if (m->pbuf_len < 16)
            return;
        p->poly_blocks(m->poly, m->pbuf, 1);
        m->pbuf_len = 0;
    }
    if (len >= 16)
        p->poly_blocks(m->poly, in, len / 16);
    memcpy(m->pbuf, in + len - len % 16, len % 16);
    m->pbuf_len = len % 16;
}

static void zc_cp_poly_pad(const zc_chachapoly_prims *p, zc_cp_msg *m)
{
    if (m->pbuf_len != 0) {
        memset(m->pbuf + m->pbuf_len, 0, 16 - m->pbuf_len);
        p->poly_blocks(m->poly, m->pbuf, 1);
        m->pbuf_len = 0;
    }
}

/*
 * Keystream blocks computed at the start of a message (block 0 included),
 * sized by the first update's length when the caller knows it (four when
 * not), so that the update then costs the fewest backend calls: a short
 * one all it needs, in one call (up to eight, which a wide backend makes
 * in little more than the time of one, else a full-width pass). A long one
 * runs in full-width passes straight to the backend and ends in one call
 * for the rest, partial block included (zc_cp_crypt): then block 0 alone
 * would be one more call, a latency-bound one (~300 cycles on AVX-512,
 * about what a 16-block pass costs). So a full-width pass makes block 0
 * and the first data blocks, and the rest stays one call; if the data is
 * whole passes the rest would become one block: then block 0 rides in the
 * first pass where the backend makes one more block at no cost
 * (pass_plus1), else it stays alone.
 */
static unsigned zc_cp_start_blocks(const zc_chachapoly_prims *p, size_t first_len)
{
    size_t w = p->ks_blocks, cap = w < 8 ? w : 8, want;

    if (first_len == 0)
        return w < 4 ? (unsigned)w : 4;
    if (first_len >= 64 * w) {
        if ((first_len + 63) / 64 % w != 0)
            return (unsigned)w;
        return p->pass_plus1 ? (unsigned)w + 1 : 1;
    }
    want = 1 + (first_len + 63) / 64;
    return (unsigned)(want <= cap ? want : w);
}

int zc_chachapoly_mode_start(const zc_chachapoly_prims *p, const void *key, void *msg,
                             const unsigned char *iv, size_t ivlen,
                             const unsigned char *aad, size_t aadlen, size_t first_len)
{
    const zc_chachapoly_key *k = key;
    zc_cp_msg *m = msg;
    unsigned nb = zc_cp_start_blocks(p, first_len);

    if (ivlen != 12)
        return 0;
    /* Field by field: zeroing the whole 2 KiB state costs more than a short message. */
    for (int i = 0; i < 3; i++)
        m->nonce[i] = zc_le32(iv + 4 * i);
    m->ks_high = 0;
    m->pbuf_len = 0;
    m->streaming = 0;
    m->ks_planned = nb > 1;
    m->ctlen = 0;
    /*
     * Block 0 keys Poly1305 (its first 32 bytes); data starts at block 1,
     * whose keystream comes from the same call when the backend makes
     * several blocks at once.
     */
    zc_cp_keystream(p, k, m, 0, nb);
    p->poly_init(m->poly, m->ks);
    zc_wipe(m->ks, 64);
    m->counter = nb;
    m->ks_used = 64;
    m->aadlen = aadlen;
    zc_cp_poly(p, m, aad, aadlen);
    zc_cp_poly_pad(p, m);
    return 1;
}

/*
 * out = in ^ keystream: buffered keystream first, then full-width passes
 * straight from the backend, and what is left below a pass (partial block
 * included) from one refill of the buffer. The first refill of a message
 * makes only what the tail needs (a one-shot record never needs more; a
 * single update then stays block-aligned); from the second on the caller
 * is streaming short updates and the backend's ks_blocks are made ahead.
 */
static void zc_cp_crypt(const zc_chachapoly_prims *p, const zc_chachapoly_key *k,
                        zc_cp_msg *m, unsigned char *out, const unsigned char *in,
                        size_t len, int last)
{
    while (len > 0) {
        size_t n = len;

        /*
         * Whole blocks of keystream made ahead but not yet used, and enough
         * data for a full-width pass: drop them and make them again in that
         * pass, which then stays aligned instead of being split around them.
         */
        if (m->ks_used < m->ks_len && m->ks_used % 64 == 0 && !m->ks_planned
            && n >= 64 * (size_t)p->ks_blocks) {
            m->counter -= (uint32_t)((m->ks_len - m->ks_used) / 64);
            m->ks_len = m->ks_used;
        }
        if (m->ks_used < m->ks_len) {
            if (n > m->ks_len - m->ks_used)
                n = m->ks_len - m->ks_used;
            zc_cp_xor(out, in, m->ks + m->ks_used, n);
            m->ks_used += n;
        } else if (n >= 64 * (size_t)p->ks_blocks || (last && n >= 64 && n % 64 == 0)) {
            size_t nb = n < 64 * (size_t)p->ks_blocks ? n / 64
                                                       : n / 64 / p->ks_blocks * p->ks_blocks;

            m->ks_planned = 0;
            n = nb * 64;
            p->chacha20(k->k, m->counter, m->nonce, out, in, nb);
            m->counter += (uint32_t)nb;
        } else {
            unsigned nb = last || !m->streaming ? (unsigned)((n + 63) / 64) : p->ks_blocks;

            m->streaming = !last;
            m->ks_planned = 0;
            zc_cp_keystream(p, k, m, m->counter, nb);
            m->counter += nb;
            continue;
        }
        out += n, in += n, len -= n;
    }
}

/*
 * Poly1305 covers the ciphertext: decrypt hashes a pass before
 * overwriting it (in place), encrypt after. Passes are capped so in-place
 * data is still in L1 for the second walk over it; a pass also takes the
 * keystream already buffered, so that passes after it start on a
 * full-width boundary (zc_cp_start_blocks's plan holds across them).
 */
#define ZC_CP_PASS_BYTES 4096

static void zc_cp_update(const zc_chachapoly_prims *p, const zc_chachapoly_key *k,
                         zc_cp_msg *m, unsigned char *out, const unsigned char *in,
                         size_t len, int enc, int last)
{
    m->ctlen += len;
    while (len > 0) {
        size_t cap = ZC_CP_PASS_BYTES + (m->ks_len - m->ks_used);
        size_t n = len > cap ? cap : len;

        if (!enc)
            zc_cp_poly(p, m, in, n);
        zc_cp_crypt(p, k, m, out, in, n, last);
        if (enc)
            zc_cp_poly(p, m, out, n);
        out += n, in += n, len -= n;
    }
}

int zc_chachapoly_mode_update(const zc_chachapoly_prims *p, const void *key, void *msg,
                              unsigned char *out, const unsigned char *in, size_t len,
                              int enc)
{
    zc_cp_update(p, key, msg, out, in, len, enc, 0);
    return 1;
}

int zc_chachapoly_mode_finish(const zc_chachapoly_prims *p, const void *key, void *msg,
                              unsigned char tag[ZC_TAG_LEN])
{
    zc_cp_msg *m = msg;
    unsigned char lens[16];

    zc_cp_poly_pad(p, m);
    zc_put_le64(lens, m->aadlen);
    zc_put_le64(lens + 8, m->ctlen);
    p->poly_blocks(m->poly, lens, 1);
    p->poly_finish(m->poly, tag); /* wipes the Poly1305 state */
    zc_wipe(m->ks, m->ks_high);
    zc_wipe(m->pbuf, sizeof(m->pbuf));
    m->ks_used = m->ks_len = m->ks_high = 0;
    return 1;
}

/* A whole record (TLS): the same framing, no keystream computed past its end. */
int zc_chachapoly_mode_oneshot(const zc_chachapoly_prims *p, const void *key,
                               const unsigned char *iv, size_t ivlen,
                               const unsigned char *aad, size_t aadlen, unsigned char *out,
                               const unsigned char *in, size_t len,
                               unsigned char tag[ZC_TAG_LEN], int enc)
{
    zc_cp_msg m;

    if (ivlen != 12)
        return -1; /* the caller's start/update/finish path reports it */
    if (!zc_chachapoly_mode_start(p, key, &m, iv, ivlen, aad, aadlen, len))
        return 0;
    zc_cp_update(p, key, &m, out, in, len, enc, 1);
    return zc_chachapoly_mode_finish(p, key, &m, tag); /* wipes what m held */
}

/* ------------------------------------------------------------ batches */

/*
 * Packets of up to p->lanes_max_blocks go through the lanes. A group of
 * fewer packets than a quarter of the lanes runs one by one: the idle
 * lanes would cost more than the calls saved.
 */

/*
 * A group's tags go through the backend's Poly1305 lanes when its shortest
 * packet has at least this many 16-byte blocks of ciphertext. Shorter ones
 * are cheaper one after another in the scalar code: 26-bit limbs need 25
 * multiplies a block where the 64-bit code needs six, and the lanes' set-up
 * is not paid back (avx2, Zen 3, 3.5, 16 packets: 0.85x the scalar tags at
 * 64 B, 0.94-1.04x at 128 and 192 B, 1.43x at 256 B, where the scalar path
 * has handed over to the vector code of one packet).
 */
#define ZC_CP_POLY_LANES_MIN_BLOCKS 16

/* Poly1305 over AAD and ciphertext with the one-time key pk; m is scratch. */
static void zc_cp_batch_tag(const zc_chachapoly_prims *p, const void *key, zc_cp_msg *m,
                            const unsigned char pk[32], const zc_batch_msg *b,
                            const unsigned char *ct)
{
    p->poly_init(m->poly, pk);
    m->pbuf_len = 0;
    m->ks_high = 0;
    m->aadlen = b->aadlen;
    m->ctlen = b->len;
    zc_cp_poly(p, m, b->aad, b->aadlen);
    zc_cp_poly_pad(p, m);
    zc_cp_poly(p, m, ct, b->len);
    zc_chachapoly_mode_finish(p, key, m, (unsigned char *)b->tag); /* wipes m */
}

/*
 * The group's tags through the backend's Poly1305 lanes. AAD and ciphertext
 * are read in place; their partial last blocks, zero-padded, and the
 * lengths block come from tails (three blocks a packet).
 */
static void zc_cp_batch_tags_lanes(const zc_chachapoly_prims *p, zc_batch_msg **g, size_t cnt,
                                   const unsigned char (*pk)[32], int enc)
{
    unsigned char tails[ZC_CP_LANES_MAX][48];
    zc_poly_lane_msg lm[ZC_CP_LANES_MAX];
    unsigned char *tags[ZC_CP_LANES_MAX];

    for (size_t j = 0; j < cnt; j++) {
        const zc_batch_msg *b = g[j];
        const unsigned char *ct = enc ? b->out : b->in;
        size_t ra = b->aadlen % 16, rc = b->len % 16;
        unsigned char *t = tails[j];

        memset(t, 0, 32);
        if (ra != 0) /* not even a zero offset on a NULL pointer (no AAD) */
            memcpy(t, b->aad + b->aadlen - ra, ra);
        if (rc != 0)
            memcpy(t + 16, ct + b->len - rc, rc);
        zc_put_le64(t + 32, b->aadlen);
        zc_put_le64(t + 40, b->len);
        lm[j] = (zc_poly_lane_msg){
            .seg = { b->aad, t, ct, rc != 0 ? t + 16 : t + 32 },
            .nblocks = { b->aadlen / 16, ra != 0, b->len / 16, rc != 0 ? 2 : 1 },
        };
        tags[j] = g[j]->tag;
    }
    p->poly_lanes(pk, lm, cnt, tags);
}

/* The group's tags over its ciphertext (out after encrypt, in before decrypt). */
static void zc_cp_batch_tags(const zc_chachapoly_prims *p, const void *key, zc_cp_msg *m,
                             zc_batch_msg **g, size_t cnt, unsigned char (*pk)[32], int enc,
                             int lanes)
{
    if (lanes) {
        zc_cp_batch_tags_lanes(p, g, cnt, (const unsigned char(*)[32])pk, enc);
        return;
    }
    for (size_t j = 0; j < cnt; j++)
        zc_cp_batch_tag(p, key, m, pk[j], g[j], enc ? g[j]->out : g[j]->in);
}

/*
 * Up to p->lanes packets at once, one per 32-bit lane: block 0 of every
 * lane keys its Poly1305, then block i of every lane encrypts that lane's
 * bytes 64 (i - 1) ..; a lane whose packet is done idles. Decrypt hashes
 * the ciphertext before the data blocks overwrite it (in place).
 */
static void zc_cp_batch_group(const zc_chachapoly_prims *p, const zc_chachapoly_key *k,
                              zc_batch_msg **g, size_t cnt, int enc)
{
    uint32_t ctr[ZC_CP_LANES_MAX] = { 0 }, nw[3][ZC_CP_LANES_MAX] = { { 0 } };
    unsigned char ks[64 * ZC_CP_LANES_MAX] __attribute__((aligned(64)));
    unsigned char pk[ZC_CP_LANES_MAX][32];
    zc_cp_msg m;
    size_t blocks = 0, shortest = SIZE_MAX;
    int lanes_tag;

    for (size_t j = 0; j < cnt; j++) {
        size_t nb = (g[j]->len + 63) / 64;

        if (g[j]->len < shortest)
            shortest = g[j]->len;

        for (int w = 0; w < 3; w++)
            nw[w][j] = zc_le32(g[j]->iv + 4 * w);
        if (nb > blocks)
            blocks = nb;
    }
    lanes_tag = p->poly_lanes != NULL && shortest >= 16 * ZC_CP_POLY_LANES_MIN_BLOCKS
                && (p->poly_lanes_max_blocks == 0 || blocks <= p->poly_lanes_max_blocks);
    p->chacha20_lanes(k->k, ctr, (const uint32_t(*)[ZC_CP_LANES_MAX])nw, ks);
    for (size_t j = 0; j < cnt; j++)
        memcpy(pk[j], ks + 64 * j, 32);
    if (!enc)
        zc_cp_batch_tags(p, k, &m, g, cnt, pk, 0, lanes_tag);
    for (size_t b = 1; b <= blocks; b++) {
        for (size_t j = 0; j < p->lanes; j++)
            ctr[j] = (uint32_t)b;
        p->chacha20_lanes(k->k, ctr, (const uint32_t(*)[ZC_CP_LANES_MAX])nw, ks);
        for (size_t j = 0; j < cnt; j++) {
            size_t off = 64 * (b - 1);

            if (off < g[j]->len)
                zc_cp_xor(g[j]->out + off, g[j]->in + off, ks + 64 * j,
                          g[j]->len - off < 64 ? g[j]->len - off : 64);
        }
    }
    if (enc)
        zc_cp_batch_tags(p, k, &m, g, cnt, pk, 1, lanes_tag);
    zc_wipe(ks, sizeof(ks));
    zc_wipe(pk, sizeof(pk));
}

int zc_chachapoly_mode_batch(const zc_chachapoly_prims *p, const void *key,
                             zc_batch_msg *msgs, size_t n, int enc)
{
    zc_batch_msg *g[ZC_CP_LANES_MAX];
    size_t cnt = 0;

    for (size_t i = 0; i <= n; i++) {
        zc_batch_msg *b = i < n ? &msgs[i] : NULL;
        int lane = b != NULL && p->chacha20_lanes != NULL && b->ivlen == 12
                   && b->len <= 64 * (size_t)p->lanes_max_blocks;

        if (lane)
            g[cnt++] = b;
        /* A full group, or the end: run it (a small rest one by one). */
        if (cnt > 0 && (cnt == p->lanes || b == NULL)) {
            if (cnt * 4 >= p->lanes) {
                zc_cp_batch_group(p, key, g, cnt, enc);
            } else {
                for (size_t j = 0; j < cnt; j++)
                    if (zc_chachapoly_mode_oneshot(p, key, g[j]->iv, 12, g[j]->aad,
                                                   g[j]->aadlen, g[j]->out, g[j]->in,
                                                   g[j]->len, g[j]->tag, enc) != 1)
                        return 0;
            }
            cnt = 0;
        }
        if (b != NULL && !lane
            && zc_chachapoly_mode_oneshot(p, key, b->iv, b->ivlen, b->aad, b->aadlen, b->out,
                                          b->in, b->len, b->tag, enc) != 1)
            return 0;
    }
    return 1;
}
