/*
 * The provider context: one per OSSL_LIB_CTX that loads zcrypto. Ciphers see
 * it as their provctx; it carries the backend chosen once at init, the
 * counters and the core handle errors are raised against.
 */
#ifndef ZC_PROVIDER_H
#define ZC_PROVIDER_H

#include <stdint.h>
#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include "zc_backend.h"
#include "zc_config.h"
#include "zc_stats.h"
#include "zc_audit.h"
#include "zc_async.h"

#define ZC_VERSION_STR PACKAGE_VERSION
#define ZC_EXPORT __attribute__((visibility("default")))

typedef struct zc_provctx {
    const OSSL_CORE_HANDLE *handle;
    const zc_backend *backend;
    zc_async *async;
    uint64_t instance_id;       /* never reused, unlike the address */
    OSSL_FUNC_core_thread_start_fn *core_thread_start;
    zc_config config;
    /* What this instance offers (dispatch/zc_serve.c decides under auto). */
    int served[ZC_ALG_COUNT];
    const char *left_why[ZC_ALG_COUNT];     /* why an algorithm is left to the default */
    OSSL_ALGORITHM algs[ZC_ALG_COUNT + 1];
    char served_list[96];
    char policy_json[1024];                 /* the stats JSON's serving fields */
    char buildinfo[1024];
    zc_stats stats;
    /* The backend's batch path (pipeline API) passed its self-test. */
    int batch_ok[ZC_ALG_COUNT];
} zc_provctx;

/*
 * Makes sure the core calls us when the current thread stops, so the
 * backend's per-thread state (an IMB_MGR, ~200 KB) is released. Cheap after
 * the first call per thread and provider instance.
 */
void zc_prov_thread_enter(zc_provctx *provctx);

#endif
