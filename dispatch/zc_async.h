/*
 * The async scheduler: inside an OpenSSL ASYNC_JOB, bulk cipher work is
 * handed to an offload engine (qat/) and the fibre pauses until it is done;
 * outside a job, or for small or urgent work, it runs inline. ciphers/ calls
 * only this header; the engine, rings and pools stay below it.
 */
#ifndef ZC_ASYNC_H
#define ZC_ASYNC_H

#include <stddef.h>
#include <stdint.h>
#include "zc_backend.h"
#include "zc_live.h"

typedef struct zc_async_config {
    int enabled;                /* config "async": 1 default */
    size_t min_bytes;           /* config "async_min_bytes" */
    unsigned batch_max;         /* config "batch_max" */
    unsigned batch_timeout_us;  /* config "batch_timeout_us" */
    unsigned op_timeout_us;     /* config "op_timeout_us" */
    unsigned offload_threads;   /* config "offload_threads" */
    unsigned retry_max;         /* config "retry_max": submits retried before inline */
    unsigned retry_backoff_us;  /* config "retry_backoff_us": first wait, doubled each time */
} zc_async_config;

/* Defaults (measured; see README "Async"). */
void zc_async_config_defaults(zc_async_config *cfg);

typedef struct zc_async zc_async;           /* one per provider instance */

/* A cipher ctx's in-flight marker: which request, which generation of it,
 * and the wait ctx that owns it. req is NULL when nothing is in flight. */
typedef struct zc_async_slot {
    void *req;
    uint32_t gen;
    const void *owner;
    /* The last large update ran inline on the calling thread: see
     * zc_async_msg_update on why a ctx keeps to one core. */
    int on_caller;
} zc_async_slot;

/* Creates the scheduler; engine threads start lazily (per process, so fork
 * is safe). Returns NULL on allocation failure. */
zc_async *zc_async_new(const zc_async_config *cfg);
/* Stops engine threads, cancels anything queued, frees everything. */
void zc_async_free(zc_async *as);

/*
 * Runs ops->msg_update(key_state, msg_state, out, in, len, enc): offloaded
 * and paused when called inside an ASYNC_JOB with len >= min_bytes and
 * !urgent, inline otherwise. *slot is the ctx's in-flight marker: the
 * scheduler records the request there while it is in flight so that
 * zc_async_cancel(slot) from freectx can stop it. Returns what msg_update
 * returns; the output is always complete and correct on return 1 (a
 * timed-out request is cancelled and done inline).
 */
int zc_async_msg_update(zc_async *as, zc_async_slot *slot,
                        const zc_aead_ops *ops, const void *key_state,
                        void *msg_state, unsigned char *out,
                        const unsigned char *in, size_t len, int enc,
                        int urgent);

/*
 * The same for n whole messages (zc_aead_batch_any: through msg_batch if
 * lanes, else one after another), offloaded as one request when their
 * bytes together reach min_bytes: one pause for a burst, not one per
 * message.
 */
int zc_async_msg_batch(zc_async *as, zc_async_slot *slot, const zc_aead_ops *ops,
                       const void *key_state, zc_batch_msg *msgs, size_t n, int enc,
                       int lanes, int urgent);
/* From freectx: guarantees no engine thread touches the ctx's buffers after
 * it returns. A no-op when nothing is in flight. */
void zc_async_cancel(zc_async *as, zc_async_slot *slot);

/* 1 if zc_async_msg_update would offload len bytes here and now: callers
 * with a faster inline one-shot path use it only when this says 0. */
int zc_async_would_offload(const zc_async *as, size_t len, int urgent);
/* 1 if an update of len bytes runs on the caller without even looking for
 * a job (no scheduler, async off, urgent, or under min_bytes), counted as
 * zc_async_msg_update counts it; the caller then runs it itself. 0: call
 * zc_async_msg_update. */
int zc_async_runs_inline(zc_async *as, size_t len, int urgent);

/* Thread stop: retires the calling thread's wake-up fd for reuse by a new
 * thread (an engine may still signal it). */
void zc_async_thread_stop(void);

/* Counters for stats/tests: a snapshot in the live segment's layout. */
void zc_async_get_stats(const zc_async *as, zc_live_async *out);

/* Test hook: while stalled > 0, engine threads take no work (simulates a
 * stall); stalled < 0 makes the engine refuse the next -stalled submits (a
 * transient failure, as a full queue). */
void zc_async_test_stall(zc_async *as, int stalled);

#endif
