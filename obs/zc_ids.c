#include "config.h"

#include <string.h>
#include "zc_ids.h"

static const char *const zc_alg_names[ZC_ALG_COUNT] = {
    [ZC_ALG_AES_128_GCM] = "AES-128-GCM",
    [ZC_ALG_AES_192_GCM] = "AES-192-GCM",
    [ZC_ALG_AES_256_GCM] = "AES-256-GCM",
    [ZC_ALG_CHACHA20_POLY1305] = "ChaCha20-Poly1305",
};

/* Names exist even for backends absent from this build, so config errors can
 * say "not compiled in" rather than "unknown". */
static const char *const zc_backend_names[ZC_BACKEND_COUNT] = {
    [ZC_BACKEND_PORTABLE] = "portable",
    [ZC_BACKEND_SSE] = "sse",
    [ZC_BACKEND_AVX] = "avx",
    [ZC_BACKEND_AVX2] = "avx2",
    [ZC_BACKEND_AVX512] = "avx512",
    [ZC_BACKEND_NEON] = "neon",
};

const char *zc_alg_name(zc_alg alg)
{
    return (unsigned)alg < ZC_ALG_COUNT ? zc_alg_names[alg] : "?";
}

const char *zc_backend_name(zc_backend_id id)
{
    return (unsigned)id < ZC_BACKEND_COUNT ? zc_backend_names[id] : "?";
}

int zc_backend_id_from_name(const char *name, zc_backend_id *id)
{
    for (int i = 0; i < ZC_BACKEND_COUNT; i++) {
        if (strcmp(name, zc_backend_names[i]) == 0) {
            *id = (zc_backend_id)i;
            return 1;
        }
    }
    return 0;
}
