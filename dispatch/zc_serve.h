/*
 * Which algorithms zcrypto offers under `backend = auto`: only those whose
 * path on this CPU class and build is faster than OpenSSL's default
 * provider in the running libcrypto. Elsewhere the algorithm is not
 * registered at all, so `?provider=zcrypto` falls through to the default
 * provider and nobody gets slower. The decision is static: a table of
 * measurements (bench/cpu_classes.sh, figures in README.md), never a timing
 * taken at load.
 */
#ifndef ZC_SERVE_H
#define ZC_SERVE_H

#include "zc_backend.h"
#include "zc_cpu.h"

typedef struct zc_serve_verdict {
    int serve;
    const char *why;    /* one line, for buildinfo and the stats JSON */
} zc_serve_verdict;

/*
 * ossl_version: OpenSSL_version_num() of the libcrypto the provider runs
 * in (0xMNN00PPL), since the default provider's speed depends on it.
 */
zc_serve_verdict zc_serve_decide(zc_backend_id backend, zc_alg alg, zc_cpu_class cls,
                                 unsigned long ossl_version);

#endif
