/* The async suites' job driver and cipher work (zc_async_util.c). */
#ifndef ZC_ASYNC_UTIL_H
#define ZC_ASYNC_UTIL_H

#include <stdatomic.h>
#include <openssl/async.h>
#include "zc_core_util.h"

typedef struct zc_job zc_job;
struct zc_job {
    ASYNC_JOB *job;
    ASYNC_WAIT_CTX *wctx;
    int started, finished, ret, pauses;
    _Atomic int woken;              /* callback mode */
    int (*fn)(zc_job *);
    void *arg;
    int index;
    int failures;
};

/* What zc_job_messages runs: messages round trips in lc per job. */
typedef struct zc_work {
    OSSL_LIB_CTX *lc;
    int messages;
    const char *priority;
} zc_work;

/* The default provider's library context, the reference (set by main). */
extern OSSL_LIB_CTX *zc_ref;

/* Resumes one job; 0 on an ASYNC error. */
int zc_job_step(zc_job *j);
/* Runs every job to the end, resuming a paused one only when its wait fd
 * is readable (or its callback fired); NULL on success, else what broke. */
const char *zc_jobs_run(zc_job *jobs, int n, int callback_mode, long timeout_ms);
void zc_jobs_init(zc_job *jobs, int n, int (*fn)(zc_job *), void *arg);
void zc_jobs_free(zc_job *jobs, int n);
/* Seal in two updates, open, open with a flipped tag: 1 if all match the
 * default provider. */
int zc_roundtrip(OSSL_LIB_CTX *lc, const char *alg, size_t len, unsigned seed,
                 const char *priority);
/* A job body: zc_work's messages, mixed algorithms and sizes. */
int zc_job_messages(zc_job *j);
/* njobs jobs of messages each; returns the number of failures. */
int zc_run_batch_of_jobs(OSSL_LIB_CTX *lc, int njobs, int messages);
/* zcrypto on backend, offloading from 1 KiB, batches of 8, plus extra. */
OSSL_LIB_CTX *zc_async_libctx(const char *backend, const char *extra);
const char *zc_backend_of(int i);
/* The engine's stall test hook (zcrypto-test-stall; < 0: refuse submits). */
void zc_stall(OSSL_LIB_CTX *lc, int on);

#endif
