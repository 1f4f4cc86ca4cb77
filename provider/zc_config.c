#include "config.h"

#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include "zc_config.h"
#include "zc_err.h"

static const char *const zc_config_names[ZC_CONF_COUNT] = {
    [ZC_CONF_BACKEND] = "backend",
    [ZC_CONF_STATS_FILE] = "stats_file",
    [ZC_CONF_ASYNC] = "async",
    [ZC_CONF_ASYNC_MIN_BYTES] = "async_min_bytes",
    [ZC_CONF_BATCH_MAX] = "batch_max",
    [ZC_CONF_BATCH_TIMEOUT_US] = "batch_timeout_us",
    [ZC_CONF_OP_TIMEOUT_US] = "op_timeout_us",
    [ZC_CONF_OFFLOAD_THREADS] = "offload_threads",
};

/* Bounds for the numeric keys: generous, but each rules out nonsense. */
static const struct {
    zc_config_key key;
    unsigned long long min, max;
} zc_config_ranges[] = {
    { ZC_CONF_ASYNC_MIN_BYTES, 0, 1ULL << 30 },
    { ZC_CONF_BATCH_MAX, 1, 256 },
    { ZC_CONF_BATCH_TIMEOUT_US, 0, 1000000 },
    { ZC_CONF_OP_TIMEOUT_US, 100, 60000000 },
    { ZC_CONF_OFFLOAD_THREADS, 1, 64 },
};

const char *zc_config_key_name(zc_config_key key)
{
    return (unsigned)key < ZC_CONF_COUNT ? zc_config_names[key] : "?";
}

static int zc_config_parse_backend(const OSSL_CORE_HANDLE *handle,
                                   const char *value, zc_config *cfg)
{
    const zc_backend *be;
    zc_backend_id id;

    if (value == NULL || strcmp(value, "auto") == 0) {
        cfg->backend_auto = 1;
        return 1;
    }
    if (!zc_backend_id_from_name(value, &id)) {
        ZC_fatal(handle, ZC_R_INVALID_CONFIG,
                 "config key '%s': unknown value '%s' (expected auto, %s)",
                 zc_config_names[ZC_CONF_BACKEND], value,
                 "avx512, avx2, avx, sse, neon or portable");
        return 0;
    }
    be = zc_backend_get(id);
    if (be == NULL || !be->available()) {
        ZC_fatal(handle, ZC_R_BACKEND_UNAVAILABLE,
                 "config key '%s': backend '%s' is %s (this machine can run: %s)",
                 zc_config_names[ZC_CONF_BACKEND], value,
                 be == NULL ? "not compiled into this build"
                            : "not supported by this CPU",
                 zc_backend_available_list());
        return 0;
    }
    cfg->backend_auto = 0;
    cfg->backend = id;
    return 1;
}

static int zc_config_parse_stats_file(const OSSL_CORE_HANDLE *handle,
                                      const char *value, zc_config *cfg)
{
    if (value == NULL)
        return 1;
    if (value[0] == '\0') {
        ZC_fatal(handle, ZC_R_INVALID_CONFIG,
                 "config key '%s': empty path (omit the key to disable)",
                 zc_config_names[ZC_CONF_STATS_FILE]);
        return 0;
    }
    if ((cfg->stats_file = OPENSSL_strdup(value)) == NULL) {
        ZC_raise(handle, ZC_R_MALLOC_FAILURE, "config key '%s'",
                 zc_config_names[ZC_CONF_STATS_FILE]);
        return 0;
    }
    return 1;
}

/* Strict unsigned decimal: no sign, no spaces, no suffix, within range. */
static int zc_config_parse_uint(const OSSL_CORE_HANDLE *handle, zc_config_key key,
                                const char *value, unsigned long long *out)
{
    unsigned long long v = 0, min = 0, max = ~0ULL;

    for (size_t i = 0; i < sizeof(zc_config_ranges) / sizeof(zc_config_ranges[0]); i++) {
        if (zc_config_ranges[i].key == key) {
            min = zc_config_ranges[i].min;
            max = zc_config_ranges[i].max;
        }
    }
    if (value[0] == '\0')
        goto bad;
    for (const char *p = value; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || v > (max - (unsigned)(*p - '0')) / 10)
            goto bad;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v < min)
        goto bad;
    *out = v;
    return 1;
bad:
    ZC_fatal(handle, ZC_R_INVALID_CONFIG,
             "config key '%s': invalid value '%s' (expected an integer in %llu..%llu)",
             zc_config_names[key], value, min, max);
    return 0;
}

static int zc_config_parse_bool(const OSSL_CORE_HANDLE *handle, zc_config_key key,
                                const char *value, int *out)
{
    static const char *const yes[] = { "1", "yes", "on", "true" };
    static const char *const no[] = { "0", "no", "off", "false" };

    for (size_t i = 0; i < 4; i++) {
        if (strcmp(value, yes[i]) == 0) {
            *out = 1;
            return 1;
        }
        if (strcmp(value, no[i]) == 0) {
            *out = 0;
            return 1;
        }
    }
    ZC_fatal(handle, ZC_R_INVALID_CONFIG,
             "config key '%s': invalid value '%s' (expected yes/no, on/off, 1/0)",
             zc_config_names[key], value);
    return 0;
}

static int zc_config_parse_async(const OSSL_CORE_HANDLE *handle, char *const *values,
                                 zc_async_config *as)
{
    unsigned long long v;

    zc_async_config_defaults(as);
    if (values[ZC_CONF_ASYNC] != NULL
        && !zc_config_parse_bool(handle, ZC_CONF_ASYNC, values[ZC_CONF_ASYNC], &as->enabled))
        return 0;
#define ZC_CONF_UINT(key, field)                                                \
    if (values[key] != NULL) {                                                  \
        if (!zc_config_parse_uint(handle, key, values[key], &v))                \
            return 0;                                                           \
        as->field = v;                                                          \
    }
    ZC_CONF_UINT(ZC_CONF_ASYNC_MIN_BYTES, min_bytes)
    ZC_CONF_UINT(ZC_CONF_BATCH_MAX, batch_max)
    ZC_CONF_UINT(ZC_CONF_BATCH_TIMEOUT_US, batch_timeout_us)
    ZC_CONF_UINT(ZC_CONF_OP_TIMEOUT_US, op_timeout_us)
    ZC_CONF_UINT(ZC_CONF_OFFLOAD_THREADS, offload_threads)
#undef ZC_CONF_UINT
    return 1;
}

int zc_config_load(const OSSL_CORE_HANDLE *handle,
                   OSSL_FUNC_core_get_params_fn *get_params, zc_config *cfg)
{
    char *values[ZC_CONF_COUNT] = { NULL };
    OSSL_PARAM params[ZC_CONF_COUNT + 1];

    memset(cfg, 0, sizeof(*cfg));
    cfg->backend_auto = 1;
    for (int k = 0; k < ZC_CONF_COUNT; k++)
        params[k] = OSSL_PARAM_construct_utf8_ptr(zc_config_names[k], &values[k], 0);
    params[ZC_CONF_COUNT] = OSSL_PARAM_construct_end();
    /* Keys absent from the section are simply left NULL by the core. */
    if (get_params != NULL && !get_params(handle, params)) {
        ZC_fatal(handle, ZC_R_INVALID_CONFIG, "cannot read the provider's config section");
        return 0;
    }
    if (!zc_config_parse_backend(handle, values[ZC_CONF_BACKEND], cfg)
        || !zc_config_parse_stats_file(handle, values[ZC_CONF_STATS_FILE], cfg)
        || !zc_config_parse_async(handle, values, &cfg->async)) {
        zc_config_clear(cfg);
        return 0;
    }
    return 1;
}

void zc_config_clear(zc_config *cfg)
{
    OPENSSL_free(cfg->stats_file);
    cfg->stats_file = NULL;
}
