/*
 * Configuration from the provider's openssl.cnf section, read once at init
 * through core_get_params and parsed strictly: a bad value fails provider
 * init with an error naming the key, never a silent fallback.
 */
#ifndef ZC_CONFIG_H
#define ZC_CONFIG_H

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include "zc_backend.h"
#include "zc_async.h"
#include "zc_stats.h"
#include "zc_audit.h"

typedef enum zc_config_key {
    ZC_CONF_BACKEND = 0,
    ZC_CONF_STATS_FILE,
    ZC_CONF_ASYNC,
    ZC_CONF_ASYNC_MIN_BYTES,
    ZC_CONF_BATCH_MAX,
    ZC_CONF_BATCH_TIMEOUT_US,
    ZC_CONF_OP_TIMEOUT_US,
    ZC_CONF_OFFLOAD_THREADS,
    ZC_CONF_LIVE_STATS,
    ZC_CONF_LIVE_STATS_DIR,
    ZC_CONF_LIVE_STATS_MODE,
    ZC_CONF_LATENCY_SAMPLE,
    ZC_CONF_AUDIT_LOG,
    ZC_CONF_RETRY_MAX,
    ZC_CONF_RETRY_BACKOFF_US,
    ZC_CONF_COUNT
} zc_config_key;

typedef struct zc_config {
    int backend_auto;           /* 1: pick the best backend for this CPU */
    zc_backend_id backend;      /* valid when !backend_auto */
    char *stats_file;           /* NULL: no file written */
    zc_async_config async;
    zc_stats_opts live;         /* live_stats, live_stats_dir, _mode, latency_sample */
    char *live_dir;             /* owns live.dir */
    zc_audit_kind audit;
    char *audit_path;           /* audit_log = PATH */
} zc_config;

const char *zc_config_key_name(zc_config_key key);

/* Reads and validates every key; raises on the first bad one and returns 0. */
int zc_config_load(const OSSL_CORE_HANDLE *handle,
                   OSSL_FUNC_core_get_params_fn *get_params, zc_config *cfg);
void zc_config_clear(zc_config *cfg);

#endif
