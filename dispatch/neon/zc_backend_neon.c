/*
 * The ARM backend's table. It runs only where the kernel reports ASIMD,
 * AES and PMULL (getauxval(AT_HWCAP), read in zc_cpu.c); elsewhere "auto"
 * falls back to the portable backend. ZC_ARMCAP (a number, e.g. 0) masks the
 * reported capabilities so the fallback can be tested on a CPU that has
 * them; it can only hide features, never claim ones the CPU lacks.
 */
#include "config.h"

#include "zc_backend.h"
#include "zc_cpu.h"
#include "zc_mode.h"
#include "zc_kat.h"
#include "zc_neon_internal.h"

#define ZC_NEON_GCM(bits)                                                           \
    static int zc_neon_gcm##bits##_key_setup(void *key_state, const unsigned char *key) \
    {                                                                               \
        return zc_neon_gcm_key_setup(key_state, key, (bits) / 8);                   \
    }                                                                               \
    ZC_GCM_MODE_OPS(zc_neon_gcm##bits, zc_neon_gcm_prims, zc_neon_gcm##bits##_key_setup)

ZC_NEON_GCM(128)
ZC_NEON_GCM(192)
ZC_NEON_GCM(256)

static const zc_chachapoly_prims zc_neon_chachapoly_prims = {
    zc_neon_chacha20, zc_poly1305_64_init, zc_poly1305_64_blocks, zc_poly1305_64_finish,
    4, /* zc_neon_chacha20 makes four blocks per pass */
    0,
    NULL, 0, /* no multi-lane ChaCha20: batches run packet after packet */
    NULL, 0, 0,
};
ZC_CHACHAPOLY_MODE_OPS(zc_neon_chachapoly, zc_neon_chachapoly_prims)

static int zc_neon_available(void)
{
    return (zc_cpu_features() & ZC_CPU_ARM_CE) != 0;
}

static int zc_neon_activate(void)
{
    return zc_neon_available() && zc_kat_run(zc_backend_neon.aead);
}

const zc_backend zc_backend_neon = {
    .id = ZC_BACKEND_NEON,
    .name = "neon",
    .description = "ARMv8 crypto extensions (AES, PMULL) and NEON",
    .available = zc_neon_available,
    .activate = zc_neon_activate,
    .detail = NULL,
    .thread_stop = NULL,
    .release = NULL,
    .aead = {
        [ZC_ALG_AES_128_GCM] = &zc_neon_gcm128,
        [ZC_ALG_AES_192_GCM] = &zc_neon_gcm192,
        [ZC_ALG_AES_256_GCM] = &zc_neon_gcm256,
        [ZC_ALG_CHACHA20_POLY1305] = &zc_neon_chachapoly,
    },
};
