/* ChaCha20-Poly1305 AEAD (RFC 8439 section 2.8), streaming. */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include "zc_backend.h"
#include "zc_portable_internal.h"
#include "zc_portable_aead.h"

typedef struct zc_cp_key {
    uint32_t k[8];
} zc_cp_key;

typedef struct zc_cp_msg {
    zc_poly1305 poly;
    uint32_t nonce[3], counter;
    unsigned char ks[64];
    size_t ks_used;
    uint64_t aadlen, ctlen;
} zc_cp_msg;

_Static_assert(sizeof(zc_cp_key) <= ZC_KEY_STATE_MAX, "ChaCha key state too large");
_Static_assert(sizeof(zc_cp_msg) <= ZC_MSG_STATE_MAX, "ChaCha message state too large");

static const unsigned char zc_zero16[16];

int zc_chacha_portable_key_setup(void *key_state, const unsigned char *key)
{
    zc_cp_key *k = key_state;

    for (int i = 0; i < 8; i++)
        k->k[i] = zc_load32_le(key + 4 * i);
    return 1;
}

int zc_chacha_portable_start(const void *key_state, void *msg_state,
                             const unsigned char *iv, size_t ivlen,
                             const unsigned char *aad, size_t aadlen)
{
    const zc_cp_key *k = key_state;
    zc_cp_msg *m = msg_state;
    unsigned char block0[64];

    if (ivlen != 12)
        return 0;
    for (int i = 0; i < 3; i++)
        m->nonce[i] = zc_load32_le(iv + 4 * i);
    /* Block 0 keys Poly1305; data starts at counter 1. */
    zc_chacha20_block(k->k, 0, m->nonce, block0);
    zc_poly1305_init(&m->poly, block0);
    OPENSSL_cleanse(block0, sizeof(block0));
    m->counter = 1;
    m->ks_used = 64;
    m->aadlen = aadlen;
    m->ctlen = 0;
    zc_poly1305_update(&m->poly, aad, aadlen);
    zc_poly1305_update(&m->poly, zc_zero16, (16 - aadlen % 16) % 16);
    return 1;
}

int zc_chacha_portable_update(const void *key_state, void *msg_state, unsigned char *out,
                              const unsigned char *in, size_t len, int enc)
{
    const zc_cp_key *k = key_state;
    zc_cp_msg *m = msg_state;
    size_t done = 0;

    while (done < len) {
        size_t n;

        if (m->ks_used == 64) {
            zc_chacha20_block(k->k, m->counter++, m->nonce, m->ks);
            m->ks_used = 0;
        }
        n = 64 - m->ks_used < len - done ? 64 - m->ks_used : len - done;
        /* Poly1305 covers the ciphertext: before decrypting, after encrypting. */
        if (!enc)
            zc_poly1305_update(&m->poly, in + done, n);
        for (size_t i = 0; i < n; i++)
            out[done + i] = in[done + i] ^ m->ks[m->ks_used + i];
        if (enc)
            zc_poly1305_update(&m->poly, out + done, n);
        m->ks_used += n;
        done += n;
    }
    m->ctlen += len;
    return 1;
}

int zc_chacha_portable_finish(const void *key_state, void *msg_state, unsigned char tag[16],
                              int enc)
{
    zc_cp_msg *m = msg_state;
    unsigned char lens[16];

    zc_poly1305_update(&m->poly, zc_zero16, (16 - m->ctlen % 16) % 16);
    zc_store32_le(lens, (uint32_t)m->aadlen);
    zc_store32_le(lens + 4, (uint32_t)(m->aadlen >> 32));
    zc_store32_le(lens + 8, (uint32_t)m->ctlen);
    zc_store32_le(lens + 12, (uint32_t)(m->ctlen >> 32));
    zc_poly1305_update(&m->poly, lens, 16);
    zc_poly1305_finish(&m->poly, tag);
    OPENSSL_cleanse(m, sizeof(*m));
    return 1;
}
