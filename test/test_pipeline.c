/*
 * The pipeline cipher API (OpenSSL 3.5's EVP_CipherPipeline*), every test on
 * every backend this CPU runs: each pipe of a batch against the default
 * provider's one-packet result (random lane counts, sizes, IV and AAD
 * lengths, in place or not), tag failure on one pipe (wiped, named), bad
 * input (an error, nothing written), 64 pipes through the provider's own
 * dispatch (EVP stops at EVP_MAX_PIPES). Built against OpenSSL 3.0 it checks
 * that the API is absent: no pipeline functions in zcrypto's dispatch.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <check.h>
#include <poll.h>
#include <openssl/async.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include "zc_core_util.h"

static const char *zc_algs[] = { "AES-128-GCM", "AES-192-GCM", "AES-256-GCM", "ChaCha20-Poly1305" };
static OSSL_LIB_CTX *zc_ref;
static uint64_t zc_seed;

/* The dispatch table zcrypto gives for alg (NULL if not offered). */
static const OSSL_DISPATCH *zc_dispatch(OSSL_LIB_CTX *lc, const char *alg, void **provctx)
{
    OSSL_PROVIDER *p = OSSL_PROVIDER_load(lc, "zcrypto");
    int no_cache = 0;
    const OSSL_ALGORITHM *a;

    ck_assert_ptr_nonnull(p);
    *provctx = OSSL_PROVIDER_get0_provider_ctx(p);
    a = OSSL_PROVIDER_query_operation(p, OSSL_OP_CIPHER, &no_cache);
    /* load took a reference; the config's activation holds another. */
    OSSL_PROVIDER_unload(p);
    for (; a != NULL && a->algorithm_names != NULL; a++)
        if (strncmp(a->algorithm_names, alg, strlen(alg)) == 0)
            return a->implementation;
    return NULL;
}

static void (*zc_fn(const OSSL_DISPATCH *d, int id))(void)
{
    for (; d->function_id != 0; d++)
        if (d->function_id == id)
            return d->function;
    return NULL;
}

/*
 * The batch path's load-time self-test (zc_kat_batch) passed on every
 * backend: a lane kernel it switched off would leave every pipeline test
 * below passing on the packet-at-a-time path, only slower.
 */
START_TEST(test_pipeline_batch_selftest)
{
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);
    OSSL_PROVIDER *p;
    const char *info = NULL;
    OSSL_PARAM params[] = { OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_BUILDINFO, &info, 0),
                            OSSL_PARAM_END };

    ck_assert_ptr_nonnull(lc);
    ck_assert_ptr_nonnull(p = OSSL_PROVIDER_load(lc, "zcrypto"));
    ck_assert(OSSL_PROVIDER_get_params(p, params) && info != NULL);
    ck_assert_msg(strstr(info, "batch self-test failed") == NULL, "%s: %s", zc_backends[_i],
                  info);
    OSSL_PROVIDER_unload(p);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

#ifndef ZC_HAVE_PIPELINE

START_TEST(test_pipeline_absent)
{
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);
    void *provctx;

    ck_assert_ptr_nonnull(lc);
    fprintf(stderr, "%s: OpenSSL %s has no provider pipeline API (3.5+): checking that zcrypto "
                    "offers none\n", zc_backends[_i], OpenSSL_version(OPENSSL_VERSION_STRING));
    for (int a = 0; a < 4; a++) {
        const OSSL_DISPATCH *d = zc_dispatch(lc, zc_algs[a], &provctx);

        ck_assert_ptr_nonnull(d);
        /* Function ids 15..18 are 3.5's pipeline init/update/final. */
        for (int id = 15; id <= 18; id++)
            ck_assert_msg(zc_fn(d, id) == NULL, "%s exports function %d on OpenSSL 3.0",
                          zc_algs[a], id);
    }
    OSSL_LIB_CTX_free(lc);
}
END_TEST

#else

#define ZC_NP 32   /* EVP_MAX_PIPES */

/* One batch's buffers: pipe i's packet is pt[i], its output out[i]. */
typedef struct zc_batch {
    size_t n, keylen, ivlen, taglen, len[64], aadlen[64], aadsplit[64];
    unsigned char key[32], iv[64][64], aad[64][64], *pt[64], *out[64], *ref[64];
    unsigned char tag[64][16], reftag[64][16];
} zc_batch;

static void zc_batch_fill(zc_batch *b, int a, size_t n, size_t maxlen, uint64_t *rs)
{
    b->n = n;
    b->keylen = a == 0 ? 16 : a == 1 ? 24 : 32;
    b->ivlen = a == 3 || zc_util_rand(rs) % 3 ? 12 : 1 + zc_util_rand(rs) % 64;
    b->taglen = zc_util_rand(rs) % 3 ? 16 : 4 + zc_util_rand(rs) % 13;
    for (size_t j = 0; j < 32; j++)
        b->key[j] = (unsigned char)zc_util_rand(rs);
    /* One batch in four draws every length from one band, so that whole
     * groups take the lanes: AES-GCM's (up to 128 B), the Poly1305 lanes'
     * (avx512: 256-512 B; avx2: 256 B-1.5 KiB). */
    static const size_t band_lo[] = { 1, 256, 256 }, band_hi[] = { 128, 512, 1536 };
    int band = zc_util_rand(rs) % 4 == 0 ? 1 + (int)(zc_util_rand(rs) % 3) : 0;

    for (size_t i = 0; i < n; i++) {
        size_t r = zc_util_rand(rs) % 10;

        b->len[i] = r < 5 ? zc_util_rand(rs) % 257 : r < 9 ? zc_util_rand(rs) % 2049
                                                           : zc_util_rand(rs) % (maxlen + 1);
        if (band != 0 && band_hi[band - 1] <= maxlen)
            b->len[i] = band_lo[band - 1]
                        + zc_util_rand(rs) % (band_hi[band - 1] - band_lo[band - 1] + 1);
        b->aadlen[i] = zc_util_rand(rs) % 4 == 0 ? 0 : zc_util_rand(rs) % 65;
        b->aadsplit[i] = b->aadlen[i] ? zc_util_rand(rs) % (b->aadlen[i] + 1) : 0;
        for (size_t j = 0; j < 64; j++)
            b->iv[i][j] = (unsigned char)zc_util_rand(rs), b->aad[i][j] = (unsigned char)zc_util_rand(rs);
        b->pt[i] = malloc(b->len[i] + 1);
        b->out[i] = malloc(b->len[i] + 1);
        b->ref[i] = malloc(b->len[i] + 1);
        for (size_t j = 0; j < b->len[i]; j++)
            b->pt[i][j] = (unsigned char)zc_util_rand(rs);
    }
}

static void zc_batch_free(zc_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->pt[i]), free(b->out[i]), free(b->ref[i]);
}

static int zc_set_tags(EVP_CIPHER_CTX *x, unsigned char (*tags)[16], size_t n, size_t taglen,
                       int get)
{
    unsigned char *ptr[64];
    void *arr = ptr;
    OSSL_PARAM p[2] = { OSSL_PARAM_END, OSSL_PARAM_END };

    for (size_t i = 0; i < n; i++)
        ptr[i] = tags[i];
    p[0] = OSSL_PARAM_construct_octet_ptr(OSSL_CIPHER_PARAM_PIPELINE_AEAD_TAG, &arr, taglen);
    return get ? EVP_CIPHER_CTX_get_params(x, p) : EVP_CIPHER_CTX_set_params(x, p);
}

/*
 * One batch through the pipeline: init (cipher NULL reuses x, key NULL
 * keeps its key), AAD in two updates, one data update, final; decrypt sets
 * b->tag first. in: b->pt, or b->out itself when in place.
 */
static int zc_pipe_batch(EVP_CIPHER_CTX *x, EVP_CIPHER *c, int enc, zc_batch *b,
                         unsigned char **in, int with_key)
{
    const unsigned char *ivs[64], *ins[64], *aads[64];
    unsigned char *outs[64];
    size_t outl[64], outsize[64], inl[64];
    int ok;

    for (size_t i = 0; i < b->n; i++)
        ivs[i] = b->iv[i];
    ok = enc ? EVP_CipherPipelineEncryptInit(x, c, with_key ? b->key : NULL, b->keylen, b->n,
                                             ivs, b->ivlen)
             : EVP_CipherPipelineDecryptInit(x, c, with_key ? b->key : NULL, b->keylen, b->n,
                                             ivs, b->ivlen);
    if (!ok)
        return 0;
    for (int part = 0; part < 2; part++) {
        for (size_t i = 0; i < b->n; i++) {
            aads[i] = part == 0 ? b->aad[i] : b->aad[i] + b->aadsplit[i];
            inl[i] = part == 0 ? b->aadsplit[i] : b->aadlen[i] - b->aadsplit[i];
        }
        if (!EVP_CipherPipelineUpdate(x, NULL, outl, NULL, aads, inl))
            return 0;
    }
    if (!enc && !zc_set_tags(x, b->tag, b->n, b->taglen, 0))
        return 0;
    for (size_t i = 0; i < b->n; i++) {
        outs[i] = b->out[i], ins[i] = in[i], inl[i] = b->len[i], outsize[i] = b->len[i];
    }
    if (!EVP_CipherPipelineUpdate(x, outs, outl, outsize, ins, inl))
        return 0;
    for (size_t i = 0; i < b->n; i++)
        if (outl[i] != b->len[i])
            return 0;
    if (!EVP_CipherPipelineFinal(x, outs, outl, outsize))
        return 0;
    return enc ? zc_set_tags(x, b->tag, b->n, 16, 1) : 1;
}

/* The text of the last error's data (zcrypto's detail), "" if none. */
static const char *zc_last_error_data(void)
{
    const char *data = NULL;
    int flags = 0;

    if (ERR_peek_last_error_all(NULL, NULL, NULL, &data, &flags) == 0 || data == NULL)
        return "";
    return data;
}

/* The differential batches on lc (zcrypto on backend): see the test below. */
static void zc_pipe_diff_lc(OSSL_LIB_CTX *lc, const char *backend, int batches, size_t maxlen)
{
    uint64_t rs = zc_seed ^ (uint64_t)backend[0] << 56 ^ (uint64_t)backend[1] << 48;
    EVP_CIPHER *zc[4], *df[4];
    static zc_batch b;

    ck_assert_ptr_nonnull(lc);
    for (int a = 0; a < 4; a++) {
        zc[a] = zc_util_fetch(lc, zc_algs[a], "zcrypto");
        df[a] = zc_util_fetch(zc_ref, zc_algs[a], "default");
        ck_assert(zc[a] != NULL && df[a] != NULL);
        ck_assert(EVP_CIPHER_can_pipeline(zc[a], 1) && EVP_CIPHER_can_pipeline(zc[a], 0));
        ck_assert(!EVP_CIPHER_can_pipeline(df[a], 1));
    }
    for (int k = 0; k < batches; k++) {
        int a = (int)(zc_util_rand(&rs) % 4), inplace = zc_util_rand(&rs) % 2;
        size_t n = zc_util_rand(&rs) % 4 == 0 ? ZC_NP : 1 + zc_util_rand(&rs) % ZC_NP;
        EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
        unsigned char *in[64];

        zc_batch_fill(&b, a, n, maxlen, &rs);
        /* Reference: each packet alone through the default provider. */
        for (size_t i = 0; i < n; i++) {
            zc_aead_io io = { .key = b.key, .iv = b.iv[i], .ivlen = b.ivlen, .aad = b.aad[i],
                              .aadlen = b.aadlen[i], .in = b.pt[i], .inlen = b.len[i],
                              .out = b.ref[i] };

            ck_assert(zc_util_aead(df[a], 1, &io));
            memcpy(b.reftag[i], io.tag_out, 16);
            if (inplace)
                memcpy(b.out[i], b.pt[i], b.len[i]);
            in[i] = inplace ? b.out[i] : b.pt[i];
        }
        /* A throwaway batch first (sometimes): the ctx is reused, key kept. */
        int reuse = zc_util_rand(&rs) % 3 == 0;
        if (reuse) {
            static zc_batch t;
            uint64_t ts = rs;

            zc_batch_fill(&t, a, 1 + zc_util_rand(&ts) % 4, 100, &ts);
            memcpy(t.key, b.key, 32);
            ck_assert(zc_pipe_batch(x, zc[a], 1, &t, t.pt, 1));
            zc_batch_free(&t);
        }
        ck_assert_msg(zc_pipe_batch(x, reuse ? NULL : zc[a], 1, &b, in, !reuse),
                      "seed %llu batch %d: %s %zu pipes encrypt failed",
                      (unsigned long long)zc_seed, k, zc_algs[a], n);
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(memcmp(b.out[i], b.ref[i], b.len[i]) == 0
                              && memcmp(b.tag[i], b.reftag[i], 16) == 0,
                          "seed %llu batch %d: %s pipe %zu of %zu (len %zu, aad %zu, ivlen %zu) "
                          "differs from the default's one-packet result",
                          (unsigned long long)zc_seed, k, zc_algs[a], i, n, b.len[i],
                          b.aadlen[i], b.ivlen);

        /* Decrypt the batch (same ctx, other direction, key kept). */
        for (size_t i = 0; i < n; i++) {
            memcpy(b.ref[i], b.out[i], b.len[i]);   /* ref: the ciphertext now */
            in[i] = inplace ? b.out[i] : b.ref[i];
        }
        ck_assert_msg(zc_pipe_batch(x, NULL, 0, &b, in, 0), "seed %llu batch %d: decrypt failed",
                      (unsigned long long)zc_seed, k);
        for (size_t i = 0; i < n; i++)
            ck_assert(memcmp(b.out[i], b.pt[i], b.len[i]) == 0);

        /* One pipe tampered (a ciphertext bit, or its tag): final fails,
         * that pipe is wiped and named, the others hold their plaintext. */
        size_t bad = zc_util_rand(&rs) % n;
        for (size_t i = 0; i < n; i++) {
            memcpy(b.out[i], b.ref[i], b.len[i]);
            in[i] = inplace ? b.out[i] : b.ref[i];
        }
        if (b.len[bad] && zc_util_rand(&rs) % 2)
            in[bad][zc_util_rand(&rs) % b.len[bad]] ^= 0x10;
        else
            b.tag[bad][zc_util_rand(&rs) % b.taglen] ^= 0x01;
        ERR_clear_error();
        ck_assert(!zc_pipe_batch(x, NULL, 0, &b, in, 0));
        ck_assert(zc_util_last_error_is_zcrypto());
        char want[64];
        snprintf(want, sizeof(want), "pipe %zu of %zu failed", bad, n);
        ck_assert_msg(strstr(zc_last_error_data(), want) != NULL, "error '%s' does not name %s",
                      zc_last_error_data(), want);
        ERR_clear_error();
        for (size_t i = 0; i < n; i++) {
            if (i == bad) {
                for (size_t j = 0; j < b.len[i]; j++)
                    ck_assert_msg(b.out[i][j] == 0, "failed pipe %zu not wiped", i);
            } else {
                ck_assert_msg(memcmp(b.out[i], b.pt[i], b.len[i]) == 0,
                              "pipe %zu lost its plaintext when pipe %zu failed", i, bad);
            }
        }
        EVP_CIPHER_CTX_free(x);
        zc_batch_free(&b);
    }
    for (int a = 0; a < 4; a++) {
        ck_assert_uint_gt(zc_util_stat(lc, zc_algs[a], "ops"), 0);
        EVP_CIPHER_free(zc[a]);
        EVP_CIPHER_free(df[a]);
    }
}

static void zc_pipe_diff_run(const char *backend, int batches, size_t maxlen)
{
    OSSL_LIB_CTX *lc = zc_util_libctx(backend, NULL);

    zc_pipe_diff_lc(lc, backend, batches, maxlen);
    OSSL_LIB_CTX_free(lc);
}

/*
 * The same batches inside an ASYNC job, offloading from 1 KiB: a burst of
 * that many bytes goes to the engine as one request (zc_async_msg_batch)
 * and the job pauses until it is done. Results, tags, and the failed pipe's
 * wipe must be exactly those of the inline path.
 */
typedef struct zc_pipe_job_arg {
    OSSL_LIB_CTX *lc;
    const char *backend;
    int batches;
} zc_pipe_job_arg;

static int zc_pipe_job(void *arg)
{
    const zc_pipe_job_arg *a = *(zc_pipe_job_arg *const *)arg;

    zc_pipe_diff_lc(a->lc, a->backend, a->batches, 20000);
    return 1;
}

START_TEST(test_pipeline_async)
{
    zc_pipe_job_arg a = { zc_util_libctx(zc_backends[_i], "async_min_bytes = 1024\n"),
                          zc_backends[_i], strcmp(zc_backends[_i], "portable") == 0 ? 20 : 60 };
    zc_pipe_job_arg *ap = &a;
    ASYNC_WAIT_CTX *wctx = ASYNC_WAIT_CTX_new();
    ASYNC_JOB *job = NULL;
    int ret = 0, rc, pauses = 0;

    ck_assert(a.lc != NULL && wctx != NULL);
    while ((rc = ASYNC_start_job(&job, wctx, &ret, zc_pipe_job, &ap, sizeof(ap)))
           == ASYNC_PAUSE) {
        OSSL_ASYNC_FD fds[4];
        size_t nfds = 0;
        struct pollfd pfd[4];

        pauses++;
        if (ASYNC_WAIT_CTX_get_all_fds(wctx, NULL, &nfds) && nfds > 0 && nfds <= 4
            && ASYNC_WAIT_CTX_get_all_fds(wctx, fds, &nfds)) {
            for (size_t i = 0; i < nfds; i++)
                pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
            poll(pfd, nfds, 100);
        }
    }
    ck_assert_msg(rc == ASYNC_FINISH && ret == 1, "job ended with %d (ret %d)", rc, ret);
    ck_assert_msg(zc_util_async_stat(a.lc, "offloaded_batches") > 0 && pauses > 0,
                  "%s: no burst was offloaded as one request (%d pauses)", zc_backends[_i],
                  pauses);
    printf("pipeline async (%s): %llu requests offloaded, %llu of them bursts, %d pauses\n",
           zc_backends[_i], (unsigned long long)zc_util_async_stat(a.lc, "offloaded"),
           (unsigned long long)zc_util_async_stat(a.lc, "offloaded_batches"), pauses);
    ASYNC_WAIT_CTX_free(wctx);
    OSSL_LIB_CTX_free(a.lc);
}
END_TEST

START_TEST(test_pipeline_differential)
{
    int portable = strcmp(zc_backends[_i], "portable") == 0;
    /* ZC_TEST_PIPE_BATCHES: fewer under emulation (qemu-aarch64). */
    const char *env = getenv("ZC_TEST_PIPE_BATCHES");
    int batches = env != NULL ? atoi(env) : portable ? 60 : 300;

    zc_pipe_diff_run(zc_backends[_i], batches > 0 ? batches : 1, portable ? 4096 : 20000);
}
END_TEST

/* ------------------------------------------------------------ bad input */

static int zc_untouched(unsigned char (*out)[64], size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < 64; j++)
            if (out[i][j] != v)
                return 0;
    return 1;
}

/* The call failed with a zcrypto error whose detail holds needle. */
#define ZC_REFUSED(call, needle)                                                           \
    do {                                                                                   \
        ERR_clear_error();                                                                 \
        ck_assert_msg(!(call), "%s accepted: %s", zc_algs[a], #call);                      \
        ck_assert_msg(zc_util_last_error_is_zcrypto(), "%s: %s: not a zcrypto error",      \
                      zc_algs[a], #call);                                                  \
        ck_assert_msg(strstr(zc_last_error_data(), (needle)) != NULL,                      \
                      "%s: %s: error '%s' lacks '%s'", zc_algs[a], #call,                  \
                      zc_last_error_data(), (needle));                                     \
        ERR_clear_error();                                                                 \
    } while (0)

START_TEST(test_pipeline_bad_input)
{
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);

    ck_assert_ptr_nonnull(lc);
    for (int a = 0; a < 4; a++) {
        EVP_CIPHER *c = zc_util_fetch(lc, zc_algs[a], "zcrypto");
        EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
        size_t kl = (size_t)EVP_CIPHER_get_key_length(c), inl[4], outsize[4], outl[4];
        unsigned char key[32] = { 1, 2, 3 }, iv[4][12], pt[4][64], out[4][64], tags[4][16];
        const unsigned char *ivs[4], *ins[4];
        unsigned char *outs[4];
        int n;

        ck_assert_ptr_nonnull(c);
        for (int i = 0; i < 4; i++) {
            memset(iv[i], i + 1, 12);
            memset(pt[i], 0x40 + i, 64);
            ivs[i] = iv[i], ins[i] = pt[i], outs[i] = out[i], inl[i] = outsize[i] = 64;
        }
        memset(out, 0xAA, sizeof(out));

        /* Init: pipe count, IVs, key length. EVP itself stops above
         * EVP_MAX_PIPES (32); zcrypto's own limit (64) is checked in
         * test_pipeline_64 through the dispatch table. */
        ZC_REFUSED(EVP_CipherPipelineEncryptInit(x, c, key, kl, 0, ivs, 12), "0 pipes");
        ck_assert(!EVP_CipherPipelineEncryptInit(x, c, key, kl, 33, ivs, 12));
        ERR_clear_error();
        ZC_REFUSED(EVP_CipherPipelineEncryptInit(x, c, key, kl, 4, NULL, 12), "no IV array");
        ivs[2] = NULL;
        ZC_REFUSED(EVP_CipherPipelineEncryptInit(x, c, key, kl, 4, ivs, 12), "pipe 2 has no IV");
        ivs[2] = iv[2];
        ZC_REFUSED(EVP_CipherPipelineEncryptInit(x, c, key, kl, 4, ivs, a == 3 ? 8 : 0),
                   "IV length");
        if (a != 3) {
            /* Longer GCM IVs work outside pipelines; a pipeline keeps the
             * default provider's 128-byte limit (zcrypto(7)). */
            static unsigned char long_iv[4][129];
            const unsigned char *long_ivs[4] = { long_iv[0], long_iv[1], long_iv[2], long_iv[3] };

            ZC_REFUSED(EVP_CipherPipelineEncryptInit(x, c, key, kl, 4, long_ivs, 129),
                       "IV length 129 (allowed 1..128)");
        }
        ZC_REFUSED(EVP_CipherPipelineEncryptInit(x, c, key, kl - 1, 4, ivs, 12), "key");
        /* A failed init leaves no message: update refuses. */
        ZC_REFUSED(EVP_CipherPipelineUpdate(x, outs, outl, outsize, ins, inl), "pipeline init");
        ck_assert(zc_untouched(out, 4, 0xAA));

        /* Update: every check before the first byte is written. The init
         * passes no cipher: OpenSSL 3.5's EVP resets a ctx that already has
         * one after storing numpipes, so that count would be lost (0). */
        ck_assert(EVP_CipherPipelineEncryptInit(x, NULL, key, kl, 4, ivs, 12));
        outsize[1] = 10;
        ZC_REFUSED(EVP_CipherPipelineUpdate(x, outs, outl, outsize, ins, inl),
                   "pipe 1 needs 64 bytes, has 10");
        outsize[1] = 64;
        outs[3] = NULL;
        ZC_REFUSED(EVP_CipherPipelineUpdate(x, outs, outl, outsize, ins, inl),
                   "pipe 3: NULL output");
        outs[3] = out[3];
        ins[0] = NULL;
        ZC_REFUSED(EVP_CipherPipelineUpdate(x, outs, outl, outsize, ins, inl),
                   "pipe 0: NULL input");
        ZC_REFUSED(EVP_CipherPipelineUpdate(x, NULL, outl, NULL, ins, inl), "pipe 0: NULL AAD");
        ins[0] = pt[0];
        ZC_REFUSED(EVP_CipherPipelineUpdate(x, outs, outl, NULL, ins, inl), "outsize");
        ZC_REFUSED(EVP_CipherPipelineUpdate(x, outs, outl, outsize, NULL, inl), "input array");
        ck_assert(zc_untouched(out, 4, 0xAA));
        ZC_REFUSED(zc_set_tags(x, tags, 4, 16, 0), "only when decrypting");
        ZC_REFUSED(zc_set_tags(x, tags, 4, 16, 1), "after a successful encrypt final");

        /* The refused calls left the message intact: it still works. */
        ck_assert(EVP_CipherPipelineUpdate(x, outs, outl, outsize, ins, inl));
        ZC_REFUSED(EVP_CipherPipelineUpdate(x, outs, outl, outsize, ins, inl),
                   "one data update");
        ZC_REFUSED(EVP_CipherPipelineUpdate(x, NULL, outl, NULL, ins, inl), "AAD after");
        ck_assert(EVP_CipherPipelineFinal(x, outs, outl, outsize));
        ZC_REFUSED(zc_set_tags(x, tags, 4, 0, 1), "tag length 0");
        ZC_REFUSED(zc_set_tags(x, tags, 4, 17, 1), "tag length 17");
        ck_assert(zc_set_tags(x, tags, 4, 16, 1));
        ZC_REFUSED(EVP_CipherPipelineUpdate(x, outs, outl, outsize, ins, inl), "after final");
        ZC_REFUSED(EVP_CipherPipelineFinal(x, outs, outl, outsize), "after final");

        /* The one-message API refuses a pipelined ctx until an init with an
         * IV, then works. */
        ZC_REFUSED(EVP_EncryptUpdate(x, out[0], &n, pt[0], 64), "");
        ck_assert(EVP_EncryptInit_ex(x, NULL, NULL, NULL, iv[0]));
        ck_assert(EVP_EncryptUpdate(x, out[0], &n, pt[0], 64) && n == 64);
        ck_assert(EVP_EncryptFinal_ex(x, out[0], &n));

        /* Decrypt: tag lengths; a final with no tags wipes what update
         * wrote (nothing unauthenticated survives). */
        ck_assert(EVP_CipherPipelineDecryptInit(x, NULL, NULL, kl, 4, ivs, 12));
        ZC_REFUSED(zc_set_tags(x, tags, 4, 0, 0), "tag length 0");
        ZC_REFUSED(zc_set_tags(x, tags, 4, 17, 0), "tag length 17");
        ck_assert(EVP_CipherPipelineUpdate(x, outs, outl, outsize, ins, inl));
        ZC_REFUSED(EVP_CipherPipelineFinal(x, outs, outl, outsize), "before the pipeline tags");
        ck_assert(zc_untouched(out, 4, 0));
        ZC_REFUSED(zc_set_tags(x, tags, 4, 16, 0), "after final");

        /* No key ever: update refuses. */
        EVP_CIPHER_CTX_free(x);
        x = EVP_CIPHER_CTX_new();
        ck_assert(EVP_CipherPipelineEncryptInit(x, c, NULL, 0, 4, ivs, 12));
        ZC_REFUSED(EVP_CipherPipelineUpdate(x, outs, outl, outsize, ins, inl), "before a key");
        EVP_CIPHER_CTX_free(x);
        EVP_CIPHER_free(c);
    }
    OSSL_LIB_CTX_free(lc);
}
END_TEST

/* ---------------------------------------- 64 pipes: zcrypto's own limit */

typedef int zc_pinit_fn(void *, const unsigned char *, size_t, size_t, const unsigned char **,
                        size_t, const OSSL_PARAM *);
typedef int zc_pupdate_fn(void *, size_t, unsigned char **, size_t *, const size_t *,
                          const unsigned char **, const size_t *);
typedef int zc_pfinal_fn(void *, size_t, unsigned char **, size_t *, const size_t *);

START_TEST(test_pipeline_64)
{
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);
    uint64_t rs = zc_seed + 64;
    static zc_batch b;

    ck_assert_ptr_nonnull(lc);
    for (int a = 0; a < 4; a++) {
        void *provctx;
        const OSSL_DISPATCH *d = zc_dispatch(lc, zc_algs[a], &provctx);
        EVP_CIPHER *df = zc_util_fetch(zc_ref, zc_algs[a], "default");
        void *(*newctx)(void *) = (void *(*)(void *))zc_fn(d, OSSL_FUNC_CIPHER_NEWCTX);
        void (*freectx)(void *) = (void (*)(void *))zc_fn(d, OSSL_FUNC_CIPHER_FREECTX);
        int (*getp)(void *, OSSL_PARAM *) =
            (int (*)(void *, OSSL_PARAM *))zc_fn(d, OSSL_FUNC_CIPHER_GET_CTX_PARAMS);
        zc_pinit_fn *einit = (zc_pinit_fn *)zc_fn(d, OSSL_FUNC_CIPHER_PIPELINE_ENCRYPT_INIT);
        zc_pupdate_fn *update = (zc_pupdate_fn *)zc_fn(d, OSSL_FUNC_CIPHER_PIPELINE_UPDATE);
        zc_pfinal_fn *final = (zc_pfinal_fn *)zc_fn(d, OSSL_FUNC_CIPHER_PIPELINE_FINAL);
        const unsigned char *ivs[65], *ins[64], *aads[64];
        unsigned char *outs[64], *tp[64];
        size_t outl[64], outsize[64], inl[64], aadl[64];
        void *arr = tp, *ctx;

        ck_assert(d != NULL && df != NULL && einit != NULL && update != NULL && final != NULL);
        zc_batch_fill(&b, a, 64, 1500, &rs);
        b.ivlen = 12;
        for (size_t i = 0; i < 64; i++) {
            zc_aead_io io = { .key = b.key, .iv = b.iv[i], .ivlen = 12, .aad = b.aad[i],
                              .aadlen = b.aadlen[i], .in = b.pt[i], .inlen = b.len[i],
                              .out = b.ref[i] };

            ck_assert(zc_util_aead(df, 1, &io));
            memcpy(b.reftag[i], io.tag_out, 16);
            ivs[i] = b.iv[i], ins[i] = b.pt[i], aads[i] = b.aad[i], outs[i] = b.out[i];
            inl[i] = outsize[i] = b.len[i], aadl[i] = b.aadlen[i], tp[i] = b.tag[i];
        }
        ivs[64] = b.iv[0];
        ck_assert_ptr_nonnull(ctx = newctx(provctx));
        ERR_clear_error();
        ck_assert(!einit(ctx, b.key, b.keylen, 65, ivs, 12, NULL));
        ck_assert(strstr(zc_last_error_data(), "65 pipes (allowed 1..64)") != NULL);
        ERR_clear_error();
        OSSL_PARAM p[2] = { OSSL_PARAM_construct_octet_ptr(OSSL_CIPHER_PARAM_PIPELINE_AEAD_TAG,
                                                           &arr, 16), OSSL_PARAM_END };
        ck_assert(einit(ctx, b.key, b.keylen, 64, ivs, 12, NULL));
        ck_assert(update(ctx, 64, NULL, outl, NULL, aads, aadl));
        ck_assert(update(ctx, 64, outs, outl, outsize, ins, inl));
        ck_assert(final(ctx, 64, outs, outl, outsize));
        ck_assert(getp(ctx, p));
        for (size_t i = 0; i < 64; i++)
            ck_assert_msg(memcmp(b.out[i], b.ref[i], b.len[i]) == 0
                              && memcmp(b.tag[i], b.reftag[i], 16) == 0,
                          "%s: pipe %zu of 64 differs", zc_algs[a], i);
        freectx(ctx);
        zc_batch_free(&b);
        EVP_CIPHER_free(df);
    }
    OSSL_LIB_CTX_free(lc);
}
END_TEST

/* ---------------------------------------- a pipelined ctx copied midway */

START_TEST(test_pipeline_copy)
{
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);
    uint64_t rs = zc_seed + 7;
    static zc_batch b;

    ck_assert_ptr_nonnull(lc);
    for (int a = 0; a < 4; a++) {
        EVP_CIPHER *c = zc_util_fetch(lc, zc_algs[a], "zcrypto");
        EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new(), *y = EVP_CIPHER_CTX_new();
        const unsigned char *ivs[8], *aads[8], *ins[8];
        unsigned char *outs[8], want[8][16];
        size_t outl[8], outsize[8], inl[8], aadl[8];

        zc_batch_fill(&b, a, 8, 600, &rs);
        ck_assert(zc_pipe_batch(x, c, 1, &b, b.pt, 1));
        memcpy(want, b.tag, sizeof(want));
        for (size_t i = 0; i < 8; i++) {
            memcpy(b.ref[i], b.out[i], b.len[i]);
            ivs[i] = b.iv[i], aads[i] = b.aad[i], ins[i] = b.pt[i], outs[i] = b.out[i];
            aadl[i] = b.aadlen[i], inl[i] = outsize[i] = b.len[i];
        }
        /* The copy carries the IVs and the AAD buffered so far. */
        ck_assert(EVP_CipherPipelineEncryptInit(x, NULL, NULL, b.keylen, 8, ivs, b.ivlen));
        ck_assert(EVP_CipherPipelineUpdate(x, NULL, outl, NULL, aads, aadl));
        ck_assert(EVP_CIPHER_CTX_copy(y, x));
        EVP_CIPHER_CTX_free(x);
        memset(b.tag, 0, sizeof(b.tag));
        ck_assert(EVP_CipherPipelineUpdate(y, outs, outl, outsize, ins, inl));
        ck_assert(EVP_CipherPipelineFinal(y, outs, outl, outsize));
        ck_assert(zc_set_tags(y, b.tag, 8, 16, 1));
        for (size_t i = 0; i < 8; i++)
            ck_assert(memcmp(b.out[i], b.ref[i], b.len[i]) == 0 && memcmp(b.tag[i], want[i], 16) == 0);
        EVP_CIPHER_CTX_free(y);
        EVP_CIPHER_free(c);
        zc_batch_free(&b);
    }
    OSSL_LIB_CTX_free(lc);
}
END_TEST

#endif

int main(void)
{
    Suite *s = suite_create("zcrypto pipeline");
    TCase *tc = tcase_create("all backends");
    const char *seed = getenv("ZC_TEST_SEED");
    int rc;

    zc_util_init();
    zc_ref = zc_util_default_libctx();
    zc_seed = seed != NULL ? strtoull(seed, NULL, 0) : (uint64_t)time(NULL);
    fprintf(stderr, "pipeline seed: %llu (replay with ZC_TEST_SEED)\n", (unsigned long long)zc_seed);
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_pipeline_batch_selftest, 0, (int)zc_nbackends);
#ifdef ZC_HAVE_PIPELINE
    tcase_add_loop_test(tc, test_pipeline_differential, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_pipeline_async, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_pipeline_bad_input, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_pipeline_64, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_pipeline_copy, 0, (int)zc_nbackends);
#else
    tcase_add_loop_test(tc, test_pipeline_absent, 0, (int)zc_nbackends);
#endif
    suite_add_tcase(s, tc);
    rc = zc_util_run_suite(s);
    OSSL_LIB_CTX_free(zc_ref);
    return rc;
}
