/*
 * The async test suites' shared driver: ASYNC_JOBs started and resumed the
 * way async applications do (test_async.c, test_async_faults.c), and the
 * cipher work they run, checked against the default provider.
 */
#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/async.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include "zc_async_util.h"

/* ------------------------------------------------------------ job driver */

static int zc_job_entry(void *a)
{
    zc_job *j = *(zc_job **)a;

    return j->fn(j);
}

static int zc_job_callback(void *arg)
{
    atomic_store(&((zc_job *)arg)->woken, 1);
    return 1;
}

static long zc_ms_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Resumes one job; 0 on an ASYNC error. */
int zc_job_step(zc_job *j)
{
    zc_job *jp = j;
    int r = ASYNC_start_job(&j->job, j->wctx, &j->ret, zc_job_entry, &jp, sizeof(jp));

    j->started = 1;
    if (r == ASYNC_FINISH) {
        j->finished = 1;
        return 1;
    }
    if (r == ASYNC_PAUSE) {
        j->pauses++;
        return 1;
    }
    return 0;
}

/*
 * Runs every job to the end: a paused job is resumed only when its single
 * wait fd is readable (fd mode) or its callback fired. A paused job with no
 * fd, or two, fails the run, as it would hang or break `openssl speed`.
 */
const char *zc_jobs_run(zc_job *jobs, int n, int callback_mode, long timeout_ms)
{
    long deadline = zc_ms_now() + timeout_ms;
    int left = n;

    for (int i = 0; i < n; i++) {
        if (jobs[i].wctx == NULL && (jobs[i].wctx = ASYNC_WAIT_CTX_new()) == NULL)
            return "ASYNC_WAIT_CTX_new";
        if (callback_mode && !ASYNC_WAIT_CTX_set_callback(jobs[i].wctx, zc_job_callback, &jobs[i]))
            return "ASYNC_WAIT_CTX_set_callback";
        jobs[i].index = i;
    }
    while (left > 0) {
        struct pollfd pfd[256];
        int npfd = 0, progressed = 0;

        for (int i = 0; i < n; i++) {
            zc_job *j = &jobs[i];
            int ready = !j->started;

            if (j->finished)
                continue;
            if (!ready && callback_mode) {
                ready = atomic_exchange(&j->woken, 0);
            } else if (!ready) {
                OSSL_ASYNC_FD fd;
                size_t nfd = 0;

                if (!ASYNC_WAIT_CTX_get_all_fds(j->wctx, NULL, &nfd) || nfd > 1)
                    return "more than one fd in a wait ctx";
                if (nfd == 0)
                    return "a job paused with no wait fd";
                ASYNC_WAIT_CTX_get_all_fds(j->wctx, &fd, &nfd);
                struct pollfd p = { fd, POLLIN, 0 };

                ready = poll(&p, 1, 0) == 1;
                if (!ready && npfd < 256)
                    pfd[npfd++] = p;
            }
            if (!ready)
                continue;
            if (!zc_job_step(j))
                return "ASYNC_start_job failed";
            if (j->finished)
                left--;
            progressed = 1;
        }
        if (progressed)
            continue;
        if (zc_ms_now() > deadline)
            return "jobs did not finish in time";
        if (callback_mode)
            usleep(20);
        else
            poll(pfd, (nfds_t)npfd, 10);
    }
    return NULL;
}

void zc_jobs_init(zc_job *jobs, int n, int (*fn)(zc_job *), void *arg)
{
    for (int i = 0; i < n; i++) {
        jobs[i].fn = fn;
        jobs[i].arg = arg;
    }
}

void zc_jobs_free(zc_job *jobs, int n)
{
    for (int i = 0; i < n; i++)
        ASYNC_WAIT_CTX_free(jobs[i].wctx);
}

/* ------------------------------------------------------------ cipher work */

static const char *const zc_algs[] = { "AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305",
                                       "AES-192-GCM" };
static const size_t zc_sizes[] = { 16, 700, 1024, 4096, 16384, 65536 + 13 };
OSSL_LIB_CTX *zc_ref;

/*
 * One message through EVP with the data in two updates, then opened again,
 * then opened with a flipped tag bit (must fail and zero the output). All
 * compared with the default provider's sealing of the same input.
 */
int zc_roundtrip(OSSL_LIB_CTX *lc, const char *alg, size_t len, unsigned seed,
                        const char *priority)
{
    EVP_CIPHER *zc = zc_util_fetch(lc, alg, "zcrypto"), *df = zc_util_fetch(zc_ref, alg, "default");
    unsigned char key[32], iv[12], aad[20], tag[16], reftag[16];
    unsigned char *pt = malloc(len), *ct = malloc(len), *ref = malloc(len), *back = malloc(len);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok = 0, n;
    size_t half = len / 2;
    zc_aead_io io = { 0 };

    if (zc == NULL || df == NULL || pt == NULL || ct == NULL || ref == NULL || back == NULL
        || ctx == NULL)
        goto end;
    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (unsigned char)(seed * 31 + i);
    for (size_t i = 0; i < sizeof(iv); i++)
        iv[i] = (unsigned char)(seed + 7 * i);
    for (size_t i = 0; i < sizeof(aad); i++)
        aad[i] = (unsigned char)(i ^ seed);
    for (size_t i = 0; i < len; i++)
        pt[i] = (unsigned char)(i * 13 + seed);
    io = (zc_aead_io){ .key = key, .iv = iv, .ivlen = 12, .aad = aad, .aadlen = sizeof(aad),
                       .in = pt, .inlen = len, .out = ref };
    if (!zc_util_aead(df, 1, &io))
        goto end;
    memcpy(reftag, io.tag_out, 16);

    if (!EVP_EncryptInit_ex(ctx, zc, NULL, key, iv))
        goto end;
    if (priority != NULL) {
        OSSL_PARAM p[2] = { OSSL_PARAM_utf8_string("zcrypto-priority", (char *)priority, 0),
                            OSSL_PARAM_END };

        if (!EVP_CIPHER_CTX_set_params(ctx, p))
            goto end;
    }
    if (!EVP_EncryptUpdate(ctx, NULL, &n, aad, sizeof(aad))
        || !EVP_EncryptUpdate(ctx, ct, &n, pt, (int)half)
        || !EVP_EncryptUpdate(ctx, ct + half, &n, pt + half, (int)(len - half))
        || !EVP_EncryptFinal_ex(ctx, ct + len, &n)
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) <= 0)
        goto end;
    if (memcmp(ct, ref, len) != 0 || memcmp(tag, reftag, 16) != 0)
        goto end;
    for (int tamper = 0; tamper < 2; tamper++) {
        int good;

        if (tamper)
            tag[3] ^= 0x20;
        memset(back, 0xa5, len);
        good = EVP_DecryptInit_ex(ctx, NULL, NULL, key, iv)
               && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag) > 0
               && EVP_DecryptUpdate(ctx, NULL, &n, aad, sizeof(aad))
               && EVP_DecryptUpdate(ctx, back, &n, ct, (int)len)
               && EVP_DecryptFinal_ex(ctx, back + len, &n);
        if (!tamper && (!good || memcmp(back, pt, len) != 0))
            goto end;
        if (tamper) {
            ERR_clear_error();
            if (good)
                goto end;
            /* The streamed plaintext was released by update: the caller
             * must discard it on a failed final (as with the default
             * provider); the TLS one-shot path is where we wipe. */
        }
    }
    ok = 1;
end:
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(zc);
    EVP_CIPHER_free(df);
    free(pt);
    free(ct);
    free(ref);
    free(back);
    return ok;
}

int zc_job_messages(zc_job *j)
{
    zc_work *w = j->arg;

    for (int m = 0; m < w->messages; m++) {
        unsigned seed = (unsigned)(j->index * 131 + m);
        const char *alg = zc_algs[seed % 4];
        size_t len = zc_sizes[(seed / 4 + m) % 6];

        if (!zc_roundtrip(w->lc, alg, len, seed, w->priority))
            j->failures++;
    }
    return 1;
}

OSSL_LIB_CTX *zc_async_libctx(const char *backend, const char *extra)
{
    char cfg[640];

    snprintf(cfg, sizeof(cfg), "async_min_bytes = 1024\nbatch_max = 8\n%s", extra ? extra : "");
    return zc_util_libctx(backend, cfg);
}

const char *zc_backend_of(int i)
{
    return zc_backends[i];
}

void zc_stall(OSSL_LIB_CTX *lc, int on)
{
    EVP_CIPHER *c = zc_util_fetch(lc, "AES-128-GCM", "zcrypto");
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    OSSL_PARAM p[2] = { OSSL_PARAM_int("zcrypto-test-stall", &on), OSSL_PARAM_END };

    ck_assert(EVP_CipherInit_ex(ctx, c, NULL, NULL, NULL, 1));
    ck_assert(EVP_CIPHER_CTX_set_params(ctx, p));
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(c);
}

int zc_run_batch_of_jobs(OSSL_LIB_CTX *lc, int njobs, int messages)
{
    zc_work w = { lc, messages, NULL };
    zc_job jobs[32] = { 0 };
    int bad = 0;

    zc_jobs_init(jobs, njobs, zc_job_messages, &w);
    if (zc_jobs_run(jobs, njobs, 0, 120000) != NULL)
        bad++;
    for (int i = 0; i < njobs; i++)
        bad += jobs[i].failures;
    zc_jobs_free(jobs, njobs);
    return bad;
}

