/*
 * The worker-core engine: offload_threads threads pop requests from one
 * lock-free ring in batches and run them on the backend the provider chose.
 * Why batches: a wake-up costs ~1.5 us here, more than a small cipher op, so
 * completions are reported once per batch per submitting thread. A watchdog
 * expires requests older than op_timeout_us (their owners then do them
 * inline) and opens a circuit breaker when the engine keeps missing
 * deadlines, so a stuck engine costs latency, never correctness. The same
 * watchdog replaces a worker thread that exited or sits on one request far
 * past any honest cipher time (zc_engine_supervise).
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "zc_engine.h"
#include "zc_audit.h"

#define ZC_ENGINE_MAX_THREADS 64
#define ZC_BATCH_CAP          64
#define ZC_IDLE_SPIN_NS       50000     /* spin this long before sleeping */
#define ZC_BREAKER_TRIP       8         /* consecutive expiries */
#define ZC_BREAKER_OPEN_NS    100000000 /* then run inline for 100 ms */
/* A worker still on one request this long past op_timeout_us x 4 (at least
 * 100 ms), plus 10 ns a byte (100 MB/s, far below any backend, so a huge
 * request is never taken for a hang), is stuck: it is replaced. */
#define ZC_HANG_MIN_MS        100
#define ZC_HANG_NS_PER_BYTE   10
#define ZC_UNLOAD_WAIT_MS     5000      /* destroy waits this long for stuck workers */

/*
 * A worker's heartbeat: generation << 40 | the time (ms) by which its
 * current request must be done, 0 between requests. The worker moves it by
 * CAS from the value it last wrote (and to ZC_BEAT_EXITED as its thread
 * ends); the watchdog takes the slot from a
 * stuck worker by CAS to the next generation. Whichever CAS comes second
 * fails, so a worker finishing just as it is declared stuck either keeps
 * its slot or learns it lost it, and never shares it with its replacement.
 */
#define ZC_BEAT_MS_BITS 40
#define ZC_BEAT(gen, ms) (((uint64_t)(gen) << ZC_BEAT_MS_BITS) | (uint64_t)(ms))
#define ZC_BEAT_GEN(b)   ((b) >> ZC_BEAT_MS_BITS)
#define ZC_BEAT_MS(b)    ((b) & ((UINT64_C(1) << ZC_BEAT_MS_BITS) - 1))
#define ZC_BEAT_EXITED   ((UINT64_C(1) << ZC_BEAT_MS_BITS) - 1)  /* the thread has ended */

typedef struct zc_worker {
    zc_engine *engine;
    pthread_t thread;               /* the watchdog's and destroy's only */
    int joinable;                   /* thread is running and ours to join */
    int start_failed;               /* audited once until a start works */
    _Atomic uint64_t beat;
} zc_worker;

/* A worker thread's own view of its slot. */
typedef struct zc_worker_self {
    zc_worker *slot;
    uint64_t beat;                  /* what this thread last wrote */
    int abandoned;                  /* replaced: report the batch and exit */
    int died;                       /* fault hook: exit now, joined by the watchdog */
} zc_worker_self;

struct zc_engine {
    zc_engine_config cfg;
    zc_pool pool;
    zc_ring queue;
    zc_worker workers[ZC_ENGINE_MAX_THREADS];
    unsigned nthreads;
    uint64_t hang_ms;
    pthread_t watchdog;
    int watchdog_started;
    /* The memory's owners: the engine's user and every replaced worker
     * thread still running (it may wake up inside a request). */
    _Atomic int refs;
    _Atomic uint32_t stop;          /* also the futex word the watchdog sleeps on */
    _Atomic int stalled;
    _Atomic uint32_t doorbell;      /* futex word the idle workers sleep on */
    _Atomic int sleepers;
    _Atomic int expired_in_a_row;
    _Atomic uint64_t breaker_until_ns;
    _Atomic unsigned long long fault_requests, fault_submits, fault_stall_period,
        fault_hangs, fault_deaths;
    struct {
#define ZC_ENGINE_ATOMIC_MEMBER(name) _Atomic unsigned long long name;
        ZC_ENGINE_COUNTERS(ZC_ENGINE_ATOMIC_MEMBER, ZC_ENGINE_ATOMIC_MEMBER)
#undef ZC_ENGINE_ATOMIC_MEMBER
        _Atomic unsigned long long batch_size[ZC_ENGINE_BATCH_BUCKETS];
    } st;
};

/* Every n-th call is 1 (n = 0: never). */
static int zc_fault_every(_Atomic unsigned long long *calls, unsigned n)
{
    return n != 0 && (atomic_fetch_add_explicit(calls, 1, memory_order_relaxed) + 1) % n == 0;
}

/* Injected stall (cfg.faults): inside the first stall_for_ms of every
 * stall_every_ms. Each stall period is counted once. */
static int zc_engine_fault_stalled(zc_engine *e)
{
    const zc_engine_faults *f = &e->cfg.faults;
    unsigned long long ms, period, seen;

    if (f->stall_every_ms == 0)
        return 0;
    ms = zc_coarse_ns() / 1000000;
    if (ms % f->stall_every_ms >= f->stall_for_ms)
        return 0;
    period = ms / f->stall_every_ms + 1;
    seen = atomic_load_explicit(&e->fault_stall_period, memory_order_relaxed);
    if (seen != period
        && atomic_compare_exchange_strong(&e->fault_stall_period, &seen, period))
        atomic_fetch_add_explicit(&e->st.injected_stalls, 1, memory_order_relaxed);
    return 1;
}

/* An injected delay: on every every-th call the thread sits us on the
 * request it holds, not started yet, and the injection is counted. */
static void zc_engine_fault_sleep(_Atomic unsigned long long *calls, unsigned every,
                                  unsigned long long us, _Atomic unsigned long long *injected)
{
    if (!zc_fault_every(calls, every))
        return;
    atomic_fetch_add_explicit(injected, 1, memory_order_relaxed);
    usleep((useconds_t)us);
}

static void zc_futex_wait(_Atomic uint32_t *word, uint32_t seen, long timeout_ns)
{
    struct timespec ts = { timeout_ns / 1000000000L, timeout_ns % 1000000000L };

    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
}

static void zc_futex_wake(_Atomic uint32_t *word, int n)
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

static inline void zc_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/*
 * A request is DONE the moment its work is: an owner resumed for any reason
 * finds it finished. Counted first, so whoever sees DONE sees the count.
 */
static void zc_request_finish(zc_engine *e, zc_request *r)
{
    uint32_t gen = ZC_REQ_GEN(atomic_load_explicit(&r->word, memory_order_relaxed));

    if (r->callback == NULL && r->waiter != NULL)
        e->cfg.sink->count(r->waiter, 1);
    atomic_store_explicit(&r->word, ZC_REQ_WORD(gen, ZC_REQ_DONE), memory_order_release);
}

/* The wake-ups, once per waiter for the whole batch; then the queue's
 * references go (only now may an owner's unref recycle a request). */
static void zc_batch_wake(zc_engine *e, zc_request **batch, unsigned n)
{
    void *waiters[ZC_BATCH_CAP];
    unsigned nw = 0;

    for (unsigned i = 0; i < n; i++) {
        zc_request *r = batch[i];
        unsigned j;

        if (r->callback != NULL) {
            r->callback(r->callback_arg);
            continue;
        }
        if (r->waiter == NULL)
            continue;
        for (j = 0; j < nw && waiters[j] != r->waiter; j++)
            ;
        if (j == nw)
            waiters[nw++] = r->waiter;
    }
    for (unsigned j = 0; j < nw; j++)
        e->cfg.sink->wake(waiters[j]);
    for (unsigned i = 0; i < n; i++)
        zc_request_unref(batch[i]);
}

/* Moves the calling worker's heartbeat to deadline_ms (0: between
 * requests); a failed CAS means the watchdog gave the slot to another. */
static void zc_worker_beat(zc_worker_self *me, uint64_t deadline_ms)
{
    uint64_t seen = me->beat, next = ZC_BEAT(ZC_BEAT_GEN(me->beat), deadline_ms);

    if (me->abandoned)
        return;
    if (atomic_compare_exchange_strong_explicit(&me->slot->beat, &seen, next,
                                                memory_order_acq_rel, memory_order_acquire))
        me->beat = next;
    else
        me->abandoned = 1;
}

static uint64_t zc_engine_hang_deadline(const zc_engine *e, size_t len)
{
    return (zc_coarse_ns() + (uint64_t)len * ZC_HANG_NS_PER_BYTE) / 1000000 + e->hang_ms;
}

/*
 * Runs up to batch_max requests, each as soon as it is popped, and reports
 * them together. When the queue runs dry before the batch is full, a worker
 * waits up to batch_timeout_us for more (coalescing the wake-up); a helper
 * (me == NULL) never waits: its own fibre is waiting on this. A worker
 * keeps its heartbeat on each request it holds. Returns how many ran.
 */
static unsigned zc_engine_run_batch(zc_engine *e, unsigned max, zc_worker_self *me)
{
    zc_request *batch[ZC_BATCH_CAP];
    unsigned n = 0;
    uint64_t flush_at = 0;

    while (n < max && (me == NULL || !me->abandoned)) {
        zc_request *r = zc_ring_pop(&e->queue);

        if (r == NULL) {
            if (me == NULL || n == 0 || e->cfg.batch_timeout_us == 0)
                break;
            if (flush_at == 0)
                flush_at = zc_now_ns() + (uint64_t)e->cfg.batch_timeout_us * 1000;
            else if (zc_now_ns() >= flush_at || atomic_load(&e->stop))
                break;
            zc_cpu_relax();
            continue;
        }
        if (me != NULL) {
            zc_worker_beat(me, zc_engine_hang_deadline(e, r->len));
            if (zc_fault_every(&e->fault_deaths, e->cfg.faults.die_every)) {
                /* The thread goes with a request it never started: that
                 * one expires on the watchdog's scan (its owner runs it
                 * inline); what this batch already ran is reported. */
                atomic_fetch_add_explicit(&e->st.injected_deaths, 1, memory_order_relaxed);
                zc_request_unref(r);
                me->died = 1;
                break;
            }
            /* Long enough (hang_ms) for the watchdog to take it for stuck. */
            zc_engine_fault_sleep(&e->fault_hangs, e->cfg.faults.hang_every,
                                  e->cfg.faults.hang_ms * 1000ull, &e->st.injected_hangs);
        }
        /* A slow request: any thread running it sits on it first. */
        zc_engine_fault_sleep(&e->fault_requests, e->cfg.faults.slow_every,
                              e->cfg.faults.slow_us, &e->st.injected_slow);
        if (zc_request_start(r)) {
            r->result = r->msgs != NULL
                            ? zc_aead_batch_any(r->ops, r->key_state, r->msgs, r->nmsgs,
                                                r->enc, r->lanes)
                            : r->ops->msg_update(r->key_state, r->msg_state, r->out, r->in,
                                                 r->len, r->enc);
            zc_request_finish(e, r);
            batch[n++] = r;
        } else {
            /* Cancelled or expired while queued: its owner has moved on. */
            zc_request_unref(r);
        }
        if (me != NULL)
            zc_worker_beat(me, 0);
    }
    if (n == 0)
        return 0;
    zc_batch_wake(e, batch, n);
    atomic_store_explicit(&e->expired_in_a_row, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&e->st.completed, n, memory_order_relaxed);
    atomic_fetch_add_explicit(&e->st.batches, 1, memory_order_relaxed);
    {
        unsigned b = 0;

        while (b + 1 < ZC_ENGINE_BATCH_BUCKETS && n > (1u << b))
            b++;
        atomic_fetch_add_explicit(&e->st.batch_size[b], 1, memory_order_relaxed);
    }
    return n;
}

static void zc_engine_unref(zc_engine *e);

/*
 * However a worker thread ends (its loop returns, or pthread_exit or a
 * cancel from anywhere below it), it says so in its heartbeat, for the
 * watchdog to join and replace it; a thread whose slot was already given
 * away is nobody's to join and drops its reference on the engine instead.
 */
static void zc_worker_gone(void *arg)
{
    zc_worker_self *me = arg;

    zc_worker_beat(me, ZC_BEAT_EXITED);
    if (me->abandoned)
        zc_engine_unref(me->slot->engine);
}

static void zc_engine_worker_loop(zc_engine *e, zc_worker_self *me)
{
    uint64_t idle_since = 0;

    while (!atomic_load_explicit(&e->stop, memory_order_acquire)) {
        if (atomic_load_explicit(&e->stalled, memory_order_relaxed) || zc_engine_fault_stalled(e)) {
            usleep(100);
            continue;
        }
        if (zc_engine_run_batch(e, e->cfg.batch_max, me) > 0 || me->abandoned || me->died) {
            if (me->abandoned || me->died)
                break;
            idle_since = 0;
            continue;
        }
        uint64_t now = zc_now_ns();

        if (idle_since == 0)
            idle_since = now;
        if (now - idle_since < ZC_IDLE_SPIN_NS) {
            zc_cpu_relax();
            continue;
        }
        /* Sleep; a submitter that sees sleepers rings the doorbell. */
        uint32_t seen = atomic_load(&e->doorbell);

        atomic_fetch_add(&e->sleepers, 1);
        atomic_thread_fence(memory_order_seq_cst);
        if (zc_ring_depth(&e->queue) == 0 && !atomic_load(&e->stop))
            zc_futex_wait(&e->doorbell, seen, 10000000L);
        atomic_fetch_sub(&e->sleepers, 1);
        idle_since = 0;
    }
}

static void *zc_engine_worker(void *arg)
{
    zc_worker *slot = arg;
    zc_worker_self me = { slot, atomic_load_explicit(&slot->beat, memory_order_acquire), 0, 0 };

    /* What `top -H` and /proc/PID/task/N/comm show an operator. */
    pthread_setname_np(pthread_self(), "zc-offload");
    pthread_cleanup_push(zc_worker_gone, &me);
    zc_engine_worker_loop(slot->engine, &me);
    pthread_cleanup_pop(1);
    return NULL;
}

static void zc_engine_expire_scan(zc_engine *e)
{
    uint64_t now = zc_coarse_ns();

    for (size_t i = 0; i < e->pool.count; i++) {
        zc_request *r = zc_pool_at(&e->pool, i);
        uint32_t w = atomic_load_explicit(&r->word, memory_order_acquire);

        if (ZC_REQ_STATE(w) != ZC_REQ_QUEUED
            || now < atomic_load_explicit(&r->deadline_ns, memory_order_relaxed))
            continue;
        /* Read before the CAS; the CAS on (gen, QUEUED) proves they belong
         * to the request we expire. */
        void *waiter = r->waiter;
        int (*cb)(void *) = r->callback;
        void *cb_arg = r->callback_arg;

        if (!zc_request_expire(r, ZC_REQ_GEN(w)))
            continue;
        if (atomic_fetch_add(&e->expired_in_a_row, 1) + 1 == ZC_BREAKER_TRIP) {
            unsigned long long trips;

            atomic_store(&e->breaker_until_ns, zc_now_ns() + ZC_BREAKER_OPEN_NS);
            trips = atomic_fetch_add_explicit(&e->st.breaker_trips, 1, memory_order_relaxed) + 1;
            zc_audit_event("circuit breaker", "opened (trip %llu) after %d offloaded requests "
                           "in a row missed op_timeout_us (%u us): work runs inline for %d ms",
                           trips, ZC_BREAKER_TRIP, e->cfg.op_timeout_us,
                           ZC_BREAKER_OPEN_NS / 1000000);
        }
        if (cb != NULL) {
            cb(cb_arg);
        } else if (waiter != NULL) {
            e->cfg.sink->count(waiter, 1);
            e->cfg.sink->wake(waiter);
        }
    }
}

/* Starts a thread in slot w under a new generation (a thread that held the
 * slot before can no longer move its heartbeat). */
static int zc_engine_worker_start(zc_engine *e, zc_worker *w)
{
    uint64_t b = atomic_load_explicit(&w->beat, memory_order_relaxed);

    atomic_store_explicit(&w->beat, ZC_BEAT(ZC_BEAT_GEN(b) + 1, 0), memory_order_release);
    w->joinable = pthread_create(&w->thread, NULL, zc_engine_worker, w) == 0;
    return w->joinable;
}

/*
 * The watchdog's look at its workers: one that exited (its heartbeat says
 * so) or has held one request past its hang deadline is replaced by a fresh
 * thread. A stuck one is only left behind, never killed: it may be inside
 * a request's buffers, and its request's owner still waits for it (a
 * request is only taken back while queued). Returns 1 if any worker is on
 * a request.
 */
static int zc_engine_supervise(zc_engine *e)
{
    uint64_t now_ms = zc_coarse_ns() / 1000000;
    int busy = 0;

    for (unsigned i = 0; i < e->nthreads; i++) {
        zc_worker *w = &e->workers[i];
        uint64_t b = atomic_load_explicit(&w->beat, memory_order_acquire);
        const char *why;

        if (w->joinable && ZC_BEAT_MS(b) == ZC_BEAT_EXITED) {
            /* Workers leave on their own only at destroy, which has
             * stopped us first; any other exit is a lost worker. */
            pthread_join(w->thread, NULL);
            if (atomic_load_explicit(&e->stop, memory_order_acquire)) {
                w->joinable = 0;
                continue;
            }
            atomic_fetch_add_explicit(&e->st.workers_died, 1, memory_order_relaxed);
            why = "exited";
        } else if (w->joinable && ZC_BEAT_MS(b) != 0 && now_ms > ZC_BEAT_MS(b)) {
            /* Its reference first: once the CAS lands it may exit at once. */
            atomic_fetch_add(&e->refs, 1);
            if (!atomic_compare_exchange_strong(&w->beat, &b, ZC_BEAT(ZC_BEAT_GEN(b) + 1, 0))) {
                atomic_fetch_sub(&e->refs, 1);  /* it finished just now */
                busy = 1;
                continue;
            }
            pthread_detach(w->thread);
            atomic_fetch_add_explicit(&e->st.workers_hung, 1, memory_order_relaxed);
            why = "was stuck on one request";
        } else if (w->joinable) {
            busy |= ZC_BEAT_MS(b) != 0;
            continue;
        } else {
            why = NULL;                         /* its last start failed: again */
        }
        w->joinable = 0;
        if (zc_engine_worker_start(e, w)) {
            w->start_failed = 0;
            if (why != NULL)
                zc_audit_event("offload engine", "worker %u %s (limit %llu ms): replaced; "
                               "%llu exited and %llu stuck workers replaced so far", i, why,
                               (unsigned long long)e->hang_ms,
                               (unsigned long long)atomic_load(&e->st.workers_died),
                               (unsigned long long)atomic_load(&e->st.workers_hung));
        } else if (!w->start_failed) {
            w->start_failed = 1;
            zc_audit_event("offload engine", "worker %u %s and no thread could replace it: "
                           "retrying every watchdog period", i, why != NULL ? why : "is gone");
        }
    }
    return busy;
}

static size_t zc_engine_in_flight(zc_engine *e)
{
    return e->pool.count - zc_ring_depth(&e->pool.free);
}

static void *zc_engine_watchdog(void *arg)
{
    zc_engine *e = arg;
    long period = (long)e->cfg.op_timeout_us * 1000 / 4;

    if (period < 200000)
        period = 200000;
    if (period > 20000000)
        period = 20000000;
    pthread_setname_np(pthread_self(), "zc-watchdog");
    while (!atomic_load_explicit(&e->stop, memory_order_acquire)) {
        zc_futex_wait(&e->stop, 0, period);
        if (atomic_load_explicit(&e->stop, memory_order_acquire))
            break;
        /* Requests out of the pool, not only queued ones: a worker that
         * exited or sits on a popped request leaves it in no queue. */
        if (zc_engine_supervise(e) || zc_engine_in_flight(e) > 0)
            zc_engine_expire_scan(e);
    }
    return NULL;
}

static void zc_engine_free_memory(zc_engine *e)
{
    zc_ring_fini(&e->queue);
    zc_pool_fini(&e->pool);
    OPENSSL_free(e);
}

static void zc_engine_unref(zc_engine *e)
{
    if (atomic_fetch_sub(&e->refs, 1) == 1)
        zc_engine_free_memory(e);
}

static void zc_engine_cpu_destroy(zc_engine *e)
{
    if (e == NULL)
        return;
    atomic_store(&e->stop, 1);
    zc_futex_wake(&e->stop, INT_MAX);
    atomic_fetch_add(&e->doorbell, 1);
    zc_futex_wake(&e->doorbell, INT_MAX);
    /* The watchdog first: it is what starts replacement workers. */
    if (e->watchdog_started)
        pthread_join(e->watchdog, NULL);
    for (unsigned i = 0; i < e->nthreads; i++)
        if (e->workers[i].joinable)
            pthread_join(e->workers[i].thread, NULL);
    /* Replaced stuck workers still running our code: give them time to
     * come back and leave, since the module may be unmapped after us. */
    for (int ms = 0; atomic_load(&e->refs) > 1 && ms < ZC_UNLOAD_WAIT_MS; ms++)
        usleep(1000);
    if (atomic_load(&e->refs) > 1)
        zc_audit_event("offload engine", "%d stuck workers still running at shutdown: "
                       "their memory is left to them", atomic_load(&e->refs) - 1);
    /* Whatever is still queued belongs to fibres that will never resume
     * (their app is unloading us): nothing may run it any more. */
    zc_engine_unref(e);
}

static void zc_engine_cpu_abandon(zc_engine *e)
{
    if (e != NULL)
        zc_engine_free_memory(e);
}

static zc_engine *zc_engine_cpu_create(const zc_engine_config *cfg)
{
    zc_engine *e = OPENSSL_zalloc(sizeof(*e));

    if (e == NULL)
        return NULL;
    e->cfg = *cfg;
    if (e->cfg.batch_max == 0 || e->cfg.batch_max > ZC_BATCH_CAP)
        e->cfg.batch_max = e->cfg.batch_max == 0 ? 1 : ZC_BATCH_CAP;
    if (e->cfg.threads > ZC_ENGINE_MAX_THREADS)
        e->cfg.threads = ZC_ENGINE_MAX_THREADS;
    if (!zc_pool_init(&e->pool, cfg->queue_size, sizeof(zc_request))) {
        OPENSSL_free(e);
        return NULL;
    }
    if (!zc_ring_init(&e->queue, e->pool.count)) {
        zc_pool_fini(&e->pool);
        OPENSSL_free(e);
        return NULL;
    }
    for (size_t i = 0; i < e->pool.count; i++)
        ((zc_request *)zc_pool_at(&e->pool, i))->pool = &e->pool;
    atomic_init(&e->refs, 1);
    e->hang_ms = (uint64_t)e->cfg.op_timeout_us * 4 / 1000;
    if (e->hang_ms < ZC_HANG_MIN_MS)
        e->hang_ms = ZC_HANG_MIN_MS;
    for (unsigned i = 0; i < e->cfg.threads; i++) {
        e->workers[i].engine = e;
        if (!zc_engine_worker_start(e, &e->workers[i]))
            break;
        e->nthreads++;
    }
    e->watchdog_started = pthread_create(&e->watchdog, NULL, zc_engine_watchdog, e) == 0;
    if (!e->watchdog_started || (e->nthreads == 0 && e->cfg.threads > 0)) {
        zc_engine_cpu_destroy(e);
        return NULL;
    }
    return e;
}

static zc_request *zc_engine_cpu_request_get(zc_engine *e)
{
    zc_request *r = zc_pool_get(&e->pool);

    if (r == NULL)
        return NULL;
    atomic_store_explicit(&r->refs, 2, memory_order_relaxed);
    return r;
}

/*
 * Closes an open breaker (until: the deadline it was opened with) and
 * audits it once: the CAS makes exactly one caller the closer, and a trip
 * that reopened it meanwhile (a new deadline) stays open.
 */
static void zc_engine_breaker_close(zc_engine *e, uint64_t until, const char *why)
{
    if (!atomic_compare_exchange_strong(&e->breaker_until_ns, &until, 0))
        return;
    zc_audit_event("circuit breaker", "closed (%s) after trip %llu; %llu requests completed "
                   "by the engine so far", why,
                   (unsigned long long)atomic_load_explicit(&e->st.breaker_trips,
                                                            memory_order_relaxed),
                   (unsigned long long)atomic_load_explicit(&e->st.completed,
                                                            memory_order_relaxed));
}

static int zc_engine_cpu_healthy(zc_engine *e)
{
    uint64_t until = atomic_load_explicit(&e->breaker_until_ns, memory_order_relaxed);

    if (until == 0)
        return 1;
    if (zc_now_ns() < until)
        return 0;
    zc_engine_breaker_close(e, until, "open period over: offloading again");
    return 1;
}

static int zc_engine_cpu_submit(zc_engine *e, zc_request *r)
{
    uint32_t gen = zc_request_gen(r);

    if (zc_fault_every(&e->fault_submits, e->cfg.faults.fail_every)) {
        atomic_fetch_add_explicit(&e->st.injected_fails, 1, memory_order_relaxed);
        return 0;
    }
    atomic_store_explicit(&r->deadline_ns,
                          zc_coarse_ns() + (uint64_t)e->cfg.op_timeout_us * 1000,
                          memory_order_relaxed);
    atomic_store_explicit(&r->word, ZC_REQ_WORD(gen, ZC_REQ_QUEUED), memory_order_release);
    if (!zc_ring_push(&e->queue, r))
        return 0;
    /* Only a sleeping worker costs a syscall; busy ones poll the ring. The
     * fence pairs with the worker's: one of us sees the other's store. */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&e->sleepers, memory_order_seq_cst) > 0) {
        atomic_fetch_add(&e->doorbell, 1);
        zc_futex_wake(&e->doorbell, 1);
    }
    return 1;
}

static unsigned zc_engine_cpu_help(zc_engine *e)
{
    if (atomic_load_explicit(&e->stalled, memory_order_relaxed) || zc_engine_fault_stalled(e))
        return 0;
    /* One request at a time: the worker keeps its share of the queue. */
    return zc_engine_run_batch(e, 1, NULL);
}

static size_t zc_engine_cpu_depth(zc_engine *e)
{
    return zc_ring_depth(&e->queue);
}

static void zc_engine_cpu_cancel_owner(zc_engine *e, const void *owner)
{
    for (size_t i = 0; i < e->pool.count; i++) {
        zc_request *r = zc_pool_at(&e->pool, i);

        if (zc_request_disown(r, owner, zc_request_gen(r), e->cfg.sink) == ZC_REQ_CANCELLED)
            atomic_fetch_add_explicit(&e->st.cancelled, 1, memory_order_relaxed);
    }
}

static void zc_engine_cpu_get_stats(zc_engine *e, zc_engine_stats *out)
{
#define ZC_ENGINE_LOAD(name) out->name = atomic_load(&e->st.name);
    ZC_ENGINE_COUNTERS(ZC_ENGINE_LOAD, ZC_ENGINE_LOAD)
#undef ZC_ENGINE_LOAD
    for (int b = 0; b < ZC_ENGINE_BATCH_BUCKETS; b++)
        out->batch_size[b] = atomic_load(&e->st.batch_size[b]);
}

static void zc_engine_cpu_stall(zc_engine *e, int stalled)
{
    atomic_store(&e->stalled, stalled);
    if (!stalled) {
        /* A test that stalled us on purpose must not leave the breaker open. */
        uint64_t until;

        while ((until = atomic_load(&e->breaker_until_ns)) != 0)
            zc_engine_breaker_close(e, until, "engine unstalled by the test hook");
        atomic_store(&e->expired_in_a_row, 0);
    }
}

const zc_engine_ops zc_engine_cpu = {
    .name = "cpu",
    .create = zc_engine_cpu_create,
    .destroy = zc_engine_cpu_destroy,
    .abandon = zc_engine_cpu_abandon,
    .request_get = zc_engine_cpu_request_get,
    .submit = zc_engine_cpu_submit,
    .help = zc_engine_cpu_help,
    .depth = zc_engine_cpu_depth,
    .healthy = zc_engine_cpu_healthy,
    .cancel_owner = zc_engine_cpu_cancel_owner,
    .get_stats = zc_engine_cpu_get_stats,
    .stall = zc_engine_cpu_stall,
};
