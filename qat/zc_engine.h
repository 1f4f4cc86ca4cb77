/*
 * Offload engines: where async cipher work runs while the submitting fibre
 * is paused. An engine takes zc_requests, runs them (worker cores today; a
 * QAT or GPU engine would be one more file with one more zc_engine_ops), and
 * reports completions through a sink the scheduler above provides, so the
 * engine never knows about ASYNC_JOBs or fds.
 *
 * A request's life (its state word, gen << 8 | state):
 *   FREE -> QUEUED (submit) -> RUNNING (an engine thread took it) -> DONE
 *   QUEUED -> CANCELLED (its owner gave up: ctx or wait ctx freed)
 *   QUEUED -> EXPIRED (op_timeout_us passed: the owner does it inline)
 * Only QUEUED -> RUNNING lets an engine touch the buffers, and both exits
 * from QUEUED are CAS on the same word, so a cancelled or expired request's
 * buffers are never written. Two references keep the object alive: the
 * queue's and the owner's; the last one dropped returns it to the pool and
 * bumps gen, so stale handles see a different gen and keep their hands off.
 */
#ifndef ZC_ENGINE_H
#define ZC_ENGINE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "zc_backend.h"
#include "zc_pool.h"

enum {
    ZC_REQ_FREE = 0,
    ZC_REQ_QUEUED,
    ZC_REQ_RUNNING,
    ZC_REQ_DONE,
    ZC_REQ_CANCELLED,
    ZC_REQ_EXPIRED
};
#define ZC_REQ_STATE(w) ((w) & 0xffu)
#define ZC_REQ_GEN(w)   ((w) >> 8)
#define ZC_REQ_WORD(gen, state) (((uint32_t)(gen) << 8) | (uint32_t)(state))

typedef struct zc_request {
    _Atomic uint32_t word;
    _Atomic int refs;
    int result;                 /* msg_update's (msg_batch's) return, valid once DONE */
    int enc;
    const zc_aead_ops *ops;
    const void *key_state;
    void *msg_state;
    unsigned char *out;
    const unsigned char *in;
    size_t len;                 /* a batch: its messages' bytes in all */
    zc_batch_msg *msgs;         /* non-NULL: nmsgs whole messages (zc_aead_batch_any) */
    size_t nmsgs;
    int lanes;                  /* msgs may go through ops->msg_batch */
    _Atomic uint64_t deadline_ns;   /* read by the watchdog without a lock */
    void *waiter;               /* coalesced wake-up target, or NULL */
    int (*callback)(void *);    /* per-request wake-up (ASYNC callback mode) */
    void *callback_arg;
    _Atomic(const void *) owner;    /* e.g. the ASYNC_WAIT_CTX; for cancel_owner */
    zc_pool *pool;
} zc_request;

/* How completions leave the engine. count runs before the requests become
 * DONE (so whoever sees DONE also sees the count), wake once per waiter per
 * batch afterwards. */
typedef struct zc_engine_sink {
    void (*count)(void *waiter, int n);
    void (*wake)(void *waiter);
} zc_engine_sink;

/*
 * Injected faults, a test hook for soak runs against real servers
 * (test/soak.sh): off unless ZC_TEST_ASYNC_FAULTS is set in the process,
 * e.g. "stall=500:60,slow=40:2000,fail=7,hang=300:600,die=500". Each only
 * delays work, sends it back to the caller or takes a worker thread away,
 * the paths a slow or broken device takes; none can change a result.
 */
typedef struct zc_engine_faults {
    unsigned stall_every_ms, stall_for_ms;  /* start nothing for_ms out of every every_ms */
    unsigned slow_every, slow_us;           /* every slow_every-th request waits slow_us first */
    unsigned fail_every;                    /* every fail_every-th submission is refused */
    unsigned hang_every, hang_ms;           /* a worker sits hang_ms on every hang_every-th */
    unsigned die_every;                     /* the worker taking every die_every-th exits */
} zc_engine_faults;

/* Parses ZC_TEST_ASYNC_FAULTS (secure_getenv) into f; all zero if unset.
 * Returns 0 for a malformed value (then no fault is injected). */
int zc_engine_faults_from_env(zc_engine_faults *f);

typedef struct zc_engine_config {
    unsigned threads;
    unsigned batch_max;
    unsigned batch_timeout_us;
    unsigned op_timeout_us;
    unsigned queue_size;        /* requests in flight at most (power of two) */
    const zc_engine_sink *sink;
    zc_engine_faults faults;
} zc_engine_config;

/* Batch sizes by log2 bucket: 1, 2, 3-4, 5-8, ..., 129 and more. */
#define ZC_ENGINE_BATCH_BUCKETS 9

/*
 * The engine's counters, listed once: the stats struct, an engine's atomic
 * copy and the scheduler's export (zc_live_async) are all built from this.
 * X(name) keeps its name in zc_live_async; completed and cancelled are
 * exported as engine_completed and (with the owner side's) cancels.
 * workers_died, workers_hung: threads the watchdog replaced, found exited
 * or stuck on one request past the hang limit (see zc_engine_cpu.c).
 */
#define ZC_ENGINE_COUNTERS(X, X_RENAMED)                                                 \
    X_RENAMED(completed) X_RENAMED(cancelled) X(batches) X(breaker_trips)               \
    X(workers_died) X(workers_hung) X(injected_stalls) X(injected_slow)                 \
    X(injected_fails) X(injected_hangs) X(injected_deaths)

typedef struct zc_engine_stats {
#define ZC_ENGINE_STATS_MEMBER(name) unsigned long long name;
    ZC_ENGINE_COUNTERS(ZC_ENGINE_STATS_MEMBER, ZC_ENGINE_STATS_MEMBER)
#undef ZC_ENGINE_STATS_MEMBER
    unsigned long long batch_size[ZC_ENGINE_BATCH_BUCKETS];
} zc_engine_stats;

typedef struct zc_engine zc_engine;

typedef struct zc_engine_ops {
    const char *name;
    zc_engine *(*create)(const zc_engine_config *cfg);
    /* Stops and joins the engine's threads, then frees everything. */
    void (*destroy)(zc_engine *e);
    /* In a forked child the engine's threads do not exist: free without
     * joining. Requests still QUEUED expire; RUNNING ones can never finish. */
    void (*abandon)(zc_engine *e);
    /* A fresh request (refs = 2, state FREE) or NULL if all are in flight. */
    zc_request *(*request_get)(zc_engine *e);
    /* 1: queued; 0: not taken (full, unhealthy): the caller must drop both
     * references with zc_request_abort and run the work itself. */
    int (*submit)(zc_engine *e, zc_request *r);
    /* Runs up to one batch on the calling thread; returns how many ran. */
    unsigned (*help)(zc_engine *e);
    /* Requests waiting to start. */
    size_t (*depth)(zc_engine *e);
    /* 0 while the circuit breaker is open (recent timeouts): submit inline. */
    int (*healthy)(zc_engine *e);
    /* Cancels every unfinished request whose owner is owner. */
    void (*cancel_owner)(zc_engine *e, const void *owner);
    void (*get_stats)(zc_engine *e, zc_engine_stats *out);
    /* Test hook: while stalled the engine starts nothing. */
    void (*stall)(zc_engine *e, int stalled);
} zc_engine_ops;

/* Worker threads on this machine's cores, running the best backend. */
extern const zc_engine_ops zc_engine_cpu;

/* zc_request.c: the state machine every engine shares. */
uint32_t zc_request_gen(const zc_request *r);
/* Drops one reference; the last returns r to its pool. */
void zc_request_unref(zc_request *r);
/* A request get handed out but submit refused: drop both references. */
void zc_request_abort(zc_request *r);
/* Engine side: QUEUED -> RUNNING; 0 if cancelled or expired meanwhile. */
int zc_request_start(zc_request *r);
/* Owner side: QUEUED -> CANCELLED. If an engine thread already runs it,
 * waits for DONE. Returns the final state (CANCELLED, DONE or EXPIRED), or
 * ZC_REQ_FREE if gen says the request is no longer this owner's. */
unsigned zc_request_cancel(zc_request *r, uint32_t gen);
/* Watchdog or owner: QUEUED -> EXPIRED. 1 if this call expired it. */
int zc_request_expire(zc_request *r, uint32_t gen);
/*
 * Owner side, for a request nobody will wait for any more (its ctx or wait
 * ctx is being freed): takes r from owner (generation gen), cancels it if
 * still queued (waits out a running one), takes back the completion count
 * a finished one left on its waiter, and drops the owner's reference.
 * Returns ZC_REQ_CANCELLED if it never ran, its final state if it did, and
 * ZC_REQ_FREE if r was not owner's (then nothing is done).
 */
unsigned zc_request_disown(zc_request *r, const void *owner, uint32_t gen,
                           const zc_engine_sink *sink);
uint64_t zc_now_ns(void);
/* A few ns instead of ~25, at tick resolution: good enough for deadlines
 * of milliseconds, which is all the per-request timestamps are for. */
uint64_t zc_coarse_ns(void);

#endif
