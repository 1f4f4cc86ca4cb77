#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include "zc_core_util.h"

const char *zc_backends[ZC_MAX_BACKENDS];
size_t zc_nbackends;

OSSL_LIB_CTX *zc_util_libctx(const char *backend, const char *extra)
{
    const char *dir = getenv("ZC_MODULE_DIR");
    char path[] = "/tmp/zc-core-cnf-XXXXXX";
    int fd = mkstemp(path);
    FILE *f;
    OSSL_LIB_CTX *lc = OSSL_LIB_CTX_new();

    if (fd < 0 || lc == NULL || dir == NULL || (f = fdopen(fd, "w")) == NULL)
        abort();
    fprintf(f, "openssl_conf = init\n[init]\nproviders = prov\n[prov]\ndefault = dflt\n"
               "zcrypto = zc\n[dflt]\nactivate = 1\n[zc]\nmodule = %s/zcrypto.so\nactivate = 1\n",
            dir);
    if (backend != NULL)
        fprintf(f, "backend = %s\n", backend);
    if (extra != NULL)
        fprintf(f, "%s\n", extra);
    fclose(f);
    if (!OSSL_LIB_CTX_load_config(lc, path) || !OSSL_PROVIDER_available(lc, "zcrypto")) {
        unlink(path);
        OSSL_LIB_CTX_free(lc);
        return NULL;
    }
    unlink(path);
    return lc;
}

OSSL_LIB_CTX *zc_util_default_libctx(void)
{
    OSSL_LIB_CTX *lc = OSSL_LIB_CTX_new();

    if (lc == NULL || OSSL_PROVIDER_load(lc, "default") == NULL)
        abort();
    return lc;
}

EVP_CIPHER *zc_util_fetch(OSSL_LIB_CTX *lc, const char *alg, const char *provider)
{
    char q[64];

    snprintf(q, sizeof(q), "provider=%s", provider);
    return EVP_CIPHER_fetch(lc, alg, q);
}

char *zc_util_param(OSSL_LIB_CTX *lc, const char *name)
{
    OSSL_PROVIDER *p = OSSL_PROVIDER_load(lc, "zcrypto");
    OSSL_PARAM params[2] = { OSSL_PARAM_utf8_string(name, NULL, 0), OSSL_PARAM_END };
    char *buf = NULL;

    if (p == NULL)
        return NULL;
    if (OSSL_PROVIDER_get_params(p, params) && (buf = calloc(1, params[0].return_size + 1)) != NULL) {
        params[0].data = buf;
        params[0].data_size = params[0].return_size + 1;
        if (!OSSL_PROVIDER_get_params(p, params)) {
            free(buf);
            buf = NULL;
        }
    }
    OSSL_PROVIDER_unload(p);
    return buf;
}

void zc_util_init(void)
{
    OSSL_LIB_CTX *lc = zc_util_libctx(NULL, NULL);
    char *list, *save = NULL;
    const char *only = getenv("ZC_TEST_BACKENDS");

    if (lc == NULL || (list = zc_util_param(lc, "zcrypto-backends")) == NULL) {
        fprintf(stderr, "cannot load zcrypto from $ZC_MODULE_DIR\n");
        ERR_print_errors_fp(stderr);
        exit(99);
    }
    /* ZC_TEST_BACKENDS narrows the run (valgrind cannot run AVX-512). */
    if (only != NULL) {
        free(list);
        list = strdup(only);
    }
    for (char *t = strtok_r(list, " ", &save); t != NULL && zc_nbackends < ZC_MAX_BACKENDS;
         t = strtok_r(NULL, " ", &save))
        zc_backends[zc_nbackends++] = strdup(t);
    free(list);
    OSSL_LIB_CTX_free(lc);
    fprintf(stderr, "backends under test:");
    for (size_t i = 0; i < zc_nbackends; i++)
        fprintf(stderr, " %s", zc_backends[i]);
    fprintf(stderr, "\n");
}

uint64_t zc_util_stat(OSSL_LIB_CTX *lc, const char *alg, const char *field)
{
    char *s = zc_util_param(lc, "zcrypto-stats");
    json_object *root, *arr;
    uint64_t total = 0;

    if (s == NULL)
        return 0;
    if ((root = json_tokener_parse(s)) != NULL && json_object_object_get_ex(root, "stats", &arr)) {
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
            json_object *e = json_object_array_get_idx(arr, i), *a, *v;

            if (json_object_object_get_ex(e, "alg", &a) && strcmp(json_object_get_string(a), alg) == 0
                && json_object_object_get_ex(e, field, &v))
                total += (uint64_t)json_object_get_int64(v);
        }
    }
    json_object_put(root);
    free(s);
    return total;
}

/* A counter of one object ("async", "seed") of zcrypto's stats JSON. */
static uint64_t zc_util_member_stat(OSSL_LIB_CTX *lc, const char *object, const char *field)
{
    char *s = zc_util_param(lc, "zcrypto-stats");
    json_object *root, *as, *v;
    uint64_t val = 0;

    if (s == NULL)
        return 0;
    if ((root = json_tokener_parse(s)) != NULL && json_object_object_get_ex(root, object, &as)
        && json_object_object_get_ex(as, field, &v))
        val = (uint64_t)json_object_get_int64(v);
    json_object_put(root);
    free(s);
    return val;
}

uint64_t zc_util_async_stat(OSSL_LIB_CTX *lc, const char *field)
{
    return zc_util_member_stat(lc, "async", field);
}

uint64_t zc_util_seed_stat(OSSL_LIB_CTX *lc, const char *field)
{
    return zc_util_member_stat(lc, "seed", field);
}

unsigned char *zc_util_unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2;
    unsigned char *b = malloc(n + 1);

    for (size_t i = 0; i < n; i++) {
        unsigned v;

        sscanf(hex + 2 * i, "%2x", &v);
        b[i] = (unsigned char)v;
    }
    *len = n;
    return b;
}

int zc_util_aead(EVP_CIPHER *c, int enc, zc_aead_io *io)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n, ok = 0;

    io->outlen = 0;
    if (ctx == NULL || !EVP_CipherInit_ex(ctx, c, NULL, NULL, NULL, enc))
        goto end;
    if (io->ivlen != 12
        && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)io->ivlen, NULL) <= 0)
        goto end;
    if (!EVP_CipherInit_ex(ctx, NULL, NULL, io->key, io->iv, enc))
        goto end;
    if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)io->taglen,
                                    (void *)io->tag_in) <= 0)
        goto end;
    if (io->aadlen > 0 && !EVP_CipherUpdate(ctx, NULL, &n, io->aad, (int)io->aadlen))
        goto end;
    if (!EVP_CipherUpdate(ctx, io->out, &n, io->in, (int)io->inlen))
        goto end;
    io->outlen = (size_t)n;
    if (!EVP_CipherFinal_ex(ctx, io->out + io->outlen, &n))
        goto end;
    io->outlen += (size_t)n;
    if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, io->tag_out) <= 0)
        goto end;
    ok = 1;
end:
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

int zc_util_last_error_is_zcrypto(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = ERR_reason_error_string(e);

    return e != 0 && r != NULL && strstr(r, "zcrypto") != NULL;
}

uint64_t zc_util_rand(uint64_t *s)
{
    /* splitmix64: reproducible from the printed seed. */
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

int zc_util_word_in(const char *list, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

int zc_util_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
