/* Shared helpers for zcrypto's Check suites. */
#ifndef ZC_TEST_H
#define ZC_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <check.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#define ZC_TEST_MAX_BACKENDS 8

/*
 * Every backend this machine can run (as zcrypto reports it, "portable"
 * always included), in a fixed order. Tests loop over these with
 * tcase_add_loop_test(tc, fn, 0, zc_test_backend_count()).
 */
size_t zc_test_backend_count(void);
const char *zc_test_backend_name(size_t i);

/*
 * A fresh library context with the default provider and zcrypto loaded from
 * $ZC_MODULE_DIR through a generated openssl.cnf whose zcrypto section sets
 * `backend = <backend>` (NULL: key omitted, i.e. auto) plus any extra
 * "key = value" lines given in extra_conf (may be NULL). Returns NULL if
 * zcrypto failed to load/activate (e.g. config rejected).
 */
OSSL_LIB_CTX *zc_test_libctx_new(const char *backend, const char *extra_conf);
/* A context with only the default provider: the reference implementation. */
OSSL_LIB_CTX *zc_test_libctx_default(void);
void zc_test_libctx_free(OSSL_LIB_CTX *libctx);

/* Fetches alg with "provider=zcrypto" from libctx; fails the test if absent. */
EVP_CIPHER *zc_test_fetch(OSSL_LIB_CTX *libctx, const char *alg);
/* Fetches alg from the default provider only. */
EVP_CIPHER *zc_test_fetch_default(OSSL_LIB_CTX *libctx, const char *alg);

/* zcrypto's provider params, read from libctx's loaded zcrypto. */
const char *zc_test_active_backend(OSSL_LIB_CTX *libctx); /* static buffer */
/* Ops counted by zcrypto's stats for alg ("AES-256-GCM", ...), any backend. */
uint64_t zc_test_stat_ops(OSSL_LIB_CTX *libctx, const char *alg);
uint64_t zc_test_stat_tag_failures(OSSL_LIB_CTX *libctx, const char *alg);

/* Hex helpers. zc_test_unhex returns malloc'd bytes (free()), sets *len. */
unsigned char *zc_test_unhex(const char *hex, size_t *len);
void zc_test_hex(const unsigned char *buf, size_t len, char *out /* 2*len+1 */);

/* Deterministic PRNG for randomized tests; seed from ZC_TEST_SEED or time. */
uint64_t zc_test_seed(void);
uint64_t zc_test_rand(uint64_t *state);
void zc_test_rand_bytes(uint64_t *state, unsigned char *buf, size_t len);

/* Path of a file under the source tree (test/vectors/...). Static buffer. */
const char *zc_test_srcpath(const char *rel);

/* Runs a suite with CK_NORMAL output; returns process exit status. */
int zc_test_run(Suite *s);

#endif
