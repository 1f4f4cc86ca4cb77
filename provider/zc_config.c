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
        ZC_raise(handle, ZC_R_INVALID_CONFIG,
                 "config key '%s': unknown value '%s' (expected auto, %s)",
                 zc_config_names[ZC_CONF_BACKEND], value,
                 "avx512, avx2, avx, sse, neon or portable");
        return 0;
    }
    be = zc_backend_get(id);
    if (be == NULL || !be->available()) {
        ZC_raise(handle, ZC_R_BACKEND_UNAVAILABLE,
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
        ZC_raise(handle, ZC_R_INVALID_CONFIG,
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
        ZC_raise(handle, ZC_R_INVALID_CONFIG, "cannot read the provider's config section");
        return 0;
    }
    if (!zc_config_parse_backend(handle, values[ZC_CONF_BACKEND], cfg)
        || !zc_config_parse_stats_file(handle, values[ZC_CONF_STATS_FILE], cfg)) {
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
