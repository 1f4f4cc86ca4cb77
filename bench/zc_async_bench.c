/*
 * zc_async_bench: from what size does offloading pay for work that arrives
 * from many ASYNC jobs at once (a server doing async crypto), and does
 * handing a pipeline burst over as one request move that size? N jobs on
 * one thread, each sealing bursts of packets under its own key until the
 * round ends; the thread resumes whichever job can run and polls the wait
 * fds when none can. Four ways, one process, interleaved rounds, best of
 * each:
 *   burst-in    the pipeline API, async_min_bytes past any burst: every job
 *               does its own work on the submitting thread;
 *   burst-off   the same with async_min_bytes = M: a burst of at least M
 *               bytes goes to the engine as one request, one pause;
 *   packet-in   the same packets one at a time (init with IV, AAD, update,
 *               final), nothing offloaded;
 *   packet-off  the same with async_min_bytes = M: each update that large
 *               is its own request and its own pause.
 * MB/s of packet data over the round's wall time, and the submitting
 * thread's CPU time per burst (what offload frees on that core).
 *
 * usage: zc_async_bench [--module-dir DIR] [--backend NAME] [--jobs N]
 *                       [--lanes N] [--min-bytes M] [--seconds S] [--rounds N]
 *                       [--alg NAME] [--sizes a,b,...]
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/async.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include "zc_bench_env.h"

#define ZA_MAXJOBS 64
#define ZA_MAXPIPES 32
#define ZA_MAXLEN 16384
#define ZA_AAD 13

typedef enum { ZA_BURST_IN = 0, ZA_BURST_OFF, ZA_PKT_IN, ZA_PKT_OFF, ZA_MODES } za_mode;
static const char *const za_mode_names[ZA_MODES] = { "burst-in", "burst-off", "packet-in",
                                                     "packet-off" };
#define ZA_IS_BURST(m) ((m) == ZA_BURST_IN || (m) == ZA_BURST_OFF)
#define ZA_OFFLOADS(m) ((m) == ZA_BURST_OFF || (m) == ZA_PKT_OFF)

typedef struct za_job {
    ASYNC_JOB *job;
    ASYNC_WAIT_CTX *wctx;
    EVP_CIPHER_CTX *x;
    za_mode mode;
    size_t n, len;
    unsigned long long bursts;
    const double *deadline;     /* CLOCK_MONOTONIC: the round's end */
    unsigned char key[32], iv[ZA_MAXPIPES][12], aad[ZA_MAXPIPES][ZA_AAD];
    unsigned char *buf[ZA_MAXPIPES], tag[ZA_MAXPIPES][16];
} za_job;

static double za_now(clockid_t clk)
{
    struct timespec t;

    clock_gettime(clk, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int za_burst(za_job *j)
{
    const unsigned char *ivs[ZA_MAXPIPES], *aads[ZA_MAXPIPES], *ins[ZA_MAXPIPES];
    unsigned char *outs[ZA_MAXPIPES], *tags[ZA_MAXPIPES];
    size_t outl[ZA_MAXPIPES], outsize[ZA_MAXPIPES], inl[ZA_MAXPIPES], aadl[ZA_MAXPIPES];
    void *arr = tags;
    OSSL_PARAM p[2] = { OSSL_PARAM_END, OSSL_PARAM_END };
    int n;

    for (size_t i = 0; i < j->n; i++) {
        j->iv[i][11]++;     /* a fresh IV per packet, as a sender would use */
        if (ZA_IS_BURST(j->mode)) {
            ivs[i] = j->iv[i], aads[i] = j->aad[i], aadl[i] = ZA_AAD;
            ins[i] = outs[i] = j->buf[i], inl[i] = outsize[i] = j->len, tags[i] = j->tag[i];
        } else if (!EVP_CipherInit_ex2(j->x, NULL, NULL, j->iv[i], 1, NULL)
                   || !EVP_CipherUpdate(j->x, NULL, &n, j->aad[i], ZA_AAD)
                   || !EVP_CipherUpdate(j->x, j->buf[i], &n, j->buf[i], (int)j->len)
                   || !EVP_CipherFinal_ex(j->x, j->buf[i] + j->len, &n)
                   || EVP_CIPHER_CTX_ctrl(j->x, EVP_CTRL_AEAD_GET_TAG, 16, j->tag[i]) <= 0) {
            return 0;
        }
    }
    if (!ZA_IS_BURST(j->mode))
        return 1;
    p[0] = OSSL_PARAM_construct_octet_ptr(OSSL_CIPHER_PARAM_PIPELINE_AEAD_TAG, &arr, 16);
    return EVP_CipherPipelineEncryptInit(j->x, NULL, NULL, 0, j->n, ivs, 12)
           && EVP_CipherPipelineUpdate(j->x, NULL, outl, NULL, aads, aadl)
           && EVP_CipherPipelineUpdate(j->x, outs, outl, outsize, ins, inl)
           && EVP_CipherPipelineFinal(j->x, outs, outl, outsize)
           && EVP_CIPHER_CTX_get_params(j->x, p);
}

static int za_job_main(void *arg)
{
    za_job *j = *(za_job **)arg;

    /* The job watches the clock itself: one that never pauses (inline)
     * runs to the end of the round in one go. */
    while (za_now(CLOCK_MONOTONIC) < *j->deadline) {
        if (!za_burst(j))
            return 0;
        j->bursts++;
    }
    return 1;
}

/* One round: every job runs until `seconds` pass. MB/s; *cpu: submitting-thread s/burst. */
static double za_round(za_job *jobs, int njobs, double seconds, double *cpu)
{
    double t0 = za_now(CLOCK_MONOTONIC), c0 = za_now(CLOCK_THREAD_CPUTIME_ID), t1;
    const double deadline = t0 + seconds;
    unsigned long long bursts = 0;
    int running = njobs;
    int done[ZA_MAXJOBS] = { 0 };

    for (int i = 0; i < njobs; i++)
        jobs[i].deadline = &deadline, jobs[i].bursts = 0, jobs[i].job = NULL;
    while (running > 0) {
        int progressed = 0;

        for (int i = 0; i < njobs; i++) {
            za_job *j = &jobs[i];
            int ret = 0, rc;

            if (done[i])
                continue;
            rc = ASYNC_start_job(&j->job, j->wctx, &ret, za_job_main, &j, sizeof(j));
            if (rc == ASYNC_PAUSE)
                continue;
            progressed = 1;
            if (rc != ASYNC_FINISH || ret != 1)
                return -1;
            done[i] = 1, running--;
        }
        if (!progressed) { /* every job waits for the engine: sleep on their fds */
            struct pollfd pfd[ZA_MAXJOBS];
            nfds_t np = 0;

            for (int i = 0; i < njobs; i++) {
                OSSL_ASYNC_FD fd;
                size_t nfd = 0;

                if (!done[i] && ASYNC_WAIT_CTX_get_all_fds(jobs[i].wctx, NULL, &nfd)
                    && nfd == 1 && ASYNC_WAIT_CTX_get_all_fds(jobs[i].wctx, &fd, &nfd))
                    pfd[np++] = (struct pollfd){ .fd = fd, .events = POLLIN };
            }
            if (np > 0)
                poll(pfd, np, 1);
        }
    }
    t1 = za_now(CLOCK_MONOTONIC);
    for (int i = 0; i < njobs; i++)
        bursts += jobs[i].bursts;
    *cpu = bursts ? (za_now(CLOCK_THREAD_CPUTIME_ID) - c0) / (double)bursts : 0;
    return (double)bursts * (double)(jobs[0].n * jobs[0].len) / (t1 - t0) / 1e6;
}

static int za_jobs_setup(za_job *jobs, int njobs, EVP_CIPHER *c, za_mode m, size_t n, size_t len)
{
    for (int i = 0; i < njobs; i++) {
        za_job *j = &jobs[i];
        const unsigned char *ivs[ZA_MAXPIPES];

        memset(j->key, 0x11 + i, sizeof(j->key));
        j->mode = m, j->n = n, j->len = len;
        for (size_t k = 0; k < n; k++) {
            memset(j->iv[k], (int)(i * 37 + k), 12);
            memset(j->aad[k], 0x30, ZA_AAD);
            ivs[k] = j->iv[k];
            if ((j->buf[k] = calloc(1, ZA_MAXLEN + 16)) == NULL)
                return 0;
        }
        if ((j->wctx = ASYNC_WAIT_CTX_new()) == NULL || (j->x = EVP_CIPHER_CTX_new()) == NULL)
            return 0;
        if (ZA_IS_BURST(m) ? !EVP_CipherPipelineEncryptInit(j->x, c, j->key,
                                                           (size_t)EVP_CIPHER_get_key_length(c),
                                                           n, ivs, 12)
                          : !EVP_EncryptInit_ex2(j->x, c, j->key, j->iv[0], NULL))
            return 0;
    }
    return 1;
}

static void za_jobs_free(za_job *jobs, int njobs)
{
    for (int i = 0; i < njobs; i++) {
        EVP_CIPHER_CTX_free(jobs[i].x);
        ASYNC_WAIT_CTX_free(jobs[i].wctx);
        for (size_t k = 0; k < jobs[i].n; k++)
            free(jobs[i].buf[k]);
    }
    memset(jobs, 0, sizeof(*jobs) * (size_t)njobs);
}

int main(int argc, char **argv)
{
    const char *dir = getenv("ZC_MODULE_DIR"), *backend = "best", *alg = "AES-256-GCM";
    const char *sizes = "64,256,1024,4096,16384";
    int njobs = 16, rounds = 5;
    size_t lanes = 16, min_bytes = 0;
    double seconds = 0.2;
    static za_job jobs[ZA_MAXJOBS];
    OSSL_LIB_CTX *lc[2] = { NULL, NULL }; /* 0: nothing offloaded; 1: from M */
    EVP_CIPHER *c[2];
    char path[4096], conf[64], best[64];

    if (dir == NULL)
        dir = ".libs";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--module-dir") == 0) dir = argv[i + 1];
        else if (strcmp(argv[i], "--backend") == 0) backend = argv[i + 1];
        else if (strcmp(argv[i], "--jobs") == 0) njobs = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--lanes") == 0) lanes = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--min-bytes") == 0) min_bytes = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--seconds") == 0) seconds = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--rounds") == 0) rounds = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--alg") == 0) alg = argv[i + 1];
        else if (strcmp(argv[i], "--sizes") == 0) sizes = argv[i + 1];
        else goto usage;
    }
    if ((argc % 2) != 1 || njobs < 1 || njobs > ZA_MAXJOBS || lanes < 1 || lanes > ZA_MAXPIPES
        || rounds < 1 || seconds <= 0)
        goto usage;
    snprintf(best, sizeof(best), "%s", backend);
    if (strcmp(backend, "best") == 0) {
        OSSL_LIB_CTX *probe = zb_env_open(dir, "auto", path, sizeof(path));

        if (probe == NULL || !zb_env_best_backend(zb_env_zcrypto(probe), best, sizeof(best)))
            return 1;
        OSSL_LIB_CTX_free(probe);
    }
    for (int k = 0; k < 2; k++) {
        snprintf(conf, sizeof(conf), "async_min_bytes = %zu", k == 0 ? (size_t)1 << 30 : min_bytes);
        setenv("ZC_BENCH_CONF", conf, 1);
        if ((lc[k] = zb_env_open(dir, best, path, sizeof(path))) == NULL)
            return 1;
        if ((c[k] = EVP_CIPHER_fetch(lc[k], alg, "provider=zcrypto")) == NULL) {
            fprintf(stderr, "zc_async_bench: zcrypto does not serve %s\n", alg);
            return 1;
        }
    }
    printf("# %s, backend %s, %d jobs on one thread, %zu packets a burst, 13 B AAD, in place;"
           " offload from %zu B; best of %d interleaved rounds of %.2f s\n",
           alg, best, njobs, lanes, min_bytes, rounds, seconds);
    printf("# MB/s; x: against the same API inline; cpu: the submitting thread's us per burst\n");
    printf("%6s %10s %10s %7s %10s %10s %7s %9s %9s\n", "size", "burst-in", "burst-off", "x",
           "packet-in", "packet-off", "x", "cpu b-in", "cpu b-off");
    for (const char *s = sizes; *s != '\0'; s += strcspn(s, ","), s += *s == ',') {
        size_t len = strtoul(s, NULL, 10);
        double mb[ZA_MODES] = { 0 }, cpu[ZA_MODES] = { 0 };

        if (len == 0 || len > ZA_MAXLEN)
            goto usage;
        for (int r = 0; r < rounds; r++)
            for (int m = 0; m < ZA_MODES; m++) {
                double t, v;

                if (!za_jobs_setup(jobs, njobs, c[ZA_OFFLOADS(m)], (za_mode)m, lanes, len)
                    || (v = za_round(jobs, njobs, seconds, &t)) < 0) {
                    fprintf(stderr, "zc_async_bench: %s %zu B failed\n", za_mode_names[m], len);
                    ERR_print_errors_fp(stderr);
                    return 1;
                }
                if (v > mb[m])
                    mb[m] = v, cpu[m] = t;
                za_jobs_free(jobs, njobs);
            }
        printf("%6zu %10.1f %10.1f %6.2fx %10.1f %10.1f %6.2fx %7.2fus %7.2fus\n", len,
               mb[ZA_BURST_IN], mb[ZA_BURST_OFF], mb[ZA_BURST_OFF] / mb[ZA_BURST_IN],
               mb[ZA_PKT_IN], mb[ZA_PKT_OFF], mb[ZA_PKT_OFF] / mb[ZA_PKT_IN],
               cpu[ZA_BURST_IN] * 1e6, cpu[ZA_BURST_OFF] * 1e6);
        fflush(stdout);
    }
    if (getenv("ZA_STATS") != NULL) { /* the offloading side's async counters */
        static char json[65536];
        const char *a;

        if (zb_stats_json(zb_env_zcrypto(lc[1]), json, sizeof(json))
            && (a = strstr(json, "\"async\"")) != NULL)
            printf("# %.*s\n", (int)strcspn(a, "}"), a);
    }
    for (int k = 0; k < 2; k++) {
        EVP_CIPHER_free(c[k]);
        OSSL_LIB_CTX_free(lc[k]);
    }
    return 0;
usage:
    fprintf(stderr, "usage: zc_async_bench [--module-dir DIR] [--backend NAME] [--jobs N] "
                    "[--lanes N] [--min-bytes M] [--seconds S] [--rounds N] [--alg NAME] "
                    "[--sizes a,b,...]\n");
    return 2;
}
