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
    [ZC_CONF_LIVE_STATS] = "live_stats",
    [ZC_CONF_LIVE_STATS_DIR] = "live_stats_dir",
    [ZC_CONF_LIVE_STATS_MODE] = "live_stats_mode",
    [ZC_CONF_LATENCY_SAMPLE] = "latency_sample",
    [ZC_CONF_AUDIT_LOG] = "audit_log",
    [ZC_CONF_RETRY_MAX] = "retry_max",
    [ZC_CONF_RETRY_BACKOFF_US] = "retry_backoff_us",
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
    { ZC_CONF_LATENCY_SAMPLE, 0, 1u << 30 },
    /* The longest wait is retry_backoff_us * (2^retry_max - 1): 10 ms * 255. */
    { ZC_CONF_RETRY_MAX, 0, 8 },
    { ZC_CONF_RETRY_BACKOFF_US, 0, 10000 },
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

/* A path key: absent leaves *out NULL; present must be non-empty (and,
 * where absolute is set, start with '/': a daemon's cwd is anyone's guess). */
static int zc_config_parse_path(const OSSL_CORE_HANDLE *handle, zc_config_key key,
                                const char *value, int absolute, char **out)
{
    if (value == NULL)
        return 1;
    if (value[0] == '\0' || (absolute && value[0] != '/')) {
        ZC_fatal(handle, ZC_R_INVALID_CONFIG,
                 "config key '%s': %s '%s' (omit the key for the default)",
                 zc_config_names[key], value[0] == '\0' ? "empty path" : "not an absolute path",
                 value);
        return 0;
    }
    if ((*out = OPENSSL_strdup(value)) == NULL) {
        ZC_raise(handle, ZC_R_MALLOC_FAILURE, "config key '%s'", zc_config_names[key]);
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
    ZC_CONF_UINT(ZC_CONF_RETRY_MAX, retry_max)
    ZC_CONF_UINT(ZC_CONF_RETRY_BACKOFF_US, retry_backoff_us)
#undef ZC_CONF_UINT
    return 1;
}

/* live_stats_mode: octal permission bits, at most rw for user, group, other,
 * and the owner must be able to write (the process counts into it). */
static int zc_config_parse_mode(const OSSL_CORE_HANDLE *handle, const char *value,
                                unsigned *out)
{
    unsigned v = 0;
    size_t n = strlen(value);

    if (n < 3 || n > 4)
        goto bad;
    for (const char *p = value; *p != '\0'; p++) {
        if (*p < '0' || *p > '7')
            goto bad;
        v = v * 8 + (unsigned)(*p - '0');
    }
    if ((v & ~0666u) != 0 || (v & 0600u) != 0600u)
        goto bad;
    *out = v;
    return 1;
bad:
    ZC_fatal(handle, ZC_R_INVALID_CONFIG,
             "config key '%s': invalid value '%s' (expected octal permissions such as "
             "0600, 0640 or 0644: read-write for the owner, no execute bits)",
             zc_config_names[ZC_CONF_LIVE_STATS_MODE], value);
    return 0;
}

static int zc_config_parse_live(const OSSL_CORE_HANDLE *handle, char *const *values,
                                zc_config *cfg)
{
    unsigned long long v;

    cfg->live.live = 1;
    cfg->live.mode = 0600;
    cfg->live.sample_every = 128;
    if (values[ZC_CONF_LIVE_STATS] != NULL
        && !zc_config_parse_bool(handle, ZC_CONF_LIVE_STATS, values[ZC_CONF_LIVE_STATS],
                                 &cfg->live.live))
        return 0;
    if (!zc_config_parse_path(handle, ZC_CONF_LIVE_STATS_DIR, values[ZC_CONF_LIVE_STATS_DIR],
                              1, &cfg->live_dir))
        return 0;
    cfg->live.dir = cfg->live_dir;
    if (values[ZC_CONF_LIVE_STATS_MODE] != NULL
        && !zc_config_parse_mode(handle, values[ZC_CONF_LIVE_STATS_MODE], &cfg->live.mode))
        return 0;
    if (values[ZC_CONF_LATENCY_SAMPLE] != NULL) {
        if (!zc_config_parse_uint(handle, ZC_CONF_LATENCY_SAMPLE,
                                  values[ZC_CONF_LATENCY_SAMPLE], &v))
            return 0;
        cfg->live.sample_every = (unsigned)v;
    }
    return 1;
}

/* audit_log = syslog | off | /absolute/path; the file is opened now. */
static int zc_config_parse_audit(const OSSL_CORE_HANDLE *handle, const char *value,
                                 zc_config *cfg)
{
    cfg->audit = ZC_AUDIT_SYSLOG;
    if (value == NULL || strcmp(value, "syslog") == 0)
        return 1;
    if (strcmp(value, "off") == 0) {
        cfg->audit = ZC_AUDIT_OFF;
        return 1;
    }
    if (value[0] != '/') {
        ZC_fatal(handle, ZC_R_INVALID_CONFIG,
                 "config key '%s': invalid value '%s' (expected syslog, off or an "
                 "absolute path)", zc_config_names[ZC_CONF_AUDIT_LOG], value);
        return 0;
    }
    if (!zc_config_parse_path(handle, ZC_CONF_AUDIT_LOG, value, 1, &cfg->audit_path))
        return 0;
    cfg->audit = ZC_AUDIT_FILE;
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
        || !zc_config_parse_path(handle, ZC_CONF_STATS_FILE, values[ZC_CONF_STATS_FILE], 0,
                                 &cfg->stats_file)
        || !zc_config_parse_async(handle, values, &cfg->async)
        || !zc_config_parse_live(handle, values, cfg)
        || !zc_config_parse_audit(handle, values[ZC_CONF_AUDIT_LOG], cfg)) {
        zc_config_clear(cfg);
        return 0;
    }
    return 1;
}

void zc_config_clear(zc_config *cfg)
{
    OPENSSL_free(cfg->stats_file);
    cfg->stats_file = NULL;
    OPENSSL_free(cfg->live_dir);
    cfg->live_dir = NULL;
    cfg->live.dir = NULL;
    OPENSSL_free(cfg->audit_path);
    cfg->audit_path = NULL;
}
