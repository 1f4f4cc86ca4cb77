/*
 * The SP 800-90B health tests (provider/zc_health.c, compiled in) at their
 * cutoffs, and the RDSEED seed source through EVP_RAND: generate, state,
 * a CTR-DRBG child seeded by it (4 threads with prediction resistance, so
 * every generate takes the parent's lock and a fresh seed), stats that
 * match, and injected faults leaving it in the error state with no output.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "zc_core_util.h"
#include "zc_health.h"

static zc_health_result zc_feed_byte(zc_health *h, unsigned char x, size_t n)
{
    zc_health_result r = ZC_HEALTH_OK;

    for (size_t i = 0; i < n; i++)
        r = zc_health_feed(h, &x, 1);
    return r;
}

START_TEST(test_rct_cutoff)
{
    zc_health h;
    unsigned char ab[2] = { 1, 2 };

    zc_health_init(&h);
    ck_assert_int_eq(zc_feed_byte(&h, 7, ZC_HEALTH_RCT_CUTOFF - 1), ZC_HEALTH_OK);
    ck_assert_int_eq(zc_health_feed(&h, ab, 2), ZC_HEALTH_OK);       /* the run is broken */
    ck_assert_int_eq(zc_feed_byte(&h, 2, ZC_HEALTH_RCT_CUTOFF - 2), ZC_HEALTH_OK);
    ck_assert_int_eq(zc_feed_byte(&h, 2, 1), ZC_HEALTH_RCT_FAILED);  /* 6th in a row */
    /* Sticky until re-initialised. */
    ck_assert_int_eq(zc_health_feed(&h, ab, 2), ZC_HEALTH_RCT_FAILED);
    zc_health_init(&h);
    ck_assert_int_eq(zc_health_feed(&h, ab, 2), ZC_HEALTH_OK);
}
END_TEST

/* A window of 512 samples: first sample x, then k more x spread out. */
static zc_health_result zc_apt_window(zc_health *h, unsigned char x, unsigned k)
{
    unsigned char w[ZC_HEALTH_APT_WINDOW];

    for (unsigned i = 0; i < ZC_HEALTH_APT_WINDOW; i++)
        w[i] = (unsigned char)(x + 1 + i % 200);   /* never x, runs of 1 */
    w[0] = x;
    for (unsigned j = 1; j <= k; j++)
        w[j * 20] = x;
    return zc_health_feed(h, w, sizeof(w));
}

START_TEST(test_apt_cutoff)
{
    zc_health h;

    zc_health_init(&h);
    /* 18 occurrences in a window pass, in window after window. */
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(zc_apt_window(&h, 0x40, ZC_HEALTH_APT_CUTOFF - 2), ZC_HEALTH_OK);
    /* The 19th fails. */
    ck_assert_int_eq(zc_apt_window(&h, 0x40, ZC_HEALTH_APT_CUTOFF - 1), ZC_HEALTH_APT_FAILED);
    zc_health_init(&h);
    ck_assert_int_eq(zc_apt_window(&h, 0x10, ZC_HEALTH_APT_CUTOFF - 2), ZC_HEALTH_OK);
}
END_TEST

/* A good source must not trip them: 8 MiB from OpenSSL's DRBG. */
START_TEST(test_no_false_alarm)
{
    zc_health h;
    unsigned char *buf = malloc(1 << 20);

    ck_assert_ptr_nonnull(buf);
    zc_health_init(&h);
    for (int i = 0; i < 8; i++) {
        ck_assert(RAND_bytes(buf, 1 << 20) == 1);
        ck_assert_int_eq(zc_health_feed(&h, buf, 1 << 20), ZC_HEALTH_OK);
    }
    free(buf);
}
END_TEST

/* ------------------------------------------------------------ through EVP_RAND */

/* Asked of the compiler's CPUID reading, not zcrypto's (and not
 * /proc/cpuinfo, which qemu-user takes from the host). */
static int zc_has_rdseed(void)
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("rdseed");
#else
    return 0;
#endif
}

/* EVP adds its own "generate error" after ours: look through the queue. */
static int zc_queue_has_zcrypto(void)
{
    unsigned long e;
    int found = 0;

    while ((e = ERR_get_error()) != 0) {
        const char *r = ERR_reason_error_string(e);

        found |= r != NULL && strstr(r, "zcrypto") != NULL;
    }
    return found;
}

static EVP_RAND_CTX *zc_seed_ctx(OSSL_LIB_CTX *lc)
{
    EVP_RAND *r = EVP_RAND_fetch(lc, "RDSEED", "provider=zcrypto");
    EVP_RAND_CTX *c = r != NULL ? EVP_RAND_CTX_new(r, NULL) : NULL;

    EVP_RAND_free(r);
    return c;
}

static EVP_RAND_CTX *zc_drbg_over(OSSL_LIB_CTX *lc, EVP_RAND_CTX *parent)
{
    EVP_RAND *r = EVP_RAND_fetch(lc, "CTR-DRBG", "provider=default");
    EVP_RAND_CTX *c = EVP_RAND_CTX_new(r, parent);
    OSSL_PARAM p[2] = { OSSL_PARAM_construct_utf8_string(OSSL_DRBG_PARAM_CIPHER, "AES-256-CTR", 0),
                        OSSL_PARAM_END };

    EVP_RAND_free(r);
    ck_assert_ptr_nonnull(c);
    ck_assert(EVP_RAND_instantiate(c, 256, 0, NULL, 0, p));
    return c;
}

typedef struct { EVP_RAND_CTX *drbg; int ok; } zc_thread_arg;

static void *zc_drbg_thread(void *v)
{
    zc_thread_arg *a = v;
    unsigned char out[64];

    a->ok = 1;
    for (int i = 0; i < 200; i++)
        a->ok &= EVP_RAND_generate(a->drbg, out, sizeof(out), 256, 1, NULL, 0);
    return NULL;
}

START_TEST(test_seed_source)
{
    OSSL_LIB_CTX *lc = zc_util_libctx(NULL, NULL);
    EVP_RAND_CTX *seed;
    unsigned char a[4096], b[4096];
    pthread_t th[4];
    zc_thread_arg args[4];

    ck_assert_ptr_nonnull(lc);
    seed = zc_seed_ctx(lc);
    if (!zc_has_rdseed()) {
        ck_assert_msg(seed == NULL, "RDSEED offered on a CPU without it");
        OSSL_LIB_CTX_free(lc);
        return;
    }
    ck_assert_ptr_nonnull(seed);
    ck_assert_int_eq(EVP_RAND_get_state(seed), EVP_RAND_STATE_UNINITIALISED);
    ck_assert(!EVP_RAND_generate(seed, a, 16, 0, 0, NULL, 0));   /* not instantiated */
    ERR_clear_error();
    ck_assert(EVP_RAND_instantiate(seed, 256, 0, NULL, 0, NULL));
    ck_assert_int_eq(EVP_RAND_get_state(seed), EVP_RAND_STATE_READY);
    ck_assert_uint_eq(EVP_RAND_get_strength(seed), 256);
    for (int i = 0; i < 16; i++) {
        ck_assert(EVP_RAND_generate(seed, a, sizeof(a), 256, 0, NULL, 0));
        ck_assert(EVP_RAND_generate(seed, b, sizeof(b), 256, 0, NULL, 0));
        ck_assert(memcmp(a, b, sizeof(a)) != 0);
    }
    ck_assert_uint_eq(zc_util_seed_stat(lc, "bytes"), 32 * sizeof(a));
    ck_assert_uint_eq(zc_util_seed_stat(lc, "requests"), 32);

    /* DRBG children seeded from it, concurrently, a fresh seed per call. */
    for (int t = 0; t < 4; t++) {
        args[t].drbg = zc_drbg_over(lc, seed);
        ck_assert(pthread_create(&th[t], NULL, zc_drbg_thread, &args[t]) == 0);
    }
    for (int t = 0; t < 4; t++) {
        ck_assert(pthread_join(th[t], NULL) == 0);
        ck_assert(args[t].ok);
        EVP_RAND_CTX_free(args[t].drbg);
    }
    /* Instantiation plus 800 prediction-resistant generates, each seeded. */
    ck_assert_uint_ge(zc_util_seed_stat(lc, "requests"), 32 + 4 + 800);
    ck_assert_uint_eq(zc_util_seed_stat(lc, "rct_failures") + zc_util_seed_stat(lc, "apt_failures"), 0);
    EVP_RAND_CTX_free(seed);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

START_TEST(test_seed_faults)
{
    static const char *const faults[] = { "rct", "apt", "exhausted" };
    static const char *const counters[] = { "rct_failures", "apt_failures", "exhausted" };
    OSSL_LIB_CTX *lc = zc_util_libctx(NULL, NULL);
    unsigned char out[256];
    EVP_RAND_CTX *seed;

    ck_assert_ptr_nonnull(lc);
    if (!zc_has_rdseed()) {
        ck_assert_ptr_null(zc_seed_ctx(lc));
        OSSL_LIB_CTX_free(lc);
        return;
    }
    setenv("ZC_TEST_RDSEED_FAULT", faults[_i], 1);
    seed = zc_seed_ctx(lc);
    unsetenv("ZC_TEST_RDSEED_FAULT");
    ck_assert_ptr_nonnull(seed);
    /* The start-up test sees the real source: instantiation succeeds. */
    ck_assert(EVP_RAND_instantiate(seed, 256, 0, NULL, 0, NULL));
    memset(out, 0x77, sizeof(out));
    ck_assert(!EVP_RAND_generate(seed, out, sizeof(out), 256, 0, NULL, 0));
    ck_assert_msg(zc_queue_has_zcrypto(), "fault %s: no zcrypto error", faults[_i]);
    for (size_t i = 0; i < sizeof(out); i++)
        ck_assert_msg(out[i] == 0, "fault %s: output not wiped", faults[_i]);
    if (_i < 2) {
        /* A failed health test is an error state: nothing until re-instantiated. */
        ck_assert_int_eq(EVP_RAND_get_state(seed), EVP_RAND_STATE_ERROR);
        ck_assert(!EVP_RAND_generate(seed, out, sizeof(out), 256, 0, NULL, 0));
        ERR_clear_error();
    }
    ck_assert_uint_eq(zc_util_seed_stat(lc, counters[_i]), 1);
    ck_assert_uint_eq(zc_util_seed_stat(lc, "bytes"), 0);
    EVP_RAND_CTX_free(seed);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("zcrypto seed source");
    TCase *tc = tcase_create("health tests and RDSEED");
    int rc;

    zc_util_init();
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_rct_cutoff);
    tcase_add_test(tc, test_apt_cutoff);
    tcase_add_test(tc, test_no_false_alarm);
    tcase_add_test(tc, test_seed_source);
    tcase_add_loop_test(tc, test_seed_faults, 0, 3);
    suite_add_tcase(s, tc);
    rc = zc_util_run_suite(s);
    return rc;
}
