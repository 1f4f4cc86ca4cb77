#include "config.h"

#include <pthread.h>
#include <string.h>
#include "zc_backend.h"

static const zc_backend *const zc_backends[ZC_BACKEND_COUNT] = {
    [ZC_BACKEND_PORTABLE] = &zc_backend_portable,
#ifdef ZC_HAVE_IPSEC_MB
    [ZC_BACKEND_SSE] = &zc_backend_imb_sse,
#if HAVE_DECL_INIT_MB_MGR_AVX
    [ZC_BACKEND_AVX] = &zc_backend_imb_avx,
#endif
    [ZC_BACKEND_AVX2] = &zc_backend_imb_avx2,
    [ZC_BACKEND_AVX512] = &zc_backend_imb_avx512,
#endif
#ifdef ZC_HAVE_NEON
    [ZC_BACKEND_NEON] = &zc_backend_neon,
#endif
};

/* Preference order for "auto". */
static const zc_backend_id zc_backend_order[] = {
    ZC_BACKEND_AVX512, ZC_BACKEND_AVX2, ZC_BACKEND_AVX, ZC_BACKEND_SSE,
    ZC_BACKEND_NEON, ZC_BACKEND_PORTABLE,
};

const zc_backend *zc_backend_get(zc_backend_id id)
{
    return (unsigned)id < ZC_BACKEND_COUNT ? zc_backends[id] : NULL;
}

const zc_backend *zc_backend_best(void)
{
    for (size_t i = 0; i < sizeof(zc_backend_order) / sizeof(zc_backend_order[0]); i++) {
        const zc_backend *be = zc_backend_get(zc_backend_order[i]);

        if (be != NULL && be->available())
            return be;
    }
    return &zc_backend_portable;
}

static char zc_available_list[128];

static void zc_backend_list_build(void)
{
    for (size_t i = 0; i < sizeof(zc_backend_order) / sizeof(zc_backend_order[0]); i++) {
        const zc_backend *be = zc_backend_get(zc_backend_order[i]);

        if (be == NULL || !be->available())
            continue;
        if (zc_available_list[0] != '\0')
            strcat(zc_available_list, " ");
        strcat(zc_available_list, be->name);
    }
}

const char *zc_backend_available_list(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    /* Availability is a fixed property of the CPU: compute it once. */
    pthread_once(&once, zc_backend_list_build);
    return zc_available_list;
}
