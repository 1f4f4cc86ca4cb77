/*
 * The portable backend's table: runs everywhere, constant time, slow. Its
 * activation runs known-answer tests so a miscompiled build never serves.
 */
#include "config.h"

#include "zc_backend.h"
#include "zc_mode.h"
#include "zc_portable_aead.h"
#include "zc_kat.h"

#define ZC_PORTABLE_GCM(bits)                                                      \
    static int zc_gcm##bits##_key_setup(void *key_state, const unsigned char *key)  \
    {                                                                               \
        return zc_gcm_portable_key_setup(key_state, key, (bits) / 8);               \
    }                                                                               \
    ZC_GCM_MODE_OPS(zc_portable_gcm##bits, zc_gcm_portable_prims, zc_gcm##bits##_key_setup)

ZC_PORTABLE_GCM(128)
ZC_PORTABLE_GCM(192)
ZC_PORTABLE_GCM(256)
ZC_CHACHAPOLY_MODE_OPS(zc_portable_chachapoly, zc_chachapoly_portable_prims)

static int zc_portable_available(void)
{
    return 1;
}

static int zc_portable_activate(void)
{
    return zc_kat_run(zc_backend_portable.aead);
}

/* Referenced by its own activation (the KAT runs the table's ops). */
const zc_backend zc_backend_portable = {
    .id = ZC_BACKEND_PORTABLE,
    .name = "portable",
    .description = "portable C, constant time",
    .available = zc_portable_available,
    .activate = zc_portable_activate,
    .thread_stop = NULL,
    .release = NULL,
    .aead = {
        [ZC_ALG_AES_128_GCM] = &zc_portable_gcm128,
        [ZC_ALG_AES_192_GCM] = &zc_portable_gcm192,
        [ZC_ALG_AES_256_GCM] = &zc_portable_gcm256,
        [ZC_ALG_CHACHA20_POLY1305] = &zc_portable_chachapoly,
    },
};
