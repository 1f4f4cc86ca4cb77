/*
 * zcrypto provider suite: provider params (name, buildinfo, backend, the
 * OIDs, cipher properties equal to the default provider's) on every
 * backend, and config errors: each bad value refused with its key named,
 * a backend this CPU or build lacks refused, stats_file written.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include "zc_core_util.h"

static const char *const zc_algs[] = { "AES-128-GCM", "AES-192-GCM", "AES-256-GCM",
                                       "ChaCha20-Poly1305" };
static OSSL_LIB_CTX *zc_ref;

/*
 * Loads a config and captures what zcrypto wrote on stderr: openssl.cnf
 * activation drops the error queue, so zcrypto also says why there.
 * Returns 1 if the config loaded.
 */
static int zc_config_says(const char *backend, const char *extra, char *text, size_t size)
{
    char path[] = "/tmp/zc-prov-err-XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    OSSL_LIB_CTX *lc;
    FILE *f;
    size_t n;

    ck_assert(fd >= 0 && saved >= 0);
    fflush(stderr);
    ck_assert(dup2(fd, 2) >= 0);
    lc = zc_util_libctx(backend, extra);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    n = fread(text, 1, size - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    OSSL_LIB_CTX_free(lc);
    return lc != NULL;
}

START_TEST(test_provider_params)
{
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);
    OSSL_PROVIDER *p;
    const char *name = NULL, *info = NULL;
    char backend[32] = "";
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_NAME, &name, 0),
        OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_BUILDINFO, &info, 0),
        OSSL_PARAM_utf8_string("zcrypto-backend", backend, sizeof(backend)),
        OSSL_PARAM_END
    };
    static const char *const oids[] = { "2.16.840.1.101.3.4.1.6", "id-aes192-GCM",
                                        "2.16.840.1.101.3.4.1.46", "id-aes256-GCM" };

    ck_assert_ptr_nonnull(lc);
    ck_assert_ptr_nonnull(p = OSSL_PROVIDER_load(lc, "zcrypto"));
    ck_assert(OSSL_PROVIDER_get_params(p, params));
    ck_assert_str_eq(name, "zcrypto");
    ck_assert_str_eq(backend, zc_backends[_i]);
    ck_assert_ptr_nonnull(strstr(info, zc_backends[_i]));
    OSSL_PROVIDER_unload(p);
    for (size_t i = 0; i < 4; i++) {
        EVP_CIPHER *c = zc_util_fetch(lc, oids[i], "zcrypto");

        ck_assert_msg(c != NULL, "%s not offered", oids[i]);
        EVP_CIPHER_free(c);
    }
    for (int a = 0; a < 4; a++) {
        EVP_CIPHER *z = zc_util_fetch(lc, zc_algs[a], "zcrypto"), *d = zc_util_fetch(zc_ref, zc_algs[a], "default");

        ck_assert_int_eq(EVP_CIPHER_get_flags(z), EVP_CIPHER_get_flags(d));
        ck_assert_int_eq(EVP_CIPHER_get_mode(z), EVP_CIPHER_get_mode(d));
        ck_assert_int_eq(EVP_CIPHER_get_block_size(z), EVP_CIPHER_get_block_size(d));
        ck_assert_int_eq(EVP_CIPHER_get_iv_length(z), EVP_CIPHER_get_iv_length(d));
        ck_assert_int_eq(EVP_CIPHER_get_key_length(z), EVP_CIPHER_get_key_length(d));
        EVP_CIPHER_free(z);
        EVP_CIPHER_free(d);
    }
    OSSL_LIB_CTX_free(lc);
}
END_TEST

START_TEST(test_config_errors)
{
    static const struct { const char *backend, *extra, *needle; } bad[] = {
        { "bogus", NULL, "backend" },
        { NULL, "stats_file =", "stats_file" }, { NULL, "async_min_bytes = 12k", "async_min_bytes" },
        { NULL, "batch_max = 0", "batch_max" }, { NULL, "async = maybe", "async" },
    };
    char path[64], text[4096];

    /* Each refused, and what zcrypto says names the key. */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!zc_config_says(bad[i].backend, bad[i].extra, text, sizeof(text)),
                      "config %zu accepted", i);
        ck_assert_msg(strstr(text, bad[i].needle) != NULL, "config %zu: '%s' not named in: %s", i,
                      bad[i].needle, text);
    }
    /* A backend the CPU (or this build) lacks is an init error, never a
     * silent fallback; one it has loads. */
    {
        static const char *const names[] = { "avx512", "avx2", "avx", "sse", "neon", "portable" };
        OSSL_LIB_CTX *all = zc_util_libctx(NULL, NULL);
        char *have = zc_util_param(all, "zcrypto-backends");

        ck_assert_ptr_nonnull(have);
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            OSSL_LIB_CTX *one = zc_util_libctx(names[i], NULL);
            int listed = zc_util_word_in(have, names[i]);

            ck_assert_msg((one != NULL) == listed, "backend = %s: %s (available: %s)", names[i],
                          one != NULL ? "loaded" : "refused", have);
            OSSL_LIB_CTX_free(one);
        }
        free(have);
        OSSL_LIB_CTX_free(all);
    }
    /* stats_file: written at teardown, %p is the pid. The backend is named:
     * under auto, AES-128-GCM may be left to the default provider. */
    snprintf(path, sizeof(path), "/tmp/zc-core-stats-%d.json", (int)getpid());
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[0], "stats_file = /tmp/zc-core-stats-%p.json");
    ck_assert_ptr_nonnull(lc);
    zc_aead_io io = { .key = (unsigned char[32]){ 0 }, .iv = (unsigned char[12]){ 0 }, .ivlen = 12,
                      .in = (unsigned char[8]){ 0 }, .inlen = 8, .out = (unsigned char[32]){ 0 } };
    EVP_CIPHER *c = zc_util_fetch(lc, "AES-128-GCM", "zcrypto");
    ck_assert(zc_util_aead(c, 1, &io));
    EVP_CIPHER_free(c);
    OSSL_LIB_CTX_free(lc);
    json_object *j = json_object_from_file(path);
    ck_assert_msg(j != NULL, "stats file %s not written", path);
    ck_assert_ptr_nonnull(strstr(json_object_to_json_string(j), "\"AES-128-GCM\""));
    json_object_put(j);
    unlink(path);
}
END_TEST

START_TEST(test_config_error_text)
{
    char text[4096];

    ck_assert(!zc_config_says("bogus", NULL, text, sizeof(text)));
    ck_assert_msg(strstr(text, "'backend'") != NULL && strstr(text, "'bogus'") != NULL,
                  "message does not name key and value: %s", text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("zcrypto provider");
    TCase *tc = tcase_create("params and config");
    int rc;

    zc_util_init();
    zc_ref = zc_util_default_libctx();
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_provider_params, 0, (int)zc_nbackends);
    tcase_add_test(tc, test_config_errors);
    tcase_add_test(tc, test_config_error_text);
    suite_add_tcase(s, tc);
    rc = zc_util_run_suite(s);
    OSSL_LIB_CTX_free(zc_ref);
    return rc;
}
