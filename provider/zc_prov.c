/*
 * Provider entry: OSSL_provider_init (the module's only exported symbol),
 * provider params, the algorithm query and teardown.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>
#include "zc_provider.h"
#include "zc_err.h"
#include "zc_ciphers.h"
#include "zc_cpu.h"
#include "zc_kat.h"
#include "zc_serve.h"
#include "zc_seed.h"

#define ZC_PARAM_BACKEND  "zcrypto-backend"
#define ZC_PARAM_BACKENDS "zcrypto-backends"
#define ZC_PARAM_STATS    "zcrypto-stats"
#define ZC_PARAM_SERVED   "zcrypto-served"
#define ZC_PARAM_CPU      "zcrypto-cpu-class"

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
    OSSL_PARAM_utf8_string(ZC_PARAM_SERVED, NULL, 0),
    OSSL_PARAM_utf8_string(ZC_PARAM_CPU, NULL, 0),
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
    if ((p = OSSL_PARAM_locate(params, ZC_PARAM_SERVED)) != NULL
        && !OSSL_PARAM_set_utf8_string(p, provctx->served_list))
        return 0;
    if ((p = OSSL_PARAM_locate(params, ZC_PARAM_CPU)) != NULL
        && !OSSL_PARAM_set_utf8_string(p, zc_cpu_class_name(zc_cpu_class_get())))
        return 0;
    return 1;
}

static const OSSL_ALGORITHM *zc_prov_query(void *vprovctx, int operation_id,
                                           int *no_cache)
{
    zc_provctx *provctx = vprovctx;

    *no_cache = 0;
    if (operation_id == OSSL_OP_RAND)
        return zc_seed_algorithms();
    return operation_id == OSSL_OP_CIPHER ? provctx->algs : NULL;
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
    zc_stats_close(&provctx->stats);
    /* Engine threads first: they use the backend. */
    provctx->stats.async_read = NULL;
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
        zc_audit_event("self-test", "backend %s failed its known-answer test: switched off",
                       be->name);
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

/* snprintf at buf + *pos that never runs past size (the text is cut). */
static void zc_prov_append(char *buf, size_t size, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void zc_prov_append(char *buf, size_t size, size_t *pos, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*pos >= size)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf + *pos, size - *pos, fmt, ap);
    va_end(ap);
    if (n > 0)
        *pos = (size_t)n < size - *pos ? *pos + (size_t)n : size;
}

/*
 * Under auto, offer only what the measurement table says is faster than
 * the default provider here; an explicitly chosen backend serves all.
 */
static void zc_prov_decide_serving(zc_provctx *provctx)
{
    zc_cpu_class cls = zc_cpu_class_get();
    size_t lp = 0, jp = 0, nleft = 0;
    int first = 1;

    for (int alg = 0; alg < ZC_ALG_COUNT; alg++) {
        zc_serve_verdict v = { 1, NULL };

        if (provctx->config.backend_auto)
            v = zc_serve_decide(provctx->backend->id, (zc_alg)alg, cls, OpenSSL_version_num());
        provctx->served[alg] = v.serve;
        provctx->left_why[alg] = v.serve ? NULL : v.why;
        if (v.serve)
            zc_prov_append(provctx->served_list, sizeof(provctx->served_list), &lp, "%s%s",
                           lp ? " " : "", zc_alg_name((zc_alg)alg));
    }
    zc_ciphers_select(provctx->served, provctx->algs);
    zc_prov_append(provctx->policy_json, sizeof(provctx->policy_json), &jp,
                   "\"cpu_class\":\"%s\",\"served\":[", zc_cpu_class_name(cls));
    for (int alg = 0; alg < ZC_ALG_COUNT; alg++) {
        if (!provctx->served[alg])
            continue;
        zc_prov_append(provctx->policy_json, sizeof(provctx->policy_json), &jp, "%s\"%s\"",
                       first ? "" : ",", zc_alg_name((zc_alg)alg));
        first = 0;
    }
    zc_prov_append(provctx->policy_json, sizeof(provctx->policy_json), &jp,
                   "],\"left_to_default\":[");
    for (int alg = 0; alg < ZC_ALG_COUNT; alg++) {
        if (provctx->served[alg])
            continue;
        /* The reasons are our own constants: no quotes or backslashes. */
        zc_prov_append(provctx->policy_json, sizeof(provctx->policy_json), &jp,
                       "%s{\"alg\":\"%s\",\"why\":\"%s\"}", nleft++ ? "," : "",
                       zc_alg_name((zc_alg)alg), provctx->left_why[alg]);
    }
    zc_prov_append(provctx->policy_json, sizeof(provctx->policy_json), &jp, "]");
    provctx->stats.policy_json = provctx->policy_json;
}

static void zc_prov_async_read(const void *arg, zc_live_async *out)
{
    zc_async_get_stats(arg, out);
}

/* What the live segment says about this instance's health. */
static void zc_prov_live_init(zc_provctx *provctx, const char *skipped)
{
    zc_live_health *h = &provctx->stats.health;

    zc_stats_init(&provctx->stats, provctx->instance_id, &provctx->config.live);
    OPENSSL_strlcpy(h->backend, provctx->backend->name, sizeof(h->backend));
    OPENSSL_strlcpy(h->cpu_class, zc_cpu_class_name(zc_cpu_class_get()), sizeof(h->cpu_class));
    OPENSSL_strlcpy(h->selftest_failed, skipped, sizeof(h->selftest_failed));
    for (int alg = 0; alg < ZC_ALG_COUNT; alg++) {
        h->served[alg] = provctx->served[alg] != 0;
        if (!provctx->served[alg])
            OPENSSL_strlcpy(h->left_why[alg], provctx->left_why[alg], sizeof(h->left_why[alg]));
    }
    provctx->stats.async_read = zc_prov_async_read;
    provctx->stats.async_arg = provctx->async;
}

static void zc_prov_buildinfo(zc_provctx *provctx, const char *skipped)
{
    char detail[128] = "";
    size_t pos = 0, nleft = 0;

    if (provctx->backend->detail != NULL)
        provctx->backend->detail(detail, sizeof(detail));
    zc_prov_append(provctx->buildinfo, sizeof(provctx->buildinfo), &pos,
                   "zcrypto %s; backend %s (%s%s%s)%s%s; CPU class %s; serves: %s",
                   ZC_VERSION_STR, provctx->backend->name, provctx->backend->description,
                   detail[0] != '\0' ? "; " : "", detail,
                   skipped[0] != '\0' ? "; self-test disabled " : "", skipped,
                   zc_cpu_class_name(zc_cpu_class_get()),
                   provctx->served_list[0] != '\0' ? provctx->served_list : "nothing");
    for (int alg = 0; alg < ZC_ALG_COUNT; alg++) {
        if (provctx->served[alg])
            continue;
        zc_prov_append(provctx->buildinfo, sizeof(provctx->buildinfo), &pos, "%s%s (%s)",
                       nleft++ ? ", " : "; left to the default provider: ",
                       zc_alg_name((zc_alg)alg), provctx->left_why[alg]);
    }
    for (int alg = 0, nbad = 0; alg < ZC_ALG_COUNT; alg++)
        if (provctx->backend->aead[alg] != NULL && provctx->backend->aead[alg]->msg_batch != NULL
            && !provctx->batch_ok[alg])
            zc_prov_append(provctx->buildinfo, sizeof(provctx->buildinfo), &pos, "%s%s",
                           nbad++ ? ", " : "; batch self-test failed (one packet at a time): ",
                           zc_alg_name((zc_alg)alg));
    zc_prov_append(provctx->buildinfo, sizeof(provctx->buildinfo), &pos, "; seed source: %s",
                   provctx->stats.seed_offered ? "RDSEED" : "none (no RDSEED on this CPU)");
    zc_prov_append(provctx->buildinfo, sizeof(provctx->buildinfo), &pos,
                   "; built against %s, running on %s", OPENSSL_VERSION_TEXT,
                   OpenSSL_version(OPENSSL_VERSION));
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
    if (!zc_audit_configure(provctx->config.audit, provctx->config.audit_path)) {
        ZC_fatal(handle, ZC_R_INVALID_CONFIG, "config key '%s': cannot open '%s' for appending",
                 zc_config_key_name(ZC_CONF_AUDIT_LOG), provctx->config.audit_path);
        goto err;
    }
    if (!zc_prov_select_backend(provctx, skipped, sizeof(skipped)))
        goto err;
    /* A multi-lane kernel that fails its self-test switches the pipeline's
     * batch path off; the pipeline then runs packet after packet. Said in
     * the build info and the audit log: otherwise only speed would show it. */
    for (int a = 0; a < ZC_ALG_COUNT; a++) {
        const zc_aead_ops *ops = provctx->backend->aead[a];

        provctx->batch_ok[a] = ops != NULL && ops->msg_batch != NULL
                               && zc_kat_batch(ops, (zc_alg)a);
        if (ops != NULL && ops->msg_batch != NULL && !provctx->batch_ok[a])
            zc_audit_event("self-test", "backend %s: %s batch path failed its known-answer "
                           "test: pipelines run one packet at a time",
                           provctx->backend->name, zc_alg_name((zc_alg)a));
    }
    if ((provctx->async = zc_async_new(&provctx->config.async)) == NULL) {
        ZC_raise(handle, ZC_R_MALLOC_FAILURE, "async scheduler");
        if (provctx->backend->release != NULL)
            provctx->backend->release();
        goto err;
    }
    provctx->stats.seed_offered = zc_seed_algorithms() != NULL;
    zc_prov_decide_serving(provctx);
    zc_prov_buildinfo(provctx, skipped);
    zc_prov_live_init(provctx, skipped);
    *out = zc_prov_dispatch;
    *vprovctx = provctx;
    return 1;
err:
    zc_provctx_free(provctx);
    return 0;
}
