/*
 * The bench's library context (zcrypto from a generated config, next to the
 * default provider), the environment line every report starts with, and
 * zcrypto's own counters, which prove it did the work we timed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include "zc_bench_env.h"

#define ZB_STATS_MAX 65536

OSSL_LIB_CTX *zb_env_open(const char *module_dir, const char *backend,
                          char *module_path, size_t module_path_size)
{
    char dir[4096], conf[] = "/tmp/zc_bench_XXXXXX";
    OSSL_LIB_CTX *libctx = NULL;
    FILE *f = NULL;
    const char *extra;
    int fd = -1, ok = 0;

    if (realpath(module_dir, dir) == NULL) {
        fprintf(stderr, "zc_bench: module dir '%s' not found (build first, or "
                "--module-dir / ZC_MODULE_DIR)\n", module_dir);
        return NULL;
    }
    snprintf(module_path, module_path_size, "%s/zcrypto.so", dir);
    if (access(module_path, R_OK) != 0) {
        fprintf(stderr, "zc_bench: %s not found\n", module_path);
        return NULL;
    }
    /* A config, not OSSL_PROVIDER_load: only a config section carries the
     * provider's own keys (backend) to it. */
    if ((fd = mkstemp(conf)) < 0 || (f = fdopen(fd, "w")) == NULL)
        goto err;
    fd = -1;
    fprintf(f, "openssl_conf = zb_init_sect\n"
               "[zb_init_sect]\nproviders = zb_providers\n"
               "[zb_providers]\ndefault = zb_default\nzcrypto = zb_zcrypto\n"
               "[zb_default]\nactivate = 1\n"
               "[zb_zcrypto]\nmodule = %s\nbackend = %s\nactivate = 1\n",
            module_path, backend);
    /* More provider keys for an experiment (what a counter or sampling
     * setting costs): ZC_BENCH_CONF="live_stats = no;latency_sample = 0". */
    if ((extra = getenv("ZC_BENCH_CONF")) != NULL) {
        for (const char *p = extra; *p != '\0'; p += strcspn(p, ";"), p += *p == ';')
            fprintf(f, "%.*s\n", (int)strcspn(p, ";"), p);
    }
    if (fclose(f) != 0) {
        f = NULL;
        goto err;
    }
    f = NULL;
    if ((libctx = OSSL_LIB_CTX_new()) == NULL
        || !OSSL_LIB_CTX_load_config(libctx, conf))
        goto err;
    /* A module that fails to load is skipped without a word: insist. */
    if (!OSSL_PROVIDER_available(libctx, "zcrypto")) {
        fprintf(stderr, "zc_bench: zcrypto did not load from %s (backend=%s)\n",
                module_path, backend);
        goto err;
    }
    ok = 1;
err:
    if (!ok) {
        ERR_print_errors_fp(stderr);
        OSSL_LIB_CTX_free(libctx);
        libctx = NULL;
    }
    if (f != NULL)
        fclose(f);
    if (fd >= 0)
        close(fd);
    unlink(conf);
    return libctx;
}

static int zb_prov_string(const OSSL_PROVIDER *prov, const char *key, char *buf,
                          size_t bufsize)
{
    OSSL_PARAM params[2];

    buf[0] = '\0';
    params[0] = OSSL_PARAM_construct_utf8_string(key, buf, bufsize);
    params[1] = OSSL_PARAM_construct_end();
    return OSSL_PROVIDER_get_params(prov, params) && OSSL_PARAM_modified(params);
}

static int zb_find_zcrypto(OSSL_PROVIDER *prov, void *arg)
{
    if (strcmp(OSSL_PROVIDER_get0_name(prov), "zcrypto") != 0)
        return 1;
    *(OSSL_PROVIDER **)arg = prov;
    return 0;
}

OSSL_PROVIDER *zb_env_zcrypto(OSSL_LIB_CTX *libctx)
{
    OSSL_PROVIDER *zc = NULL;

    OSSL_PROVIDER_do_all(libctx, zb_find_zcrypto, &zc);
    return zc;
}

int zb_env_backends(const OSSL_PROVIDER *zc, char *buf, size_t bufsize)
{
    if (!zb_prov_string(zc, "zcrypto-backends", buf, bufsize) || buf[0] == '\0') {
        fprintf(stderr, "zc_bench: zcrypto does not answer \"zcrypto-backends\"\n");
        return 0;
    }
    return 1;
}

int zb_env_best_backend(const OSSL_PROVIDER *zc, char *buf, size_t bufsize)
{
    char list[256];

    if (!zb_env_backends(zc, list, sizeof(list)))
        return 0;
    if (bufsize < 64 || sscanf(list, "%63s", buf) != 1) {
        fprintf(stderr, "zc_bench: cannot read zcrypto-backends '%s'\n", list);
        return 0;
    }
    return 1;
}

static int zb_prov_ptr(const OSSL_PROVIDER *prov, const char *key, char *buf,
                       size_t bufsize)
{
    const char *v = NULL;
    OSSL_PARAM params[2];

    buf[0] = '\0';
    params[0] = OSSL_PARAM_construct_utf8_ptr(key, (char **)&v, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!OSSL_PROVIDER_get_params(prov, params) || v == NULL)
        return 0;
    snprintf(buf, bufsize, "%s", v);
    return 1;
}

/* "model name" and the flags that decide which backend can run. */
static void zb_cpu_describe(char *buf, size_t bufsize)
{
    static const char *const wanted[] = {
        "aes", "pclmulqdq", "avx", "avx2", "avx512f", "avx512vl", "vaes", "vpclmulqdq",
    };
    char line[8192], padded[8200], model[256] = "unknown", flags[256] = "";
    FILE *f = fopen("/proc/cpuinfo", "r");
    int seen_flags = 0;

    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        char *v = strchr(line, ':');

        if (v == NULL)
            continue;
        v += v[1] == ' ' ? 2 : 1;
        v[strcspn(v, "\n")] = '\0';
        if (strncmp(line, "model name", 10) == 0) {
            snprintf(model, sizeof(model), "%s", v);
        } else if (strncmp(line, "flags", 5) == 0 && !seen_flags) {
            seen_flags = 1;
            /* Spaces around every word, so "avx" does not match "avx2". */
            snprintf(padded, sizeof(padded), " %s ", v);
            for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
                char pat[32];
                size_t len = strlen(flags);

                snprintf(pat, sizeof(pat), " %s ", wanted[i]);
                if (strstr(padded, pat) != NULL)
                    snprintf(flags + len, sizeof(flags) - len, "%s%s", len ? " " : "",
                             wanted[i]);
            }
        }
    }
    if (f != NULL)
        fclose(f);
    snprintf(buf, bufsize, "%s, %ld cpus, flags: %s", model, sysconf(_SC_NPROCESSORS_ONLN),
             flags[0] ? flags : "none of aes/avx*");
}

int zb_env_describe(const OSSL_PROVIDER *zc, const OSSL_PROVIDER *def,
                    const char *module_path, zb_env *env)
{
    char version[64], buildinfo[256];

    memset(env, 0, sizeof(*env));
    zb_cpu_describe(env->cpu, sizeof(env->cpu));
    snprintf(env->openssl, sizeof(env->openssl), "%s (headers %s)",
             OpenSSL_version(OPENSSL_VERSION), OPENSSL_VERSION_TEXT);
    if (!zb_prov_string(zc, "zcrypto-backend", env->backend, sizeof(env->backend))) {
        fprintf(stderr, "zc_bench: zcrypto does not answer \"zcrypto-backend\"\n");
        return 0;
    }
    if (!zb_prov_string(zc, "zcrypto-backends", env->backends, sizeof(env->backends)))
        snprintf(env->backends, sizeof(env->backends), "?");
    zb_prov_ptr(zc, OSSL_PROV_PARAM_VERSION, version, sizeof(version));
    zb_prov_ptr(zc, OSSL_PROV_PARAM_BUILDINFO, buildinfo, sizeof(buildinfo));
    /* zcrypto's buildinfo names itself, its version and its backend. */
    if (buildinfo[0] != '\0')
        snprintf(env->zcrypto, sizeof(env->zcrypto), "%s, %s", buildinfo, module_path);
    else
        snprintf(env->zcrypto, sizeof(env->zcrypto), "zcrypto %s, %s",
                 version[0] ? version : "?", module_path);
    zb_prov_ptr(def, OSSL_PROV_PARAM_NAME, env->def, sizeof(env->def));
    zb_prov_ptr(def, OSSL_PROV_PARAM_VERSION, version, sizeof(version));
    strncat(env->def, " ", sizeof(env->def) - strlen(env->def) - 1);
    strncat(env->def, version, sizeof(env->def) - strlen(env->def) - 1);
    return 1;
}

void zb_env_print(FILE *f, const zb_env *env, const char *prefix)
{
    fprintf(f, "%scpu:      %s\n", prefix, env->cpu);
    fprintf(f, "%sopenssl:  %s\n", prefix, env->openssl);
    fprintf(f, "%szcrypto:  %s\n", prefix, env->zcrypto);
    fprintf(f, "%sbackend:  %s (this CPU can run: %s)\n", prefix, env->backend,
            env->backends);
    fprintf(f, "%sdefault:  %s\n", prefix, env->def);
}

int zb_stats_json(const OSSL_PROVIDER *zc, char *buf, size_t bufsize)
{
    return zb_prov_string(zc, "zcrypto-stats", buf, bufsize);
}

int zb_stats_read(const OSSL_PROVIDER *zc, zb_alg_stats *st, size_t nalgs,
                  const char *backend)
{
    char *json = malloc(ZB_STATS_MAX);
    const char *p;
    int ok = 0;

    for (size_t i = 0; i < nalgs; i++)
        st[i].ops = st[i].bytes = st[i].tag_failures = st[i].errors = st[i].foreign_ops = 0;
    if (json == NULL || !zb_prov_string(zc, "zcrypto-stats", json, ZB_STATS_MAX)) {
        fprintf(stderr, "zc_bench: zcrypto does not answer \"zcrypto-stats\"\n");
        goto err;
    }
    for (p = json; (p = strstr(p, "{\"alg\":\"")) != NULL; p++) {
        char alg[64], be[32];
        unsigned long long ops, bytes, tagf, errs;
        const char *end = strchr(p + 8, '"');

        /* The policy's "left" entries ({"alg":...,"why":...}) carry no counters. */
        if (end != NULL && strncmp(end, "\",\"why\":", 8) == 0)
            continue;
        if (sscanf(p, "{\"alg\":\"%63[^\"]\",\"backend\":\"%31[^\"]\",\"ops\":%llu,"
                      "\"bytes\":%llu,\"tag_failures\":%llu,\"errors\":%llu",
                   alg, be, &ops, &bytes, &tagf, &errs) != 6) {
            fprintf(stderr, "zc_bench: cannot read zcrypto-stats: %.200s\n", p);
            goto err;
        }
        for (size_t i = 0; i < nalgs; i++) {
            if (strcmp(st[i].alg, alg) != 0)
                continue;
            st[i].ops += ops;
            st[i].bytes += bytes;
            st[i].tag_failures += tagf;
            st[i].errors += errs;
            if (strcmp(be, backend) != 0)
                st[i].foreign_ops += ops;
        }
    }
    ok = 1;
err:
    free(json);
    return ok;
}
