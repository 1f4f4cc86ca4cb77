/*
 * zc_bench's environment: the library context holding both providers, the
 * description every report starts with, and zcrypto's counters.
 */
#ifndef ZC_BENCH_ENV_H
#define ZC_BENCH_ENV_H

#include <stdint.h>
#include <stdio.h>
#include <openssl/crypto.h>
#include <openssl/provider.h>

/*
 * A new library context with the default provider and zcrypto (module
 * module_dir/zcrypto.so, config key backend=...). module_path receives the
 * module's absolute path. NULL, with the reason on stderr, if zcrypto did
 * not load.
 */
OSSL_LIB_CTX *zb_env_open(const char *module_dir, const char *backend,
                          char *module_path, size_t module_path_size);

/* zcrypto in libctx, whether or not it serves any cipher; NULL if not loaded. */
OSSL_PROVIDER *zb_env_zcrypto(OSSL_LIB_CTX *libctx);
/*
 * The first name of zcrypto's "zcrypto-backends" (the best this CPU runs),
 * so the bench names the path it measures rather than leaving it to auto.
 */
int zb_env_best_backend(const OSSL_PROVIDER *zc, char *buf, size_t bufsize);
/* The whole "zcrypto-backends" list, space-separated, best first. */
int zb_env_backends(const OSSL_PROVIDER *zc, char *buf, size_t bufsize);

typedef struct zb_env {
    char cpu[512];
    char openssl[256];
    char zcrypto[512];
    char backend[64];           /* zcrypto's active backend */
    char backends[256];         /* the backends this CPU can run */
    char def[128];              /* the default provider's name and version */
} zb_env;

int zb_env_describe(const OSSL_PROVIDER *zc, const OSSL_PROVIDER *def,
                    const char *module_path, zb_env *env);
/* One "key: value" line per fact, each preceded by prefix. */
void zb_env_print(FILE *f, const zb_env *env, const char *prefix);

typedef struct zb_alg_stats {
    const char *alg;            /* set by the caller */
    uint64_t ops, bytes, tag_failures, errors;
    uint64_t foreign_ops;       /* ops counted on a backend other than the active one */
} zb_alg_stats;

/* Sums zcrypto's "zcrypto-stats" JSON per algorithm (st[i].alg), all backends. */
/* zcrypto's stats JSON as it is ("zcrypto-stats"). */
int zb_stats_json(const OSSL_PROVIDER *zc, char *buf, size_t bufsize);
int zb_stats_read(const OSSL_PROVIDER *zc, zb_alg_stats *st, size_t nalgs,
                  const char *backend);

#endif
