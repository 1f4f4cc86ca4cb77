/*
 * Params fuzzer: every settable and gettable parameter of every algorithm
 * (the names both providers list, EVP_CIPHER_{gettable,settable}_ctx_params
 * and gettable_params, plus names neither knows), each sent with a fuzzed
 * type, size and value, or asked for into a fuzzed buffer (NULL: a size
 * query), on contexts in every state (fresh, keyed, with IV, mid-message,
 * finished, both directions). A parameter both providers list must get the
 * same verdict, and a successful get the same size and bytes; zcrypto's own
 * parameters (zcrypto-priority) only must not crash (zcrypto-test-stall,
 * the async engine's test hook, is left out). Cipher-level get_params and
 * the provider's own get_params are fuzzed too. As in fuzz_evp, a setting
 * both refuse ends the input (the default stores some before checking
 * them), and so does a documented refusal (a GCM key length).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include "zc_fuzz.h"

#define ZC_MAX_NAMES 48
#define ZC_BUF 80

typedef struct zc_names {
    const char *name[ZC_MAX_NAMES];
    int both[ZC_MAX_NAMES];         /* listed by both providers */
    unsigned int type[ZC_MAX_NAMES];/* as listed */
    size_t size[ZC_MAX_NAMES];      /* as listed (0: variable) */
    size_t n;
} zc_names;

/* [alg][0: settable ctx, 1: gettable ctx, 2: gettable cipher] */
static zc_names zc_lists[ZC_FUZZ_NALGS][3];

static int zc_listed(const OSSL_PARAM *l, const char *name)
{
    for (; l != NULL && l->key != NULL; l++)
        if (strcmp(l->key, name) == 0)
            return 1;
    return 0;
}

static void zc_names_add(zc_names *n, const OSSL_PARAM *l, const OSSL_PARAM *other)
{
    for (; l != NULL && l->key != NULL && n->n < ZC_MAX_NAMES; l++) {
        size_t i;

        if (strstr(l->key, "stall") != NULL)
            continue;
        for (i = 0; i < n->n && strcmp(n->name[i], l->key) != 0; i++)
            ;
        if (i < n->n)
            continue;
        n->name[n->n] = l->key;
        n->type[n->n] = l->data_type;
        n->size[n->n] = l->data_size;
        n->both[n->n++] = zc_listed(other, l->key);
    }
}

static void zc_lists_build(const zc_fuzz_side *z, const zc_fuzz_side *d)
{
    static const OSSL_PARAM unknown[] = { OSSL_PARAM_int("no-such-param", NULL), OSSL_PARAM_END };

    for (int a = 0; a < ZC_FUZZ_NALGS; a++) {
        const OSSL_PARAM *zl[3] = { EVP_CIPHER_settable_ctx_params(z->cipher[a]),
                                    EVP_CIPHER_gettable_ctx_params(z->cipher[a]),
                                    EVP_CIPHER_gettable_params(z->cipher[a]) };
        const OSSL_PARAM *dl[3] = { EVP_CIPHER_settable_ctx_params(d->cipher[a]),
                                    EVP_CIPHER_gettable_ctx_params(d->cipher[a]),
                                    EVP_CIPHER_gettable_params(d->cipher[a]) };

        for (int k = 0; k < 3; k++) {
            zc_names_add(&zc_lists[a][k], zl[k], dl[k]);
            zc_names_add(&zc_lists[a][k], dl[k], zl[k]);
            zc_names_add(&zc_lists[a][k], unknown, unknown);
        }
    }
}

/* A param of a fuzzed type over buf (size sz; NULL data if type & 0x80). */
static OSSL_PARAM zc_param_make(const char *key, uint8_t type, void *buf, size_t sz)
{
    static const int types[] = { OSSL_PARAM_INTEGER, OSSL_PARAM_UNSIGNED_INTEGER,
                                 OSSL_PARAM_OCTET_STRING, OSSL_PARAM_UTF8_STRING,
                                 OSSL_PARAM_OCTET_PTR, OSSL_PARAM_UTF8_PTR };
    OSSL_PARAM p = OSSL_PARAM_construct_end();

    p.key = key;
    p.data_type = (unsigned int)types[type % 6];
    p.data = (type & 0x80) ? NULL : buf;
    p.data_size = sz;
    p.return_size = OSSL_PARAM_UNMODIFIED;
    return p;
}

/* Brings a fresh context pair to the state the input names. */
static int zc_state(EVP_CIPHER_CTX *x, EVP_CIPHER *c, uint8_t st)
{
    static const unsigned char key[32] = { 7 }, iv[12] = { 9 }, data[40] = { 1 };
    unsigned char out[64];
    int enc = st & 1, n;

    if (!EVP_CipherInit_ex(x, c, NULL, NULL, NULL, enc))
        return 0;
    switch ((st >> 1) % 5) {
    case 0: return 1;
    case 1: return EVP_CipherInit_ex(x, NULL, NULL, key, NULL, enc);
    case 2: return EVP_CipherInit_ex(x, NULL, NULL, key, iv, enc);
    case 3:
        return EVP_CipherInit_ex(x, NULL, NULL, key, iv, enc)
               && EVP_CipherUpdate(x, NULL, &n, data, 5) && EVP_CipherUpdate(x, out, &n, data, 40);
    default:
        return EVP_CipherInit_ex(x, NULL, NULL, key, iv, enc) && EVP_CipherUpdate(x, out, &n, data, 40)
               && (enc ? EVP_CipherFinal_ex(x, out, &n) : 1);
    }
}

/* The provider's own params: no comparison, only robustness. */
static void zc_provider_params(zc_fuzz_side *z, zc_fuzz_in *in)
{
    static const char *const names[] = { "name", "version", "buildinfo", "status",
                                         "zcrypto-backend", "zcrypto-backends", "zcrypto-stats",
                                         "zcrypto-served", "zcrypto-cpu-class" };
    OSSL_PROVIDER *p = OSSL_PROVIDER_load(z->lc, "zcrypto");
    unsigned char buf[ZC_BUF];
    uint8_t t = zc_fuzz_u8(in);
    OSSL_PARAM ps[2] = { zc_param_make(names[zc_fuzz_u8(in) % 9], t, buf,
                                       zc_fuzz_u8(in) % (ZC_BUF + 1)),
                         OSSL_PARAM_END };

    if (p == NULL)
        abort();
    /* A string answered into a buffer must fit it. */
    if (OSSL_PROVIDER_get_params(p, ps) && ps[0].data != NULL
        && (ps[0].data_type == OSSL_PARAM_UTF8_STRING || ps[0].data_type == OSSL_PARAM_OCTET_STRING)
        && ps[0].return_size > ps[0].data_size)
        zc_fuzz_fail("provider param %s: return_size %zu over a %zu-byte buffer", ps[0].key,
                     ps[0].return_size, ps[0].data_size);
    OSSL_PROVIDER_unload(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int built;
    zc_fuzz_in in = { data, size };
    zc_fuzz_side *z = zc_fuzz_pick(&in), *d = zc_fuzz_default();
    int alg = zc_fuzz_u8(&in) % ZC_FUZZ_NALGS;
    uint8_t st = zc_fuzz_u8(&in);
    EVP_CIPHER_CTX *x[2] = { EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_new() };
    EVP_CIPHER *c[2] = { z->cipher[alg], d->cipher[alg] };
    int ok[2], tls_aad_set = 0;

    if (!built) {
        zc_lists_build(z, d);
        built = 1;
    }
    if (x[0] == NULL || x[1] == NULL)
        abort();
    for (int i = 0; i < 2; i++) {
        zc_fuzz_rand_reset(0);
        ok[i] = zc_state(x[i], c[i], st);
    }
    if (ok[0] != ok[1])
        zc_fuzz_fail("%s %s state %d: setup zcrypto %d, default %d", z->name,
                     zc_fuzz_alg_names[alg], st, ok[0], ok[1]);
    for (int step = 0; ok[0] && step < 16 && in.n > 0; step++) {
        uint8_t kind = zc_fuzz_u8(&in) % 4, type = zc_fuzz_u8(&in);

        if (zc_fuzz_trace)
            fprintf(stderr, "step %d kind %d type %d\n", step, kind, type);
        size_t sz = zc_fuzz_u8(&in) % (ZC_BUF + 1);
        /* 128 bytes of slack: asked for tlsivgen into a 0-byte buffer, the
         * default provider writes the whole IV (up to 128 bytes). */
        unsigned char val[ZC_BUF], buf[2][ZC_BUF + 128];
        OSSL_PARAM p[2][2];
        const zc_names *names;
        size_t idx;
        int r[2];
        const char *zreason = "";

        if (kind == 3) {
            zc_provider_params(z, &in);
            continue;
        }
        names = &zc_lists[alg][kind];
        idx = zc_fuzz_u8(&in) % names->n;
        zc_fuzz_bytes(&in, val, sizeof(val));
        if (zc_fuzz_trace)
            fprintf(stderr, "  %s size %zu val %02x%02x\n", names->name[idx], sz, val[0], val[1]);
        /* Wild (type & 0x40): any type and size, only robustness is
         * checked (OpenSSL's own converters answer those). Otherwise the
         * listed type, integers at their listed size, strings at any. */
        int wild = (type & 0x40) != 0;

        if (!wild && names->size[idx] != 0)
            sz = names->size[idx];
        /* No buffer (NULL data): the default provider reads or writes
         * through it for some keys (its tag copy, its integer getters)
         * and crashes; zcrypto alone must cope. */
        int z_only = (type & 0x80) != 0;

        /* An invocation field longer than the IV: the default copies it
         * to iv + ivlen - len, over its own context (then crashes in
         * CRYPTO_gcm128_setiv). Not sent there; zcrypto must refuse it. */
        int long_inv = kind == 0 && alg != ZC_FUZZ_CHACHA
                       && strcmp(names->name[idx], OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV) == 0
                       && sz > (size_t)EVP_CIPHER_CTX_get_iv_length(x[1]);

        z_only |= long_inv;

        for (int i = 0; i < (z_only ? 1 : 2); i++) {
            memcpy(buf[i], val, sizeof(val));
            /* A string of size 0 is NUL-terminated by contract. */
            if (sz < ZC_BUF)
                buf[i][sz] = 0;
            p[i][0] = zc_param_make(names->name[idx], type, buf[i], sz);
            if (!wild)
                p[i][0].data_type = names->type[idx];
            /* A pointer param's data holds a pointer: to the fuzzed bytes,
             * NUL-terminated, so the value is fuzzed and the pointer valid. */
            if (kind == 0 && p[i][0].data != NULL && (p[i][0].data_type == OSSL_PARAM_UTF8_PTR
                                                      || p[i][0].data_type == OSSL_PARAM_OCTET_PTR)) {
                static unsigned char pv[2][ZC_BUF + 1];
                void *ptr = pv[i];

                memcpy(pv[i], val, ZC_BUF);
                pv[i][sz < ZC_BUF ? sz : ZC_BUF] = 0;
                memcpy(buf[i], &ptr, sizeof(ptr));
                p[i][0].data_size = sz < ZC_BUF ? sz : ZC_BUF;
            }
            p[i][1] = OSSL_PARAM_construct_end();
            ERR_clear_error();
            zc_fuzz_rand_reset((uint64_t)step + 1);
            r[i] = kind == 0 ? EVP_CIPHER_CTX_set_params(x[i], p[i])
                 : kind == 1 ? EVP_CIPHER_CTX_get_params(x[i], p[i])
                             : EVP_CIPHER_get_params(c[i], p[i]);
            if (i == 0)
                zreason = zc_fuzz_last_reason();
        }
        if (long_inv && !wild && r[0] > 0)
            zc_fuzz_fail("%s: a %zu-byte invocation field accepted", z->name, sz);
        if (!names->both[idx] || wild || z_only) {
            /* A setting not compared (one provider's own, wild, or one the
             * default did not see): the two states may differ from here. */
            if (kind == 0)
                break;
            continue;
        }
        if ((r[0] > 0) != (r[1] > 0)) {
            /* fuzz_evp's documented refusals: a GCM key length not the
             * algorithm's, a TLS fixed IV or invocation field longer than
             * the IV. */
            if (kind == 0 && alg != ZC_FUZZ_CHACHA && r[0] <= 0
                && ((strcmp(names->name[idx], OSSL_CIPHER_PARAM_KEYLEN) == 0
                     && zc_fuzz_reason_is(zreason, "invalid key length"))
                    || ((strcmp(names->name[idx], OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED) == 0
                         || strcmp(names->name[idx], OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV) == 0)
                        && zc_fuzz_reason_is(zreason, "invalid IV length")
                        && sz > (size_t)EVP_CIPHER_CTX_get_iv_length(x[1]))))
                break;
            /* Documented: zcrypto takes GCM IVs longer than the default's
             * 128 bytes (valid GCM; Wycheproof has 257-byte cases). */
            if (kind == 0 && alg != ZC_FUZZ_CHACHA && r[0] > 0
                && (strcmp(names->name[idx], OSSL_CIPHER_PARAM_IVLEN) == 0
                    || strcmp(names->name[idx], OSSL_CIPHER_PARAM_AEAD_IVLEN) == 0)
                && EVP_CIPHER_CTX_get_iv_length(x[0]) > 128)
                break;
            /* Documented: ChaCha20-Poly1305 needs its key and nonce first. */
            if (alg == ZC_FUZZ_CHACHA && r[0] <= 0
                && (zc_fuzz_reason_is(zreason, "IV not set") || zc_fuzz_reason_is(zreason, "key not set")))
                break;
            /* Documented: no tag handed out before encrypt final. */
            if (kind == 1 && r[0] <= 0 && strcmp(names->name[idx], OSSL_CIPHER_PARAM_AEAD_TAG) == 0
                && zc_fuzz_reason_is(zreason, "tag not available"))
                continue;
            zc_fuzz_fail("%s %s state %d step %d: %s %s type %d size %zu: zcrypto %d, default %d (%s)",
                         z->name, zc_fuzz_alg_names[alg], st, step, kind == 0 ? "set" : "get",
                         names->name[idx], type, sz, r[0], r[1], zreason);
        }
        if (kind == 0 && r[0] <= 0)
            break;
        /* The default keeps TLS AAD in its tag buffer: after one is set
         * its tag is the AAD's bytes, no tag to compare. */
        if (kind == 0 && r[0] > 0 && strcmp(names->name[idx], OSSL_CIPHER_PARAM_AEAD_TLS1_AAD) == 0)
            tls_aad_set = 1;
        if (tls_aad_set && strcmp(names->name[idx], OSSL_CIPHER_PARAM_AEAD_TAG) == 0)
            continue;
        if (kind != 0 && r[0] > 0) {
            char what[96];

            snprintf(what, sizeof(what), "%s %s state %d: get %s type %d size %zu: return_size",
                     z->name, zc_fuzz_alg_names[alg], st, names->name[idx], type, sz);
            /* The default's ChaCha20-Poly1305 copies the tag without
             * setting return_size; compare it where the default sets it. */
            if (p[1][0].return_size != OSSL_PARAM_UNMODIFIED)
                ZC_FUZZ_SAME(what, p[0][0].return_size, p[1][0].return_size);
            if (p[0][0].data != NULL && p[0][0].data_type != OSSL_PARAM_OCTET_PTR
                && p[0][0].data_type != OSSL_PARAM_UTF8_PTR)
                zc_fuzz_same_bytes(what, buf[0], buf[1], sz);
        }
    }
    EVP_CIPHER_CTX_free(x[0]);
    EVP_CIPHER_CTX_free(x[1]);
    ERR_clear_error();
    return 0;
}
