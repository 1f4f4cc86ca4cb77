/*
 * The vocabulary every layer counts and reports in: algorithms and backends
 * by id, and their names. It sits in obs/ (the bottom) so that counters,
 * errors and the live segment need nothing from the layers above them.
 */
#ifndef ZC_IDS_H
#define ZC_IDS_H

typedef enum zc_alg {
    ZC_ALG_AES_128_GCM = 0,
    ZC_ALG_AES_192_GCM,
    ZC_ALG_AES_256_GCM,
    ZC_ALG_CHACHA20_POLY1305,
    ZC_ALG_COUNT
} zc_alg;

typedef enum zc_backend_id {
    ZC_BACKEND_PORTABLE = 0,
    ZC_BACKEND_SSE,
    ZC_BACKEND_AVX,
    ZC_BACKEND_AVX2,
    ZC_BACKEND_AVX512,
    ZC_BACKEND_NEON,
    ZC_BACKEND_COUNT
} zc_backend_id;

const char *zc_alg_name(zc_alg alg);
const char *zc_backend_name(zc_backend_id id);
int zc_backend_id_from_name(const char *name, zc_backend_id *id);

#endif
