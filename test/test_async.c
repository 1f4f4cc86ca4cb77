/*
 * Async offload, driven the way async applications drive it: many
 * ASYNC_JOBs started and resumed with ASYNC_start_job, resumed when their
 * wait fd is readable (or their wait-ctx callback fires). Outputs must equal
 * the synchronous ones; frees mid-flight, fork and threads must neither
 * hang nor corrupt; after warm-up no path allocates. The engine's failure
 * paths (stalls, timeouts, retries, lost workers) are test_async_faults.c.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/async.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include "zc_async_util.h"

/* ------------------------------------------------------------ allocations */

static _Atomic int zc_counting;
static _Atomic long zc_allocs;
/*
 * zcrypto's blocks allocated and not yet freed. OpenSSL passes the
 * allocating source file: ours are under obs/, provider/, ciphers/, dispatch/,
 * qat/ and pools/ (OpenSSL keeps a few process-wide blocks of its own, e.g.
 * its config module list, which are not our leaks). Tracked per pointer, as
 * a block may be freed from another file than the one that allocated it.
 */
#define ZC_LIVE_SLOTS (1u << 20)
static void *zc_live_set[ZC_LIVE_SLOTS];
static long zc_live;
static pthread_mutex_t zc_live_lock = PTHREAD_MUTEX_INITIALIZER;

static int zc_ours(const char *file)
{
    static const char *const dirs[] = { "obs/", "provider/", "ciphers/", "dispatch/", "qat/", "pools/" };

    for (size_t i = 0; file != NULL && i < sizeof(dirs) / sizeof(dirs[0]); i++)
        if (strstr(file, dirs[i]) != NULL)
            return 1;
    return 0;
}

static size_t zc_live_slot(const void *p)
{
    return ((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ull >> 44;
}

static void zc_live_add(void *p)
{
    pthread_mutex_lock(&zc_live_lock);
    for (size_t i = zc_live_slot(p);; i = (i + 1) & (ZC_LIVE_SLOTS - 1)) {
        if (zc_live_set[i] == NULL || zc_live_set[i] == (void *)1) {
            zc_live_set[i] = p;
            zc_live++;
            break;
        }
    }
    pthread_mutex_unlock(&zc_live_lock);
}

static void zc_live_del(void *p)
{
    pthread_mutex_lock(&zc_live_lock);
    for (size_t i = zc_live_slot(p); zc_live_set[i] != NULL; i = (i + 1) & (ZC_LIVE_SLOTS - 1)) {
        if (zc_live_set[i] == p) {
            zc_live_set[i] = (void *)1;     /* tombstone */
            zc_live--;
            break;
        }
    }
    pthread_mutex_unlock(&zc_live_lock);
}

static long zc_live_count(void)
{
    long n;

    pthread_mutex_lock(&zc_live_lock);
    n = zc_live;
    pthread_mutex_unlock(&zc_live_lock);
    return n;
}

static void *zc_count_malloc(size_t n, const char *file, int line)
{
    void *p = malloc(n);

    (void)line;
    if (atomic_load_explicit(&zc_counting, memory_order_relaxed))
        atomic_fetch_add(&zc_allocs, 1);
    if (p != NULL && zc_ours(file))
        zc_live_add(p);
    return p;
}

static void *zc_count_realloc(void *p, size_t n, const char *file, int line)
{
    void *q;

    (void)line;
    if (atomic_load_explicit(&zc_counting, memory_order_relaxed))
        atomic_fetch_add(&zc_allocs, 1);
    if (p != NULL)
        zc_live_del(p);
    q = realloc(p, n);
    if (q != NULL && zc_ours(file))
        zc_live_add(q);
    return q;
}

static void zc_count_free(void *p, const char *file, int line)
{
    (void)file; (void)line;
    if (p != NULL)
        zc_live_del(p);
    free(p);
}

/* ------------------------------------------------------------ tests */

START_TEST(test_async_matches_sync)
{
    OSSL_LIB_CTX *lc = zc_async_libctx(zc_backend_of(_i), NULL);
    zc_work w = { lc, 6, NULL };
    zc_job jobs[32] = { 0 };
    const char *err;
    int pauses = 0;

    ck_assert_ptr_nonnull(lc);
    zc_jobs_init(jobs, 32, zc_job_messages, &w);
    err = zc_jobs_run(jobs, 32, 0, 120000);
    ck_assert_msg(err == NULL, "%s", err);
    for (int i = 0; i < 32; i++) {
        ck_assert_msg(jobs[i].failures == 0, "job %d: %d wrong messages", i, jobs[i].failures);
        pauses += jobs[i].pauses;
    }
    ck_assert_msg(zc_util_async_stat(lc, "offloaded") > 0, "nothing was offloaded");
    ck_assert_msg(zc_util_async_stat(lc, "inline_small") > 0, "small work was not inline");
    ck_assert_int_gt(pauses, 0);
    zc_jobs_free(jobs, 32);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

START_TEST(test_async_callback_mode)
{
    OSSL_LIB_CTX *lc = zc_async_libctx(zc_backend_of(_i), NULL);
    zc_work w = { lc, 4, NULL };
    zc_job jobs[16] = { 0 };
    const char *err;

    ck_assert_ptr_nonnull(lc);
    zc_jobs_init(jobs, 16, zc_job_messages, &w);
    err = zc_jobs_run(jobs, 16, 1, 120000);
    ck_assert_msg(err == NULL, "%s", err);
    for (int i = 0; i < 16; i++) {
        size_t nfd = 1;

        ck_assert_msg(jobs[i].failures == 0, "job %d: %d wrong messages", i, jobs[i].failures);
        ASYNC_WAIT_CTX_get_all_fds(jobs[i].wctx, NULL, &nfd);
        ck_assert_msg(nfd == 0, "callback mode registered a wait fd");
    }
    ck_assert_msg(zc_util_async_stat(lc, "offloaded") > 0, "nothing was offloaded");
    zc_jobs_free(jobs, 16);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

typedef struct zc_flight {
    OSSL_LIB_CTX *lc;
    EVP_CIPHER_CTX *ctx;
    unsigned char *in, *out;
    size_t len;
} zc_flight;

static int zc_job_one_update(zc_job *j)
{
    zc_flight *f = j->arg;
    int n;

    return EVP_EncryptUpdate(f->ctx, f->out, &n, f->in, (int)f->len);
}

/* Paused jobs abandoned by the tests below stay reachable from here. */
static zc_job zc_abandoned[2];

static void zc_flight_start(zc_flight *f, OSSL_LIB_CTX *lc, zc_job *j)
{
    EVP_CIPHER *c = zc_util_fetch(lc, "AES-256-GCM", "zcrypto");
    unsigned char key[32] = { 1 }, iv[12] = { 2 };

    f->lc = lc;
    f->len = 65536;
    f->in = calloc(1, f->len);
    f->out = malloc(f->len);
    memset(f->out, 0x5c, f->len);
    f->ctx = EVP_CIPHER_CTX_new();
    ck_assert(EVP_EncryptInit_ex(f->ctx, c, NULL, key, iv));
    EVP_CIPHER_free(c);
    j->fn = zc_job_one_update;
    j->arg = f;
    ck_assert_ptr_nonnull(j->wctx = ASYNC_WAIT_CTX_new());
    ck_assert(zc_job_step(j));
    ck_assert_msg(!j->finished && j->pauses == 1, "the update did not pause in flight");
}

static int zc_untouched(const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != 0x5c)
            return 0;
    return 1;
}

/* Freeing the cipher ctx, or the job's wait ctx, with a request queued: the
 * engine must never write the output afterwards. */
START_TEST(test_async_free_in_flight)
{
    OSSL_LIB_CTX *lc = zc_async_libctx(zc_backend_of(_i), "op_timeout_us = 10000000\n");
    zc_flight f1, f2;

    ck_assert_ptr_nonnull(lc);
    zc_stall(lc, 1);
    zc_flight_start(&f1, lc, &zc_abandoned[0]);
    EVP_CIPHER_CTX_free(f1.ctx);
    zc_flight_start(&f2, lc, &zc_abandoned[1]);
    ASYNC_WAIT_CTX_free(zc_abandoned[1].wctx);
    zc_abandoned[1].wctx = NULL;
    zc_stall(lc, 0);
    usleep(100000);     /* time for a worker to (wrongly) run them */
    ck_assert_msg(zc_untouched(f1.out, f1.len), "written after its ctx was freed");
    ck_assert_msg(zc_untouched(f2.out, f2.len), "written after its wait ctx was freed");
    ck_assert_int_ge(zc_util_async_stat(lc, "cancels"), 2);
    /* The engine still serves new work. */
    {
        zc_work w = { lc, 2, NULL };
        zc_job jobs[4] = { 0 };
        const char *err;

        zc_jobs_init(jobs, 4, zc_job_messages, &w);
        err = zc_jobs_run(jobs, 4, 0, 60000);
        ck_assert_msg(err == NULL, "%s", err);
        for (int i = 0; i < 4; i++)
            ck_assert_int_eq(jobs[i].failures, 0);
        zc_jobs_free(jobs, 4);
    }
    EVP_CIPHER_CTX_free(f2.ctx);
    free(f1.in);
    free(f1.out);
    free(f2.in);
    free(f2.out);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

/* nginx loads providers, then forks workers: the child's engine must start
 * afresh (the parent's threads do not exist there). */
START_TEST(test_async_fork)
{
    OSSL_LIB_CTX *lc = zc_async_libctx(zc_backend_of(_i), NULL);
    pid_t pid;
    int status;
    uint64_t before;

    ck_assert_ptr_nonnull(lc);
    ck_assert_int_eq(zc_run_batch_of_jobs(lc, 8, 2), 0);
    before = zc_util_async_stat(lc, "offloaded");
    ck_assert_uint_gt(before, 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int bad = zc_run_batch_of_jobs(lc, 8, 2);
        uint64_t done = zc_util_async_stat(lc, "engine_completed");

        /* Exit code 2: the child's engine started but was not counted as
         * a restart. */
        if (bad != 0 || zc_util_async_stat(lc, "offloaded") <= before || done == 0)
            _exit(1);
        _exit(zc_util_async_stat(lc, "engine_restarts") == 1 ? 0 : 2);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 1, "async failed in the child");
    ck_assert_msg(WEXITSTATUS(status) == 0, "the child's engine restart was not counted");
    ck_assert_uint_eq(zc_util_async_stat(lc, "engine_restarts"), 0);
    ck_assert_int_eq(zc_run_batch_of_jobs(lc, 8, 2), 0);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

typedef struct zc_stress {
    OSSL_LIB_CTX *lc;
    int bad;
} zc_stress;

static void *zc_stress_thread(void *arg)
{
    zc_stress *s = arg;
    int rounds = getenv("ZC_ASYNC_STRESS_ROUNDS") ? atoi(getenv("ZC_ASYNC_STRESS_ROUNDS")) : 3;

    for (int r = 0; r < rounds; r++)
        s->bad += zc_run_batch_of_jobs(s->lc, 32, 2);
    ASYNC_cleanup_thread();
    OPENSSL_thread_stop_ex(s->lc);
    OPENSSL_thread_stop();
    return NULL;
}

/* 2 threads x 32 jobs, whole provider lifecycle; returns failures. */
static int zc_stress_cycle(int backend, uint64_t *offloaded)
{
    OSSL_LIB_CTX *lc = zc_async_libctx(zc_backend_of(backend), NULL);
    pthread_t th[2];
    zc_stress st[2] = { { lc, 0 }, { lc, 0 } };
    int bad = 0;

    ck_assert_ptr_nonnull(lc);
    for (int t = 0; t < 2; t++)
        ck_assert_int_eq(pthread_create(&th[t], NULL, zc_stress_thread, &st[t]), 0);
    for (int t = 0; t < 2; t++) {
        pthread_join(th[t], NULL);
        bad += st[t].bad;
    }
    *offloaded = zc_util_async_stat(lc, "offloaded");
    OSSL_LIB_CTX_free(lc);
    return bad;
}

/*
 * Zero errors and zero leaks: every block zcrypto allocates (ctxs, engine,
 * pools, per-thread wake-up state) goes through the memory functions, which
 * count them by source file. valgrind cannot serve here: it misreads
 * OpenSSL's fibre stacks as invalid accesses. The whole provider lifecycle
 * must end with exactly as many of our blocks live as it started with.
 */
START_TEST(test_async_threads)
{
    uint64_t offloaded;
    long live_before;

    ck_assert_int_eq(zc_stress_cycle(_i, &offloaded), 0);
    live_before = zc_live_count();
    ck_assert_int_eq(zc_stress_cycle(_i, &offloaded), 0);
    ck_assert_uint_gt(offloaded, 0);
    ck_assert_msg(zc_live_count() == live_before,
                  "%ld blocks leaked over a provider lifecycle with 2 threads x 32 jobs",
                  zc_live_count() - live_before);
}
END_TEST

/* Urgent ctxs and small work never pause, inside a job or not. */
START_TEST(test_async_inline_paths)
{
    OSSL_LIB_CTX *lc = zc_async_libctx(zc_backend_of(_i), NULL);
    zc_work urgent = { lc, 6, "urgent" };
    zc_job job = { 0 };

    ck_assert_ptr_nonnull(lc);
    job.fn = zc_job_messages;
    job.arg = &urgent;
    ck_assert_ptr_nonnull(job.wctx = ASYNC_WAIT_CTX_new());
    ck_assert(zc_job_step(&job));
    ck_assert_msg(job.finished && job.pauses == 0, "urgent work paused");
    ck_assert_int_eq(job.failures, 0);
    ck_assert_uint_gt(zc_util_async_stat(lc, "inline_urgent"), 0);
    ck_assert_uint_eq(zc_util_async_stat(lc, "offloaded"), 0);
    /* Outside any job: the synchronous path, nothing offloaded. */
    ck_assert(zc_roundtrip(lc, "AES-256-GCM", 65536, 5, NULL));
    ck_assert(zc_roundtrip(lc, "ChaCha20-Poly1305", 65536, 6, NULL));
    ck_assert_uint_eq(zc_util_async_stat(lc, "offloaded"), 0);
    ck_assert_uint_gt(zc_util_async_stat(lc, "inline_nojob"), 0);
    ASYNC_WAIT_CTX_free(job.wctx);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

/* ------------------------------------------------------------ allocations */

#define ZC_ALLOC_OPS 100000

typedef struct zc_alloc_run {
    EVP_CIPHER_CTX *ctx;
    unsigned char key[32], iv[12], tag[16], buf[1024], ct[1024];
    int enc, ops_ok;
    long allocs;
} zc_alloc_run;

static int zc_alloc_op(zc_alloc_run *r)
{
    int n;

    if (r->enc)
        return EVP_EncryptInit_ex(r->ctx, NULL, NULL, r->key, r->iv)
               && EVP_EncryptUpdate(r->ctx, r->buf, &n, r->buf, sizeof(r->buf))
               && EVP_EncryptFinal_ex(r->ctx, r->buf, &n);
    return EVP_DecryptInit_ex(r->ctx, NULL, NULL, r->key, r->iv)
           && EVP_CIPHER_CTX_ctrl(r->ctx, EVP_CTRL_AEAD_SET_TAG, 16, r->tag) > 0
           && EVP_DecryptUpdate(r->ctx, r->buf, &n, r->ct, sizeof(r->ct))
           && EVP_DecryptFinal_ex(r->ctx, r->buf, &n);
}

static int zc_alloc_loop(zc_alloc_run *r)
{
    int ok = 1;

    for (int i = 0; i < 1000; i++)      /* warm-up: per-thread state, pools */
        ok &= zc_alloc_op(r);
    atomic_store(&zc_allocs, 0);
    atomic_store(&zc_counting, 1);
    for (int i = 0; i < ZC_ALLOC_OPS; i++)
        ok &= zc_alloc_op(r);
    atomic_store(&zc_counting, 0);
    r->allocs = atomic_load(&zc_allocs);
    r->ops_ok = ok;
    return ok;
}

static int zc_alloc_job(zc_job *j)
{
    return zc_alloc_loop(j->arg);
}

START_TEST(test_async_zero_alloc)
{
    static const char *const algs[] = { "AES-256-GCM", "ChaCha20-Poly1305" };
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[0], "async_min_bytes = 512\n");
    EVP_CIPHER *c = zc_util_fetch(lc, algs[_i], "zcrypto");
    zc_alloc_run r = { 0 };
    int n;

    ck_assert_ptr_nonnull(c);
    r.ctx = EVP_CIPHER_CTX_new();
    memset(r.key, 3, sizeof(r.key));
    memset(r.iv, 4, sizeof(r.iv));
    ck_assert(EVP_EncryptInit_ex(r.ctx, c, NULL, r.key, r.iv));
    ck_assert(EVP_EncryptUpdate(r.ctx, r.ct, &n, r.buf, sizeof(r.buf)));
    ck_assert(EVP_EncryptFinal_ex(r.ctx, r.ct, &n));
    ck_assert(EVP_CIPHER_CTX_ctrl(r.ctx, EVP_CTRL_AEAD_GET_TAG, 16, r.tag) > 0);

    for (int async = 0; async < 2; async++) {
        for (int enc = 1; enc >= 0; enc--) {
            uint64_t before = zc_util_async_stat(lc, "offloaded");

            r.enc = enc;
            if (!async) {
                zc_alloc_loop(&r);
            } else {
                zc_job job = { 0 };
                const char *err;

                job.fn = zc_alloc_job;
                job.arg = &r;
                err = zc_jobs_run(&job, 1, 0, 300000);
                ck_assert_msg(err == NULL, "%s", err);
                ASYNC_WAIT_CTX_free(job.wctx);
                ck_assert_msg(zc_util_async_stat(lc, "offloaded") - before >= ZC_ALLOC_OPS,
                              "async %s ops were not offloaded", enc ? "encrypt" : "decrypt");
            }
            ck_assert_msg(r.ops_ok, "%s %s ops failed", async ? "async" : "sync",
                          enc ? "encrypt" : "decrypt");
            ck_assert_msg(r.allocs == 0, "%s %s: %ld heap allocations in %d ops", algs[_i],
                          async ? "async" : "sync", r.allocs, ZC_ALLOC_OPS);
        }
    }
    EVP_CIPHER_CTX_free(r.ctx);
    EVP_CIPHER_free(c);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

int main(void)
{
    Suite *s;
    TCase *tc;
    int rc;

    /* Before anything allocates: every later allocation goes through us. */
    if (!CRYPTO_set_mem_functions(zc_count_malloc, zc_count_realloc, zc_count_free)) {
        fprintf(stderr, "CRYPTO_set_mem_functions failed\n");
        return 99;
    }
    zc_util_init();
    zc_ref = zc_util_default_libctx();
    s = suite_create("zcrypto async");
    tc = tcase_create("async");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_async_matches_sync, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_async_callback_mode, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_async_free_in_flight, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_async_inline_paths, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_async_threads, 0, (int)zc_nbackends);
    suite_add_tcase(s, tc);
    /* Own case so an emulator that cannot fork a threaded process (qemu-user
     * 7.2 asserts) can leave it out with CK_EXCLUDE_TAGS=fork. */
    tc = tcase_create("fork");
    tcase_set_tags(tc, "fork");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_async_fork, 0, (int)zc_nbackends);
    suite_add_tcase(s, tc);

    tc = tcase_create("allocations");
    tcase_set_tags(tc, "allocations");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_async_zero_alloc, 0, 2);
    suite_add_tcase(s, tc);
    rc = zc_util_run_suite(s);
    OSSL_LIB_CTX_free(zc_ref);
    return rc;
}
