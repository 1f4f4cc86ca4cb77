/* ChaCha20-Poly1305 primitives in plain C (framing: mode/zc_chachapoly_mode.c). */
#include "config.h"

#include <openssl/crypto.h>
#include "zc_mode.h"
#include "zc_portable_internal.h"
#include "zc_portable_aead.h"

static void zc_chacha20_portable_xor(const uint32_t key[8], uint32_t counter,
                                     const uint32_t nonce[3], unsigned char *out,
                                     const unsigned char *in, size_t nblocks)
{
    unsigned char ks[64];

    for (; nblocks > 0; nblocks--, in += 64, out += 64) {
        zc_chacha20_block(key, counter++, nonce, ks);
        for (int i = 0; i < 64; i++)
            out[i] = in[i] ^ ks[i];
    }
    OPENSSL_cleanse(ks, sizeof(ks));
}

const zc_chachapoly_prims zc_chachapoly_portable_prims = {
    zc_chacha20_portable_xor, zc_poly1305_init, zc_poly1305_blocks, zc_poly1305_finish, 1, 0,
    NULL, 0, /* no multi-lane ChaCha20: batches run packet after packet */
    NULL, 0, 0,
};
