/*
 * The ARM backend's table. It runs only where the kernel reports ASIMD,
 * AES and PMULL (getauxval(AT_HWCAP)); elsewhere "auto" falls back to the
 * portable backend. ZC_ARMCAP (a number, e.g. 0) masks the reported
 * capabilities so the fallback can be tested on a CPU that has them; it
 * can only hide features, never claim ones the CPU lacks.
 */
#define _GNU_SOURCE /* secure_getenv */
#include "config.h"

#include <stdlib.h>
#include <sys/auxv.h>
#include "zc_backend.h"
#include "zc_mode.h"
#include "zc_kat.h"
#include "zc_neon_internal.h"

/* Linux arm64 <asm/hwcap.h> bit numbers (stable kernel ABI). */
#define ZC_HWCAP_ASIMD (1UL << 1)
#define ZC_HWCAP_AES   (1UL << 3)
#define ZC_HWCAP_PMULL (1UL << 4)
#define ZC_HWCAP_NEEDED (ZC_HWCAP_ASIMD | ZC_HWCAP_AES | ZC_HWCAP_PMULL)

static unsigned long zc_neon_hwcap(void)
{
    unsigned long caps = getauxval(AT_HWCAP);
    const char *mask = secure_getenv("ZC_ARMCAP");

    if (mask != NULL && *mask != '\0') {
        char *end;
        unsigned long m = strtoul(mask, &end, 0);

        if (*end == '\0')
            caps &= m;
    }
    return caps;
}

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
};
ZC_CHACHAPOLY_MODE_OPS(zc_neon_chachapoly, zc_neon_chachapoly_prims)

static int zc_neon_available(void)
{
    return (zc_neon_hwcap() & ZC_HWCAP_NEEDED) == ZC_HWCAP_NEEDED;
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
    .thread_stop = NULL,
    .release = NULL,
    .aead = {
        [ZC_ALG_AES_128_GCM] = &zc_neon_gcm128,
        [ZC_ALG_AES_192_GCM] = &zc_neon_gcm192,
        [ZC_ALG_AES_256_GCM] = &zc_neon_gcm256,
        [ZC_ALG_CHACHA20_POLY1305] = &zc_neon_chachapoly,
    },
};
