/* The request state machine every engine shares (see zc_engine.h). */
#include "config.h"

#include <sched.h>
#include <time.h>
#include "zc_engine.h"

uint64_t zc_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t zc_coarse_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint32_t zc_request_gen(const zc_request *r)
{
    return ZC_REQ_GEN(atomic_load_explicit(&((zc_request *)r)->word, memory_order_acquire));
}

static void zc_request_recycle(zc_request *r)
{
    uint32_t w = atomic_load_explicit(&r->word, memory_order_relaxed);

    /* A new gen makes every handle to the old request stale. */
    r->out = NULL;
    r->in = NULL;
    r->key_state = NULL;
    r->msg_state = NULL;
    r->msgs = NULL;
    r->nmsgs = 0;
    r->lanes = 0;
    atomic_store_explicit(&r->owner, NULL, memory_order_relaxed);
    atomic_store_explicit(&r->word, ZC_REQ_WORD(ZC_REQ_GEN(w) + 1, ZC_REQ_FREE),
                          memory_order_release);
    zc_pool_put(r->pool, r);
}

void zc_request_unref(zc_request *r)
{
    if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1)
        zc_request_recycle(r);
}

void zc_request_abort(zc_request *r)
{
    atomic_store_explicit(&r->refs, 0, memory_order_relaxed);
    zc_request_recycle(r);
}

int zc_request_start(zc_request *r)
{
    uint32_t w = atomic_load_explicit(&r->word, memory_order_acquire);

    if (ZC_REQ_STATE(w) != ZC_REQ_QUEUED)
        return 0;
    return atomic_compare_exchange_strong_explicit(
        &r->word, &w, ZC_REQ_WORD(ZC_REQ_GEN(w), ZC_REQ_RUNNING),
        memory_order_acq_rel, memory_order_acquire);
}

unsigned zc_request_cancel(zc_request *r, uint32_t gen)
{
    for (unsigned spins = 0;; spins++) {
        uint32_t w = atomic_load_explicit(&r->word, memory_order_acquire);

        if (ZC_REQ_GEN(w) != gen)
            return ZC_REQ_FREE;
        switch (ZC_REQ_STATE(w)) {
        case ZC_REQ_QUEUED:
            if (atomic_compare_exchange_strong_explicit(
                    &r->word, &w, ZC_REQ_WORD(gen, ZC_REQ_CANCELLED),
                    memory_order_acq_rel, memory_order_acquire))
                return ZC_REQ_CANCELLED;
            break;
        case ZC_REQ_RUNNING:
            /* A worker is inside msg_update on these buffers: one
             * bounded piece of CPU work, so waiting is the safe answer. */
            if (spins > 64)
                sched_yield();
            break;
        default:
            return ZC_REQ_STATE(w);
        }
    }
}

int zc_request_expire(zc_request *r, uint32_t gen)
{
    uint32_t w = ZC_REQ_WORD(gen, ZC_REQ_QUEUED);

    return atomic_compare_exchange_strong_explicit(
        &r->word, &w, ZC_REQ_WORD(gen, ZC_REQ_EXPIRED),
        memory_order_acq_rel, memory_order_acquire);
}

unsigned zc_request_disown(zc_request *r, const void *owner, uint32_t gen,
                           const zc_engine_sink *sink)
{
    const void *expected = owner;
    unsigned st;

    /* Taking the owner field makes us the owner: the fibre, if it ever
     * resumes, finds it gone and fails its call instead of touching r. */
    if (owner == NULL || zc_request_gen(r) != gen
        || !atomic_compare_exchange_strong(&r->owner, &expected, NULL))
        return ZC_REQ_FREE;
    st = zc_request_cancel(r, gen);
    if (st == ZC_REQ_FREE)
        return st;
    if (st != ZC_REQ_CANCELLED && r->callback == NULL && r->waiter != NULL)
        sink->count(r->waiter, -1);     /* counted as finished, never consumed */
    zc_request_unref(r);
    return st;
}
