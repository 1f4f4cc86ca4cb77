/* ChaCha20 block function (RFC 8439 section 2.3). */
#include "config.h"

#include "zc_mode.h"
#include "zc_portable_internal.h"

#define ZC_ROTL(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
#define ZC_QR(a, b, c, d)                       \
    a += b, d ^= a, d = ZC_ROTL(d, 16);         \
    c += d, b ^= c, b = ZC_ROTL(b, 12);         \
    a += b, d ^= a, d = ZC_ROTL(d, 8);          \
    c += d, b ^= c, b = ZC_ROTL(b, 7)

void zc_chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                       unsigned char out[64])
{
    uint32_t in[16] = {
        0x61707865, 0x3320646e, 0x79622d32, 0x6b206574,
        key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
        counter, nonce[0], nonce[1], nonce[2]
    };
    uint32_t x[16];

    for (int i = 0; i < 16; i++)
        x[i] = in[i];
    ZC_CHACHA20_ROUNDS(ZC_QR, x);
    for (int i = 0; i < 16; i++)
        zc_store32_le(out + 4 * i, x[i] + in[i]);
    for (int i = 0; i < 16; i++)
        x[i] = in[i] = 0;
}
