/*
 * The async scheduler. Inside an ASYNC_JOB, a big enough update goes to the
 * offload engine and the fibre pauses until the engine reports it done;
 * everything else runs inline. What makes it pay (platform notes, ASYNC):
 * a wake-up syscall per op costs more than a 1 KiB cipher op, so
 *  - each submitting thread has ONE eventfd, registered (once) as the single
 *    wait fd of every ASYNC_WAIT_CTX its jobs use; the engine signals it once
 *    per batch, and it is drained only when none of the thread's finished
 *    requests is left unconsumed;
 *  - when the queue is deep the submitting thread runs a batch itself, so
 *    both cores of a 2-core machine do cipher work.
 * Apps that set an ASYNC_WAIT_CTX callback get the callback instead.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <openssl/async.h>
#include <openssl/crypto.h>
#include "zc_async.h"
#include "zc_engine.h"
#include "zc_audit.h"

_Static_assert(ZC_LIVE_BATCH_BUCKETS == ZC_ENGINE_BATCH_BUCKETS,
               "batch-size buckets: scheduler and engine agree");

/*
 * Queue depth at which new work is not queued at all but done inline: the
 * engine has enough to stay busy, and inline work costs this thread no
 * submit, pause and resume (~0.6 us per op at 16 KiB, measured). Measured
 * with `speed -async_jobs 16`, AES-256-GCM 16 KiB, interleaved runs: this
 * at 4 (helping at 8) gives 1.69-1.79x sync where 8 (helping at 4) gave
 * 1.57-1.59x: every op was queued and a third were then taken back to help.
 */
#ifndef ZC_INLINE_DEPTH
#define ZC_INLINE_DEPTH 4
#endif
/* Queue depth at which a submitting thread, its request queued, works
 * through the queue instead of pausing: the engine has fallen behind. */
#ifndef ZC_HELP_DEPTH
#define ZC_HELP_DEPTH 8
#endif
/*
 * A ctx whose last update ran inline keeps running inline while the engine
 * has at least this much queued (it stays busy without this ctx). Each ctx
 * thus keeps to one core: its buffer and message state stay in that core's
 * cache instead of crossing to the other core on every switch (16 KiB per
 * op at 16 KiB records).
 */
#ifndef ZC_KEEP_INLINE_DEPTH
#define ZC_KEEP_INLINE_DEPTH 2
#endif

struct zc_async {
    zc_async_config cfg;
    pthread_mutex_t lock;           /* engine creation and retirement only */
    const zc_engine_ops *eops;
    zc_engine *_Atomic engine;
    unsigned engine_fork_gen;
    zc_engine *stale[4];            /* engines a fork left without threads */
    unsigned nstale;
    int stalled;
    struct zc_async *next;          /* the live list wait-ctx cleanup walks */
    struct {
        _Atomic unsigned long long offloaded, offloaded_batches, inline_small, inline_urgent,
            inline_nojob, inline_busy, timeouts, cancels, wakeups, helped,
            queue_depth_max, retries, retry_giveups, engine_restarts;
    } st;
    _Atomic long refuse;            /* test hook: submits still to refuse */
};

/* ------------------------------------------------------------ per thread */

/*
 * A thread's wake-up target. Engine threads hold bare pointers to it (in
 * requests, and between marking a request done and signalling), so a
 * waiter is never freed while an engine may run: a stopping thread retires
 * it to a free list and the next new thread reuses it, fd and all. A late
 * signal then lands on the new owner as a spurious wake-up, which the
 * drain logic already absorbs. All of them are freed when the last
 * scheduler goes, after every engine has been joined.
 */
typedef struct zc_waiter {
    int efd;
    _Atomic int armed;              /* efd written and not yet drained */
    _Atomic long unconsumed;        /* finished, owner not yet resumed */
    unsigned fork_gen;              /* efd belongs to this process generation */
    struct zc_waiter *next;         /* every waiter */
    struct zc_waiter *next_retired;
} zc_waiter;

static pthread_mutex_t zc_async_global_lock = PTHREAD_MUTEX_INITIALIZER;
static zc_waiter *zc_waiters;       /* every waiter, for teardown */
static zc_waiter *zc_waiters_retired; /* owned by no thread, reusable */
static zc_async *zc_asyncs;         /* every live scheduler */
static unsigned zc_async_instances;
static _Atomic unsigned zc_fork_gen;
static _Atomic unsigned zc_waiter_epoch; /* bumped when all waiters are freed */
static __thread zc_waiter *zc_thread_waiter;
static __thread unsigned zc_thread_waiter_epoch;
static const char zc_async_fd_key;  /* its address tags our fd in a wait ctx */

static void zc_waiter_count(void *vw, int n)
{
    atomic_fetch_add_explicit(&((zc_waiter *)vw)->unconsumed, n, memory_order_seq_cst);
}

static void zc_waiter_wake(void *vw)
{
    zc_waiter *w = vw;
    uint64_t one = 1;

    if (atomic_exchange(&w->armed, 1) == 0) {
        ssize_t rc = write(w->efd, &one, sizeof(one));

        (void)rc;   /* EAGAIN means already readable: that is the goal */
    }
}

/*
 * Makes the fd quiet unless some finished request still awaits its fibre.
 * The re-signal after the read is unconditional: an engine thread may have
 * armed the fd between our store and our read, and our read ate its signal.
 */
static void zc_waiter_drain(zc_waiter *w)
{
    uint64_t v = 1;
    ssize_t rc;

    atomic_store(&w->armed, 0);
    rc = read(w->efd, &v, sizeof(v));
    if (atomic_load(&w->unconsumed) > 0) {
        atomic_store(&w->armed, 1);
        v = 1;
        rc = write(w->efd, &v, sizeof(v));
    }
    (void)rc;
}

static const zc_engine_sink zc_waiter_sink = { zc_waiter_count, zc_waiter_wake };

/* A retired waiter's eventfd may be the parent's: give it a fresh one
 * under the same number (wait ctxs may still hold that number). */
static void zc_waiter_refresh_fd(zc_waiter *w, unsigned gen)
{
    int fresh = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

    if (fresh >= 0) {
        dup2(fresh, w->efd);
        close(fresh);
    }
    atomic_store(&w->armed, 0);
    atomic_store(&w->unconsumed, 0);
    w->fork_gen = gen;
}

/* The calling thread's waiter, or NULL (none, or freed by a teardown). */
static zc_waiter *zc_waiter_mine(void)
{
    if (zc_thread_waiter != NULL && zc_thread_waiter_epoch != atomic_load(&zc_waiter_epoch))
        zc_thread_waiter = NULL;
    return zc_thread_waiter;
}

static zc_waiter *zc_waiter_get(void)
{
    zc_waiter *w = zc_waiter_mine();
    unsigned gen = atomic_load(&zc_fork_gen);

    if (w != NULL)
        return w;
    pthread_mutex_lock(&zc_async_global_lock);
    if ((w = zc_waiters_retired) != NULL) {
        zc_waiters_retired = w->next_retired;
        if (w->fork_gen != gen)
            zc_waiter_refresh_fd(w, gen);
    } else if ((w = OPENSSL_zalloc(sizeof(*w))) != NULL) {
        if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
            OPENSSL_free(w);
            w = NULL;
        } else {
            w->fork_gen = gen;
            w->next = zc_waiters;
            zc_waiters = w;
        }
    }
    zc_thread_waiter_epoch = atomic_load(&zc_waiter_epoch);
    pthread_mutex_unlock(&zc_async_global_lock);
    return zc_thread_waiter = w;
}

void zc_async_thread_stop(void)
{
    zc_waiter *w = zc_waiter_mine();

    if (w == NULL)
        return;
    zc_thread_waiter = NULL;
    pthread_mutex_lock(&zc_async_global_lock);
    w->next_retired = zc_waiters_retired;
    zc_waiters_retired = w;
    pthread_mutex_unlock(&zc_async_global_lock);
}

/*
 * In a forked child the engine threads are gone and the eventfd is shared
 * with the parent. Give the surviving thread its own eventfd under the same
 * number (wait ctxs already hold it) and make engines restart lazily.
 */
static void zc_async_atfork_child(void)
{
    zc_waiter *w = zc_waiter_mine();
    unsigned gen = atomic_fetch_add(&zc_fork_gen, 1) + 1;

    /* Retired waiters are refreshed when reused (no lock is safe here). */
    if (w != NULL)
        zc_waiter_refresh_fd(w, gen);
}

static void zc_async_atfork_register(void)
{
    pthread_atfork(NULL, NULL, zc_async_atfork_child);
}

/* ------------------------------------------------------------ lifecycle */

void zc_async_config_defaults(zc_async_config *cfg)
{
    cfg->enabled = 1;
    cfg->min_bytes = 4096;
    cfg->batch_max = 16;
    cfg->batch_timeout_us = 0;
    cfg->op_timeout_us = 100000;
    cfg->offload_threads = 1;
    cfg->retry_max = 2;
    cfg->retry_backoff_us = 5;
}

zc_async *zc_async_new(const zc_async_config *cfg)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    zc_async *as = OPENSSL_zalloc(sizeof(*as));

    if (as == NULL)
        return NULL;
    as->cfg = *cfg;
    as->eops = &zc_engine_cpu;
    pthread_mutex_init(&as->lock, NULL);
    pthread_once(&once, zc_async_atfork_register);
    pthread_mutex_lock(&zc_async_global_lock);
    as->next = zc_asyncs;
    zc_asyncs = as;
    zc_async_instances++;
    pthread_mutex_unlock(&zc_async_global_lock);
    return as;
}

void zc_async_free(zc_async *as)
{
    if (as == NULL)
        return;
    pthread_mutex_lock(&zc_async_global_lock);
    for (zc_async **pp = &zc_asyncs; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == as) {
            *pp = as->next;
            break;
        }
    }
    pthread_mutex_unlock(&zc_async_global_lock);
    zc_engine *e = atomic_load(&as->engine);

    if (e != NULL) {
        if (as->engine_fork_gen == atomic_load(&zc_fork_gen))
            as->eops->destroy(e);
        else
            as->eops->abandon(e);
    }
    for (unsigned i = 0; i < as->nstale; i++)
        as->eops->abandon(as->stale[i]);
    pthread_mutex_lock(&zc_async_global_lock);
    /* Thread-stop handlers are dropped on unload: free every thread's fd. */
    if (--zc_async_instances == 0) {
        /* No engine thread is left that could signal one of them. */
        for (zc_waiter *w = zc_waiters, *next; w != NULL; w = next) {
            next = w->next;
            close(w->efd);
            OPENSSL_free(w);
        }
        zc_waiters = zc_waiters_retired = NULL;
        /* Other threads' cached pointers are now stale. */
        atomic_fetch_add(&zc_waiter_epoch, 1);
    }
    zc_thread_waiter = NULL;
    pthread_mutex_unlock(&zc_async_global_lock);
    pthread_mutex_destroy(&as->lock);
    OPENSSL_free(as);
}

/* The engine for this process, started on first use (so after any fork). */
static zc_engine *zc_async_engine(zc_async *as)
{
    zc_engine *e = atomic_load_explicit(&as->engine, memory_order_acquire);
    unsigned fork_gen = atomic_load_explicit(&zc_fork_gen, memory_order_relaxed);

    if (e != NULL && as->engine_fork_gen == fork_gen)
        return e;
    pthread_mutex_lock(&as->lock);
    e = atomic_load(&as->engine);
    int restart = 0;

    if (e != NULL && as->engine_fork_gen != fork_gen) {
        /* Fibres copied into this child may still point into it: keep the
         * memory until teardown, never run its queue. */
        if (as->nstale < sizeof(as->stale) / sizeof(as->stale[0]))
            as->stale[as->nstale++] = e;
        atomic_store(&as->engine, NULL);
        e = NULL;
        restart = 1;
    }
    if (e == NULL) {
        zc_engine_config ec = {
            .threads = as->cfg.offload_threads,
            .batch_max = as->cfg.batch_max,
            .batch_timeout_us = as->cfg.batch_timeout_us,
            .op_timeout_us = as->cfg.op_timeout_us,
            .queue_size = 1024,
            .sink = &zc_waiter_sink,
        };

        zc_engine_faults_from_env(&ec.faults);

        if ((e = as->eops->create(&ec)) != NULL) {
            as->eops->stall(e, as->stalled);
            as->engine_fork_gen = fork_gen;
            atomic_store_explicit(&as->engine, e, memory_order_release);
        }
        if (restart) {
            unsigned long long n = atomic_fetch_add(&as->st.engine_restarts, 1) + 1;

            zc_audit_event("offload engine", "%s in process %ld after fork (restart %llu): "
                           "the parent's engine threads do not exist here",
                           e != NULL ? "restarted" : "could not be restarted", (long)getpid(), n);
        }
    }
    pthread_mutex_unlock(&as->lock);
    return e;
}

/* ------------------------------------------------------------ wait ctx */

/* ASYNC_WAIT_CTX_free with our fd in it: its fibre will never resume, so
 * nothing it queued may run any more. */
static void zc_async_waitctx_cleanup(ASYNC_WAIT_CTX *wctx, const void *key,
                                     OSSL_ASYNC_FD fd, void *custom)
{
    (void)key; (void)fd; (void)custom;
    pthread_mutex_lock(&zc_async_global_lock);
    for (zc_async *as = zc_asyncs; as != NULL; as = as->next) {
        zc_engine *e = atomic_load(&as->engine);

        if (e != NULL && as->engine_fork_gen == atomic_load(&zc_fork_gen))
            as->eops->cancel_owner(e, wctx);
    }
    pthread_mutex_unlock(&zc_async_global_lock);
}

/* Exactly one fd per wait ctx: ours, this thread's. */
static int zc_async_waitctx_arm(ASYNC_WAIT_CTX *wctx, zc_waiter *w)
{
    OSSL_ASYNC_FD fd;
    void *custom;

    if (ASYNC_WAIT_CTX_get_fd(wctx, &zc_async_fd_key, &fd, &custom)) {
        if (fd == w->efd)
            return 1;
        /* The wait ctx moved to another thread: swap in this thread's fd. */
        ASYNC_WAIT_CTX_clear_fd(wctx, &zc_async_fd_key);
    }
    return ASYNC_WAIT_CTX_set_wait_fd(wctx, &zc_async_fd_key, w->efd, NULL,
                                      zc_async_waitctx_cleanup);
}

/* ------------------------------------------------------------ the op */

int zc_async_would_offload(const zc_async *as, size_t len, int urgent)
{
    return as != NULL && as->cfg.enabled && !urgent && len >= as->cfg.min_bytes
           && ASYNC_get_current_job() != NULL;
}

/*
 * Whether new work runs on the calling thread because the engine already
 * has enough queued; records the answer in the slot, since a ctx that ran
 * inline stays inline down to the lower depth (ZC_KEEP_INLINE_DEPTH).
 */
static int zc_async_engine_has_enough(const zc_async *as, zc_engine *e, zc_async_slot *slot)
{
    unsigned want = slot->on_caller ? ZC_KEEP_INLINE_DEPTH : ZC_INLINE_DEPTH;

    slot->on_caller = as->eops->depth(e) >= want;
    return slot->on_caller;
}

/* What one request does: a message's update, or a whole batch of messages
 * (msgs != NULL; len is then their bytes in all). */
typedef struct zc_async_work {
    const zc_aead_ops *ops;
    const void *key_state;
    void *msg_state;
    unsigned char *out;
    const unsigned char *in;
    size_t len;
    int enc;
    zc_batch_msg *msgs;
    size_t nmsgs;
    int lanes;                  /* msgs may go through ops->msg_batch */
} zc_async_work;

static int zc_async_inline(const zc_async_work *w)
{
    if (w->msgs != NULL)
        return zc_aead_batch_any(w->ops, w->key_state, w->msgs, w->nmsgs, w->enc, w->lanes);
    return w->ops->msg_update(w->key_state, w->msg_state, w->out, w->in, w->len, w->enc);
}

/*
 * The inline counters are bumped on every synchronous update, where a
 * locked add (a full barrier: it waits for every store before it) sits
 * between a record's start and its data. A relaxed load and store costs
 * nothing; two threads bumping at once may lose a count, which these
 * diagnostics can afford.
 */
static inline void zc_async_count_inline(_Atomic unsigned long long *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* The test hook's refusals, then the engine's. */
static int zc_async_try_submit(zc_async *as, zc_engine *e, zc_request *r)
{
    long left = atomic_load_explicit(&as->refuse, memory_order_relaxed);

    while (left > 0)
        if (atomic_compare_exchange_weak_explicit(&as->refuse, &left, left - 1,
                                                  memory_order_relaxed, memory_order_relaxed))
            return 0;
    return as->eops->submit(e, r);
}

/*
 * A refused submit (the queue is full for now) is retried retry_max times,
 * waiting retry_backoff_us, then twice that, ... in between: a full queue
 * drains in microseconds, and offloading beats doing the work here. The
 * wait spins (an ASYNC job must not sleep its thread for long); it is
 * bounded by retry_backoff_us * (2^retry_max - 1).
 */
static int zc_async_submit(zc_async *as, zc_engine *e, zc_request *r)
{
    uint64_t wait_ns = (uint64_t)as->cfg.retry_backoff_us * 1000;

    for (unsigned attempt = 0;; attempt++, wait_ns *= 2) {
        uint64_t until;

        if (zc_async_try_submit(as, e, r))
            return 1;
        if (attempt >= as->cfg.retry_max || !as->eops->healthy(e)) {
            atomic_fetch_add_explicit(&as->st.retry_giveups, 1, memory_order_relaxed);
            return 0;
        }
        atomic_fetch_add_explicit(&as->st.retries, 1, memory_order_relaxed);
        for (until = zc_now_ns() + wait_ns; zc_now_ns() < until;)
            ;
    }
}

int zc_async_runs_inline(zc_async *as, size_t len, int urgent)
{
    if (as == NULL || !as->cfg.enabled)
        return 1;
    if (urgent) {
        zc_async_count_inline(&as->st.inline_urgent);
        return 1;
    }
    if (len < as->cfg.min_bytes) {
        zc_async_count_inline(&as->st.inline_small);
        return 1;
    }
    return 0;
}

static int zc_async_run(zc_async *as, zc_async_slot *slot, const zc_async_work *wk,
                        int urgent)
{
    const size_t len = wk->len;
    ASYNC_JOB *job;
    ASYNC_WAIT_CTX *wctx;
    ASYNC_callback_fn cb = NULL;
    void *cb_arg = NULL;
    zc_waiter *w = NULL;
    zc_engine *e;
    zc_request *r;
    uint32_t gen;
    int result, counted;

    if (zc_async_runs_inline(as, len, urgent))
        return zc_async_inline(wk);
    if ((job = ASYNC_get_current_job()) == NULL || (wctx = ASYNC_get_wait_ctx(job)) == NULL) {
        zc_async_count_inline(&as->st.inline_nojob);
        return zc_async_inline(wk);
    }
    if (!ASYNC_WAIT_CTX_get_callback(wctx, &cb, &cb_arg))
        cb = NULL;
    if ((e = zc_async_engine(as)) == NULL || !as->eops->healthy(e)
        || zc_async_engine_has_enough(as, e, slot)
        || (cb == NULL && ((w = zc_waiter_get()) == NULL || !zc_async_waitctx_arm(wctx, w)))
        || (r = as->eops->request_get(e)) == NULL) {
        atomic_fetch_add_explicit(&as->st.inline_busy, 1, memory_order_relaxed);
        return zc_async_inline(wk);
    }
    gen = zc_request_gen(r);
    r->ops = wk->ops;
    r->key_state = wk->key_state;
    r->msg_state = wk->msg_state;
    r->out = wk->out;
    r->in = wk->in;
    r->len = wk->len;
    r->enc = wk->enc;
    r->msgs = wk->msgs;
    r->nmsgs = wk->nmsgs;
    r->lanes = wk->lanes;
    r->waiter = cb == NULL ? w : NULL;
    r->callback = cb;
    r->callback_arg = cb_arg;
    atomic_store_explicit(&r->owner, (const void *)wctx, memory_order_relaxed);
    if (!zc_async_submit(as, e, r)) {
        zc_request_abort(r);
        atomic_fetch_add_explicit(&as->st.inline_busy, 1, memory_order_relaxed);
        return zc_async_inline(wk);
    }
    atomic_fetch_add_explicit(&as->st.offloaded, 1, memory_order_relaxed);
    if (wk->msgs != NULL)
        atomic_fetch_add_explicit(&as->st.offloaded_batches, 1, memory_order_relaxed);
    {
        unsigned long long d = as->eops->depth(e),
                           max = atomic_load_explicit(&as->st.queue_depth_max,
                                                      memory_order_relaxed);

        while (d > max && !atomic_compare_exchange_weak_explicit(&as->st.queue_depth_max, &max,
                                                                 d, memory_order_relaxed,
                                                                 memory_order_relaxed))
            ;
    }
    slot->req = r;
    slot->gen = gen;
    slot->owner = wctx;

    for (;;) {
        uint32_t word = atomic_load_explicit(&r->word, memory_order_acquire);
        unsigned st = ZC_REQ_STATE(word);

        if (ZC_REQ_GEN(word) != gen || atomic_load(&r->owner) != wctx) {
            /* Cancelled on our behalf (wait ctx freed): r is not ours. */
            slot->req = NULL;
            return 0;
        }
        if (st == ZC_REQ_DONE) {
            result = r->result;
            counted = 1;
            break;
        }
        if (st == ZC_REQ_EXPIRED) {
            atomic_fetch_add_explicit(&as->st.timeouts, 1, memory_order_relaxed);
            result = zc_async_inline(wk);
            counted = 1;
            break;
        }
        /* A deep queue means the engine is behind: do some of it here
         * rather than pause (a pause and a resume cost ~0.2 us each). */
        if (as->eops->depth(e) >= ZC_HELP_DEPTH) {
            unsigned n = as->eops->help(e);

            if (n > 0) {
                atomic_fetch_add_explicit(&as->st.helped, n, memory_order_relaxed);
                continue;
            }
        }
        if (w != NULL && atomic_load(&w->unconsumed) <= 0)
            zc_waiter_drain(w);     /* woken for nothing of ours: quiet the fd */
        if (!ASYNC_pause_job()) {
            /* Cannot pause (should not happen in a job): wait it out here. */
            if (zc_request_cancel(r, gen) == ZC_REQ_CANCELLED) {
                result = zc_async_inline(wk);
                counted = 0;
                break;
            }
            continue;
        }
        atomic_fetch_add_explicit(&as->st.wakeups, 1, memory_order_relaxed);
    }
    {
        const void *expected = wctx;

        /* Claim: from here on nobody else may drop our reference. */
        if (!atomic_compare_exchange_strong(&r->owner, &expected, NULL)) {
            slot->req = NULL;
            return 0;
        }
    }
    if (counted && w != NULL && atomic_fetch_sub(&w->unconsumed, 1) <= 1)
        zc_waiter_drain(w);
    slot->req = NULL;
    zc_request_unref(r);
    return result;
}

int zc_async_msg_update(zc_async *as, zc_async_slot *slot,
                        const zc_aead_ops *ops, const void *key_state,
                        void *msg_state, unsigned char *out,
                        const unsigned char *in, size_t len, int enc,
                        int urgent)
{
    const zc_async_work w = { ops, key_state, msg_state, out, in, len, enc, NULL, 0, 0 };

    return zc_async_run(as, slot, &w, urgent);
}

int zc_async_msg_batch(zc_async *as, zc_async_slot *slot, const zc_aead_ops *ops,
                       const void *key_state, zc_batch_msg *msgs, size_t n, int enc,
                       int lanes, int urgent)
{
    zc_async_work w = { ops, key_state, NULL, NULL, NULL, 0, enc, msgs, n, lanes };

    for (size_t i = 0; i < n; i++)
        w.len += msgs[i].len;
    return zc_async_run(as, slot, &w, urgent);
}

void zc_async_cancel(zc_async *as, zc_async_slot *slot)
{
    zc_request *r = slot->req;

    slot->req = NULL;
    if (r != NULL
        && zc_request_disown(r, slot->owner, slot->gen, &zc_waiter_sink) == ZC_REQ_CANCELLED)
        atomic_fetch_add_explicit(&as->st.cancels, 1, memory_order_relaxed);
}

void zc_async_get_stats(const zc_async *as, zc_live_async *out)
{
    zc_async *m = (zc_async *)as;
    zc_engine *e = atomic_load(&m->engine);
    zc_engine_stats es = { 0 };

    memset(out, 0, sizeof(*out));
    if (e != NULL) {
        as->eops->get_stats(e, &es);
        out->queue_depth = as->eops->depth(e);
        out->breaker_open = !as->eops->healthy(e);
    }
    for (int b = 0; b < ZC_ENGINE_BATCH_BUCKETS; b++)
        out->batch_size[b] = es.batch_size[b];
    out->queue_depth_max = atomic_load(&m->st.queue_depth_max);
    out->retries = atomic_load(&m->st.retries);
    out->retry_giveups = atomic_load(&m->st.retry_giveups);
    out->offloaded = atomic_load(&m->st.offloaded);
    out->offloaded_batches = atomic_load(&m->st.offloaded_batches);
    out->inline_small = atomic_load(&m->st.inline_small);
    out->inline_urgent = atomic_load(&m->st.inline_urgent);
    out->inline_nojob = atomic_load(&m->st.inline_nojob);
    out->inline_busy = atomic_load(&m->st.inline_busy);
    out->timeouts = atomic_load(&m->st.timeouts);
#define ZC_ASYNC_FROM_ENGINE(name) out->name = es.name;
#define ZC_ASYNC_RENAMED(name)
    ZC_ENGINE_COUNTERS(ZC_ASYNC_FROM_ENGINE, ZC_ASYNC_RENAMED)
#undef ZC_ASYNC_FROM_ENGINE
#undef ZC_ASYNC_RENAMED
    out->engine_completed = es.completed;
    out->cancels = es.cancelled + atomic_load(&m->st.cancels);
    out->wakeups = atomic_load(&m->st.wakeups);
    out->helped = atomic_load(&m->st.helped);
    out->engine_restarts = atomic_load(&m->st.engine_restarts);
}

void zc_async_test_stall(zc_async *as, int stalled)
{
    zc_engine *e;

    if (stalled < 0) {
        atomic_store(&as->refuse, -(long)stalled);
        return;
    }
    pthread_mutex_lock(&as->lock);
    as->stalled = stalled;
    if ((e = atomic_load(&as->engine)) != NULL)
        as->eops->stall(e, stalled);
    pthread_mutex_unlock(&as->lock);
}
