/* Small helpers for test_core: providers per backend, AEAD runs, stats. */
#ifndef ZC_CORE_UTIL_H
#define ZC_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <check.h>
#include <openssl/evp.h>

#define ZC_MAX_BACKENDS 8
extern const char *zc_backends[ZC_MAX_BACKENDS];
extern size_t zc_nbackends;

/* Discovers the backends this CPU runs (zcrypto's own list, portable last). */
void zc_util_init(void);
/* A library context with default + zcrypto (backend may be NULL: auto). */
OSSL_LIB_CTX *zc_util_libctx(const char *backend, const char *extra);
OSSL_LIB_CTX *zc_util_default_libctx(void);
/* A string provider param of zcrypto (malloc'd; NULL if absent). */
char *zc_util_param(OSSL_LIB_CTX *lc, const char *name);
/* 1 if word is one of the space-separated words of list. */
int zc_util_word_in(const char *list, const char *word);
EVP_CIPHER *zc_util_fetch(OSSL_LIB_CTX *lc, const char *alg, const char *provider);
uint64_t zc_util_stat(OSSL_LIB_CTX *lc, const char *alg, const char *field);
/* A counter from the "async" object of zcrypto's stats (offloaded, ...). */
uint64_t zc_util_async_stat(OSSL_LIB_CTX *lc, const char *field);
/* A counter from the "seed" object (the RDSEED seed source). */
uint64_t zc_util_seed_stat(OSSL_LIB_CTX *lc, const char *field);
unsigned char *zc_util_unhex(const char *hex, size_t *len);

typedef struct zc_aead_io {
    const unsigned char *key, *iv, *aad, *in, *tag_in;
    size_t ivlen, aadlen, inlen, taglen;
    unsigned char *out, tag_out[16];
    size_t outlen;
} zc_aead_io;

/* One message through EVP: 1 ok, 0 failed (any step). */
int zc_util_aead(EVP_CIPHER *c, int enc, zc_aead_io *io);
/* 1 if the last error on the queue comes from zcrypto (reason text). */
int zc_util_last_error_is_zcrypto(void);

uint64_t zc_util_rand(uint64_t *s);
/* Runs every case of s; the process exit status (0: all passed). */
int zc_util_run_suite(Suite *s);

#endif
