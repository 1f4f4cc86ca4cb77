/*
 * ChaCha20-Poly1305 (RFC 8439 section 2.8) framing over a backend's
 * ChaCha20 and Poly1305 primitives, data in any chunking. Whole 64-byte
 * blocks go to the backend in bulk; a keystream block split across updates
 * and the 16-byte Poly1305 blocks are buffered here.
 */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include "zc_mode.h"

typedef struct zc_cp_msg {
    unsigned char poly[ZC_POLY_STATE_MAX] __attribute__((aligned(16)));
    unsigned char ks[64];   /* keystream of the block in progress */
    unsigned char pbuf[16]; /* ciphertext not yet a whole Poly1305 block */
    uint32_t nonce[3], counter;
    uint64_t aadlen, ctlen;
    size_t ks_used, pbuf_len;
} zc_cp_msg;

_Static_assert(sizeof(zc_cp_msg) <= ZC_MSG_STATE_MAX, "ChaCha message state too large");
_Static_assert(sizeof(zc_chachapoly_key) <= ZC_KEY_STATE_MAX, "ChaCha key state too large");

/* Cap on one bulk call, so in-place data is still in L1 for the second pass. */
#define ZC_CP_PASS_BLOCKS 32

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

int zc_chachapoly_mode_start(const zc_chachapoly_prims *p, const void *key, void *msg,
                             const unsigned char *iv, size_t ivlen,
                             const unsigned char *aad, size_t aadlen)
{
    const zc_chachapoly_key *k = key;
    zc_cp_msg *m = msg;

    if (ivlen != 12)
        return 0;
    memset(m, 0, sizeof(*m));
    for (int i = 0; i < 3; i++)
        m->nonce[i] = zc_le32(iv + 4 * i);
    /* Block 0 keys Poly1305 (its first 32 bytes); data starts at counter 1. */
    p->chacha20(k->k, 0, m->nonce, m->ks, m->ks, 1);
    p->poly_init(m->poly, m->ks);
    OPENSSL_cleanse(m->ks, sizeof(m->ks));
    m->counter = 1;
    m->ks_used = 64;
    m->aadlen = aadlen;
    zc_cp_poly(p, m, aad, aadlen);
    zc_cp_poly_pad(p, m);
    return 1;
}

int zc_chachapoly_mode_update(const zc_chachapoly_prims *p, const void *key, void *msg,
                              unsigned char *out, const unsigned char *in, size_t len,
                              int enc)
{
    const zc_chachapoly_key *k = key;
    zc_cp_msg *m = msg;
    size_t done = 0;

    while (done < len) {
        size_t n = len - done;

        if (m->ks_used < 64) {
            if (n > 64 - m->ks_used)
                n = 64 - m->ks_used;
            /* Poly1305 covers the ciphertext: before decrypting in place. */
            if (!enc)
                zc_cp_poly(p, m, in + done, n);
            for (size_t i = 0; i < n; i++)
                out[done + i] = in[done + i] ^ m->ks[m->ks_used + i];
            if (enc)
                zc_cp_poly(p, m, out + done, n);
            m->ks_used += n;
        } else if (n >= 64) {
            size_t nb = n / 64 > ZC_CP_PASS_BLOCKS ? ZC_CP_PASS_BLOCKS : n / 64;

            n = nb * 64;
            if (!enc)
                zc_cp_poly(p, m, in + done, n);
            p->chacha20(k->k, m->counter, m->nonce, out + done, in + done, nb);
            if (enc)
                zc_cp_poly(p, m, out + done, n);
            m->counter += (uint32_t)nb;
        } else {
            memset(m->ks, 0, sizeof(m->ks));
            p->chacha20(k->k, m->counter++, m->nonce, m->ks, m->ks, 1);
            m->ks_used = 0;
            continue;
        }
        done += n;
    }
    m->ctlen += len;
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
    p->poly_finish(m->poly, tag);
    OPENSSL_cleanse(m, sizeof(*m));
    return 1;
}
