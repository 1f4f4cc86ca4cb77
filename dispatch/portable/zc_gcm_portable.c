/* AES-GCM (SP 800-38D) on the portable AES and GHASH, any IV length >= 1. */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include "zc_backend.h"
#include "zc_portable_internal.h"
#include "zc_portable_aead.h"

typedef struct zc_gcm_key {
    zc_aes_key aes;
    zc_ghash_key h;
} zc_gcm_key;

typedef struct zc_gcm_msg {
    unsigned char j0[16], ctr[16], ks[16], ct_block[16];
    uint64_t xhi, xlo;
    uint64_t aadlen, ctlen;
    size_t ks_used, ct_fill;
} zc_gcm_msg;

_Static_assert(sizeof(zc_gcm_key) <= ZC_KEY_STATE_MAX, "GCM key state too large");
_Static_assert(sizeof(zc_gcm_msg) <= ZC_MSG_STATE_MAX, "GCM message state too large");

static void zc_ghash_block(const zc_gcm_key *k, zc_gcm_msg *m, const unsigned char b[16])
{
    m->xhi ^= zc_load64_be(b);
    m->xlo ^= zc_load64_be(b + 8);
    zc_ghash_mul(&k->h, &m->xhi, &m->xlo);
}

/* GHASH of data zero-padded to whole blocks. */
static void zc_ghash_padded(const zc_gcm_key *k, zc_gcm_msg *m, const unsigned char *p, size_t n)
{
    unsigned char last[16];

    for (; n >= 16; p += 16, n -= 16)
        zc_ghash_block(k, m, p);
    if (n > 0) {
        memset(last, 0, sizeof(last));
        memcpy(last, p, n);
        zc_ghash_block(k, m, last);
    }
}

static void zc_inc32(unsigned char c[16])
{
    for (int i = 15; i >= 12; i--)
        if (++c[i] != 0)
            return;
}

int zc_gcm_portable_key_setup(void *key_state, const unsigned char *key, size_t keylen)
{
    zc_gcm_key *k = key_state;
    unsigned char h[16] = { 0 };

    zc_aes_expand(&k->aes, key, keylen);
    zc_aes_encrypt(&k->aes, h, h);
    k->h.hi = zc_load64_be(h);
    k->h.lo = zc_load64_be(h + 8);
    OPENSSL_cleanse(h, sizeof(h));
    return 1;
}

int zc_gcm_portable_start(const void *key_state, void *msg_state,
                          const unsigned char *iv, size_t ivlen,
                          const unsigned char *aad, size_t aadlen)
{
    const zc_gcm_key *k = key_state;
    zc_gcm_msg *m = msg_state;
    unsigned char lens[16] = { 0 };

    if (ivlen == 0)
        return 0;
    memset(m, 0, sizeof(*m));
    if (ivlen == 12) {
        memcpy(m->j0, iv, 12);
        m->j0[15] = 1;
    } else {
        zc_ghash_padded(k, m, iv, ivlen);
        zc_store64_be(lens + 8, (uint64_t)ivlen * 8);
        zc_ghash_block(k, m, lens);
        zc_store64_be(m->j0, m->xhi);
        zc_store64_be(m->j0 + 8, m->xlo);
        m->xhi = m->xlo = 0;
    }
    memcpy(m->ctr, m->j0, 16);
    zc_inc32(m->ctr);
    m->ks_used = 16;
    zc_ghash_padded(k, m, aad, aadlen);
    m->aadlen = aadlen;
    return 1;
}

int zc_gcm_portable_update(const void *key_state, void *msg_state, unsigned char *out,
                           const unsigned char *in, size_t len, int enc)
{
    const zc_gcm_key *k = key_state;
    zc_gcm_msg *m = msg_state;

    for (size_t i = 0; i < len; i++) {
        unsigned char c, p;

        if (m->ks_used == 16) {
            zc_aes_encrypt(&k->aes, m->ctr, m->ks);
            zc_inc32(m->ctr);
            m->ks_used = 0;
        }
        p = in[i];                     /* read before write: in place is allowed */
        c = p ^ m->ks[m->ks_used++];
        out[i] = c;
        m->ct_block[m->ct_fill++] = enc ? c : p;
        if (m->ct_fill == 16) {
            zc_ghash_block(k, m, m->ct_block);
            m->ct_fill = 0;
        }
    }
    m->ctlen += len;
    return 1;
}

int zc_gcm_portable_finish(const void *key_state, void *msg_state, unsigned char tag[16], int enc)
{
    const zc_gcm_key *k = key_state;
    zc_gcm_msg *m = msg_state;
    unsigned char lens[16], ek[16];

    zc_ghash_padded(k, m, m->ct_block, m->ct_fill);
    zc_store64_be(lens, m->aadlen * 8);
    zc_store64_be(lens + 8, m->ctlen * 8);
    zc_ghash_block(k, m, lens);
    zc_aes_encrypt(&k->aes, m->j0, ek);
    zc_store64_be(tag, m->xhi);
    zc_store64_be(tag + 8, m->xlo);
    for (int i = 0; i < 16; i++)
        tag[i] ^= ek[i];
    OPENSSL_cleanse(ek, sizeof(ek));
    OPENSSL_cleanse(m, sizeof(*m));
    return 1;
}
