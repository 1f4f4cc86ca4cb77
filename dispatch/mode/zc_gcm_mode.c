/*
 * GCM (SP 800-38D) framing over a backend's CTR and GHASH primitives: any
 * IV length >= 1, AAD given at start, data in any chunking. Whole blocks go
 * to the backend in bulk; only a block split across two updates is handled
 * here byte by byte.
 */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include "zc_mode.h"

typedef struct zc_gcm_msg {
    unsigned char j0[16], ctr[16], x[16];
    unsigned char ks[16];   /* keystream of the block in progress */
    unsigned char part[16]; /* its ciphertext so far (what GHASH covers) */
    uint64_t aadlen, ctlen;
    size_t used;            /* bytes of the block in progress: 0..15 */
} zc_gcm_msg;

_Static_assert(sizeof(zc_gcm_msg) <= ZC_MSG_STATE_MAX, "GCM message state too large");

/* Bulk work is cut into pieces that stay in L1 between the two passes. */
#define ZC_GCM_PASS_BLOCKS 128

static void zc_store64_be(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static void zc_gcm_hash_padded(const zc_gcm_prims *p, const void *key, unsigned char x[16],
                               const unsigned char *in, size_t len)
{
    unsigned char last[16] = { 0 };

    if (len >= 16)
        p->ghash(key, x, in, len / 16);
    if (len % 16 != 0) {
        memcpy(last, in + len - len % 16, len % 16);
        p->ghash(key, x, last, 1);
    }
}

int zc_gcm_mode_start(const zc_gcm_prims *p, const void *key, void *msg,
                      const unsigned char *iv, size_t ivlen,
                      const unsigned char *aad, size_t aadlen, size_t first_len)
{
    zc_gcm_msg *m = msg;
    unsigned char lens[16] = { 0 };

    if (ivlen == 0)
        return 0;
    memset(m, 0, sizeof(*m));
    if (ivlen == 12) {
        memcpy(m->j0, iv, 12);
        m->j0[15] = 1;
    } else {
        zc_gcm_hash_padded(p, key, m->j0, iv, ivlen);
        zc_store64_be(lens + 8, (uint64_t)ivlen * 8);
        p->ghash(key, m->j0, lens, 1);
    }
    memcpy(m->ctr, m->j0, 16);
    /* J0 + 1 (32-bit increment) starts the data. */
    for (int i = 15; i >= 12; i--)
        if (++m->ctr[i] != 0)
            break;
    zc_gcm_hash_padded(p, key, m->x, aad, aadlen);
    m->aadlen = aadlen;
    return 1;
}

/* Continues a block begun by an earlier update; returns bytes consumed. */
static size_t zc_gcm_partial(const zc_gcm_prims *p, const void *key, zc_gcm_msg *m,
                             unsigned char *out, const unsigned char *in, size_t len, int enc)
{
    size_t n = 16 - m->used < len ? 16 - m->used : len;

    for (size_t i = 0; i < n; i++) {
        unsigned char pt = in[i], ct = pt ^ m->ks[m->used + i]; /* in place: read first */

        out[i] = ct;
        m->part[m->used + i] = enc ? ct : pt;
    }
    m->used += n;
    if (m->used == 16) {
        p->ghash(key, m->x, m->part, 1);
        m->used = 0;
    }
    return n;
}

int zc_gcm_mode_update(const zc_gcm_prims *p, const void *key, void *msg,
                       unsigned char *out, const unsigned char *in, size_t len, int enc)
{
    zc_gcm_msg *m = msg;
    size_t done = 0;

    if (m->used != 0)
        done = zc_gcm_partial(p, key, m, out, in, len, enc);
    while (len - done >= 16) {
        size_t nb = (len - done) / 16;

        if (nb > ZC_GCM_PASS_BLOCKS)
            nb = ZC_GCM_PASS_BLOCKS;
        /* GHASH covers the ciphertext: hash before decrypting in place. */
        if (!enc)
            p->ghash(key, m->x, in + done, nb);
        p->ctr32(key, m->ctr, out + done, in + done, nb);
        if (enc)
            p->ghash(key, m->x, out + done, nb);
        done += nb * 16;
    }
    if (done < len) {
        memset(m->ks, 0, sizeof(m->ks));
        p->ctr32(key, m->ctr, m->ks, m->ks, 1);
        done += zc_gcm_partial(p, key, m, out + done, in + done, len - done, enc);
    }
    m->ctlen += len;
    return 1;
}

int zc_gcm_mode_finish(const zc_gcm_prims *p, const void *key, void *msg,
                       unsigned char tag[ZC_TAG_LEN])
{
    zc_gcm_msg *m = msg;
    unsigned char lens[16], ek[16];

    if (m->used != 0) {
        memset(m->part + m->used, 0, 16 - m->used);
        p->ghash(key, m->x, m->part, 1);
    }
    zc_store64_be(lens, m->aadlen * 8);
    zc_store64_be(lens + 8, m->ctlen * 8);
    p->ghash(key, m->x, lens, 1);
    p->block(key, m->j0, ek);
    for (int i = 0; i < 16; i++)
        tag[i] = m->x[i] ^ ek[i];
    OPENSSL_cleanse(ek, sizeof(ek));
    OPENSSL_cleanse(m, sizeof(*m));
    return 1;
}
