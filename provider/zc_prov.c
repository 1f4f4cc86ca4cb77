/*
 * Provider entry: OSSL_provider_init (the module's only exported symbol),
 * provider params, the algorithm query and teardown.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>
#include "zc_provider.h"
#include "zc_err.h"
#include "zc_ciphers.h"

#define ZC_PARAM_BACKEND  "zcrypto-backend"
#define ZC_PARAM_BACKENDS "zcrypto-backends"
#define ZC_PARAM_STATS    "zcrypto-stats"

static uint64_t zc_next_instance_id = 1;

/* ------------------------------------------------------------ threads */

#define ZC_THREAD_SLOTS 8
static __thread uint64_t zc_thread_registered[ZC_THREAD_SLOTS];

static void zc_prov_thread_stop(void *arg)
{
    zc_provctx *provctx = arg;

    if (provctx->backend->thread_stop != NULL)
        provctx->backend->thread_stop();
    zc_async_thread_stop();
    for (int i = 0; i < ZC_THREAD_SLOTS; i++)
        if (zc_thread_registered[i] == provctx->instance_id)
            zc_thread_registered[i] = 0;
}

void zc_prov_thread_enter(zc_provctx *provctx)
{
    int free_slot = -1;

    for (int i = 0; i < ZC_THREAD_SLOTS; i++) {
        if (zc_thread_registered[i] == provctx->instance_id)
            return;
        if (zc_thread_registered[i] == 0 && free_slot < 0)
            free_slot = i;
    }
    if (provctx->core_thread_start == NULL
        || !provctx->core_thread_start(provctx->handle, zc_prov_thread_stop, provctx))
        return;
    /* With no free slot we register again next time: harmless, as a
     * thread-stop handler that finds nothing to free does nothing. */
    if (free_slot >= 0)
        zc_thread_registered[free_slot] = provctx->instance_id;
}

/* ------------------------------------------------------------ params */

static const OSSL_PARAM zc_prov_gettable[] = {
    OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_NAME, NULL, 0),
    OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_VERSION, NULL, 0),
    OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_BUILDINFO, NULL, 0),
    OSSL_PARAM_int(OSSL_PROV_PARAM_STATUS, NULL),
    OSSL_PARAM_utf8_string(ZC_PARAM_BACKEND, NULL, 0),
    OSSL_PARAM_utf8_string(ZC_PARAM_BACKENDS, NULL, 0),
    OSSL_PARAM_utf8_string(ZC_PARAM_STATS, NULL, 0),
    OSSL_PARAM_END
};

static const OSSL_PARAM *zc_prov_gettable_params(void *vprovctx)
{
    return zc_prov_gettable;
}

static int zc_prov_get_stats_param(zc_provctx *provctx, OSSL_PARAM *p)
{
    size_t need = zc_stats_to_json(&provctx->stats, provctx->backend->name, NULL, 0) + 1;
    char *json;
    int ok;

    /* Size query: report what a buffer must hold. */
    if (p->data == NULL) {
        p->return_size = need;
        return 1;
    }
    if ((json = OPENSSL_malloc(need)) == NULL)
        return 0;
    zc_stats_to_json(&provctx->stats, provctx->backend->name, json, need);
    ok = OSSL_PARAM_set_utf8_string(p, json);
    OPENSSL_free(json);
    return ok;
}

static int zc_prov_get_params(void *vprovctx, OSSL_PARAM params[])
{
    zc_provctx *provctx = vprovctx;
    OSSL_PARAM *p;

    if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME)) != NULL
        && !OSSL_PARAM_set_utf8_ptr(p, "zcrypto"))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION)) != NULL
        && !OSSL_PARAM_set_utf8_ptr(p, ZC_VERSION_STR))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO)) != NULL
        && !OSSL_PARAM_set_utf8_ptr(p, provctx->buildinfo))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS)) != NULL
        && !OSSL_PARAM_set_int(p, 1))
        return 0;
    if ((p = OSSL_PARAM_locate(params, ZC_PARAM_BACKEND)) != NULL
        && !OSSL_PARAM_set_utf8_string(p, provctx->backend->name))
        return 0;
    if ((p = OSSL_PARAM_locate(params, ZC_PARAM_BACKENDS)) != NULL
        && !OSSL_PARAM_set_utf8_string(p, zc_backend_available_list()))
        return 0;
    if ((p = OSSL_PARAM_locate(params, ZC_PARAM_STATS)) != NULL
        && !zc_prov_get_stats_param(provctx, p))
        return 0;
    return 1;
}

static const OSSL_ALGORITHM *zc_prov_query(void *vprovctx, int operation_id,
                                           int *no_cache)
{
    *no_cache = 0;
    return operation_id == OSSL_OP_CIPHER ? zc_ciphers_algorithms() : NULL;
}

static const OSSL_ITEM *zc_prov_reason_strings(void *vprovctx)
{
    return zc_err_reason_strings();
}

/* ------------------------------------------------------------ lifecycle */

static void zc_provctx_free(zc_provctx *provctx)
{
    if (provctx == NULL)
        return;
    zc_config_clear(&provctx->config);
    OPENSSL_free(provctx);
}

static void zc_prov_teardown(void *vprovctx)
{
    zc_provctx *provctx = vprovctx;

    if (provctx->config.stats_file != NULL
        && !zc_stats_write_file(&provctx->stats, provctx->backend->name,
                                provctx->config.stats_file))
        ZC_raise(provctx->handle, ZC_R_STATS_WRITE_FAILED, "stats_file '%s'",
                 provctx->config.stats_file);
    /* Engine threads first: they use the backend. */
    provctx->stats.async = NULL;
    zc_async_free(provctx->async);
    provctx->async = NULL;
    /* Thread-stop handlers are dropped uncalled on unload: release frees
     * every thread's backend state. */
    if (provctx->backend->release != NULL)
        provctx->backend->release();
    zc_provctx_free(provctx);
}

static const OSSL_DISPATCH zc_prov_dispatch[] = {
    { OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))zc_prov_teardown },
    { OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (void (*)(void))zc_prov_gettable_params },
    { OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))zc_prov_get_params },
    { OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))zc_prov_query },
    { OSSL_FUNC_PROVIDER_GET_REASON_STRINGS, (void (*)(void))zc_prov_reason_strings },
    { 0, NULL }
};

/*
 * "auto" walks the preference order and skips a backend whose self-test
 * fails (a broken SIMD path is switched off, not used); an explicitly
 * configured backend that fails its self-test is an init error.
 */
static int zc_prov_select_backend(zc_provctx *provctx, char *skipped, size_t skipped_size)
{
    static const zc_backend_id order[] = {
        ZC_BACKEND_AVX512, ZC_BACKEND_AVX2, ZC_BACKEND_AVX, ZC_BACKEND_SSE,
        ZC_BACKEND_NEON, ZC_BACKEND_PORTABLE,
    };

    skipped[0] = '\0';
    if (!provctx->config.backend_auto) {
        const zc_backend *be = zc_backend_get(provctx->config.backend);

        if (!be->activate()) {
            ZC_fatal(provctx->handle, ZC_R_SELF_TEST_FAILED,
                 "config key '%s': backend '%s' failed its self-test",
                     zc_config_key_name(ZC_CONF_BACKEND), be->name);
            return 0;
        }
        provctx->backend = be;
        return 1;
    }
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        const zc_backend *be = zc_backend_get(order[i]);

        if (be == NULL || !be->available())
            continue;
        if (be->activate()) {
            provctx->backend = be;
            return 1;
        }
        if (skipped[0] == '\0')
            OPENSSL_strlcpy(skipped, be->name, skipped_size);
        else {
            OPENSSL_strlcat(skipped, ",", skipped_size);
            OPENSSL_strlcat(skipped, be->name, skipped_size);
        }
    }
    ZC_fatal(provctx->handle, ZC_R_SELF_TEST_FAILED, "every backend failed its self-test");
    return 0;
}

ZC_EXPORT int OSSL_provider_init(const OSSL_CORE_HANDLE *handle,
                                 const OSSL_DISPATCH *in,
                                 const OSSL_DISPATCH **out, void **vprovctx)
{
    OSSL_FUNC_core_get_params_fn *core_get_params = NULL;
    zc_provctx *provctx = NULL;
    char skipped[64];

    zc_err_bind(in);
    if ((provctx = OPENSSL_zalloc(sizeof(*provctx))) == NULL)
        return 0;
    provctx->handle = handle;
    provctx->instance_id = __atomic_fetch_add(&zc_next_instance_id, 1, __ATOMIC_RELAXED);
    for (const OSSL_DISPATCH *d = in; d->function_id != 0; d++) {
        if (d->function_id == OSSL_FUNC_CORE_GET_PARAMS)
            core_get_params = OSSL_FUNC_core_get_params(d);
        else if (d->function_id == OSSL_FUNC_CORE_THREAD_START)
            provctx->core_thread_start = OSSL_FUNC_core_thread_start(d);
    }
    if (!zc_config_load(handle, core_get_params, &provctx->config))
        goto err;
    if (!zc_prov_select_backend(provctx, skipped, sizeof(skipped)))
        goto err;
    if ((provctx->async = zc_async_new(&provctx->config.async)) == NULL) {
        ZC_raise(handle, ZC_R_MALLOC_FAILURE, "async scheduler");
        if (provctx->backend->release != NULL)
            provctx->backend->release();
        goto err;
    }
    provctx->stats.async = provctx->async;
    snprintf(provctx->buildinfo, sizeof(provctx->buildinfo),
             "zcrypto %s; backend %s (%s)%s%s; built against %s",
             ZC_VERSION_STR, provctx->backend->name, provctx->backend->description,
             skipped[0] != '\0' ? "; self-test disabled " : "", skipped,
             OPENSSL_VERSION_TEXT);
    *out = zc_prov_dispatch;
    *vprovctx = provctx;
    return 1;
err:
    zc_provctx_free(provctx);
    return 0;
}
