/* AES-GCM primitives on the portable AES and GHASH (framing: mode/zc_gcm_mode.c). */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include "zc_backend.h"
#include "zc_mode.h"
#include "zc_portable_internal.h"
#include "zc_portable_aead.h"

typedef struct zc_gcm_key {
    zc_aes_key aes;
    zc_ghash_key h;
} zc_gcm_key;

_Static_assert(sizeof(zc_gcm_key) <= ZC_KEY_STATE_MAX, "GCM key state too large");

static void zc_gcm_portable_block(const void *key, const unsigned char in[16],
                                  unsigned char out[16])
{
    zc_aes_encrypt(&((const zc_gcm_key *)key)->aes, in, out);
}

static void zc_gcm_portable_ctr32(const void *key, unsigned char ctr[16], unsigned char *out,
                                  const unsigned char *in, size_t nblocks)
{
    const zc_gcm_key *k = key;
    unsigned char ks[16];

    for (; nblocks > 0; nblocks--, in += 16, out += 16) {
        zc_aes_encrypt(&k->aes, ctr, ks);
        for (int i = 15; i >= 12; i--)
            if (++ctr[i] != 0)
                break;
        for (int i = 0; i < 16; i++)
            out[i] = in[i] ^ ks[i];
    }
    OPENSSL_cleanse(ks, sizeof(ks));
}

static void zc_gcm_portable_ghash(const void *key, unsigned char x[16],
                                  const unsigned char *in, size_t nblocks)
{
    const zc_gcm_key *k = key;
    uint64_t xhi = zc_load64_be(x), xlo = zc_load64_be(x + 8);

    for (; nblocks > 0; nblocks--, in += 16) {
        xhi ^= zc_load64_be(in);
        xlo ^= zc_load64_be(in + 8);
        zc_ghash_mul(&k->h, &xhi, &xlo);
    }
    zc_store64_be(x, xhi);
    zc_store64_be(x + 8, xlo);
}

const zc_gcm_prims zc_gcm_portable_prims = {
    zc_gcm_portable_block, zc_gcm_portable_ctr32, zc_gcm_portable_ghash,
};

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
