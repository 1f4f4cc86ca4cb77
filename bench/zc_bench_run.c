/*
 * Timing one cell: both providers run the same number of batches, taking
 * turns (and swapping who goes first each round), so a neighbour's burst on
 * this shared machine costs both sides alike.
 *
 * A sample is the time of `batch` consecutive operations divided by batch:
 * per operation when one operation is long enough to time (batch 1), else
 * the fewest operations that last group_ns, so the clock read (~30 ns here)
 * stays a small, subtracted part of the sample.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include "zc_bench.h"

#define ZB_ESTIMATE_NS 2e6      /* at least this long to estimate an op's cost */
#define ZB_MAX_SAMPLES 2000000

uint64_t zb_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int zb_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

double zb_clock_overhead_ns(void)
{
    enum { N = 20001 };
    double *d = malloc(N * sizeof(*d)), med;

    if (d == NULL)
        return 0;
    for (int i = 0; i < N; i++) {
        uint64_t t0 = zb_now_ns();

        d[i] = (double)(zb_now_ns() - t0);
    }
    qsort(d, N, sizeof(*d), zb_cmp_double);
    med = d[N / 2];
    free(d);
    return med;
}

static int zb_op(const zb_cell *c, zb_side *s)
{
    return c->mode == ZB_ONESHOT ? zb_oneshot(c, s) : zb_stream_update(c, s);
}

/*
 * Cost of one operation, from a run of at least ZB_ESTIMATE_NS; doubles as
 * warm-up (zcrypto creates its per-thread state on first use). A stream
 * started here is never finished: the next begin re-initialises it.
 */
static int zb_estimate_ns(const zb_cell *c, zb_side *s, double *ns)
{
    for (size_t n = 1;; n *= 2) {
        uint64_t t0, dt;

        if (c->mode == ZB_STREAM && !zb_stream_begin(c, s))
            return 0;
        t0 = zb_now_ns();
        for (size_t i = 0; i < n; i++)
            if (!zb_op(c, s))
                return 0;
        dt = zb_now_ns() - t0;
        if (dt >= ZB_ESTIMATE_NS || n >= ((size_t)1 << 26)) {
            *ns = (double)dt / (double)n;
            return 1;
        }
    }
}

/* One provider's turn: `groups` samples of k operations (updates of one stream). */
static int zb_batch(const zb_cell *c, zb_side *s, size_t groups, size_t k,
                    double clock_ns, double *samples, double *total_ns)
{
    if (c->mode == ZB_STREAM && !zb_stream_begin(c, s))
        return 0;
    for (size_t g = 0; g < groups; g++) {
        uint64_t t0 = zb_now_ns();
        double net;

        for (size_t i = 0; i < k; i++)
            if (!zb_op(c, s))
                return 0;
        net = (double)(zb_now_ns() - t0) - clock_ns;
        if (net < 1)
            net = 1;
        samples[g] = net / (double)k;
        *total_ns += net;
    }
    return c->mode == ZB_ONESHOT || zb_stream_end(c, s);
}

static void zb_summarise(const zb_cell *c, double *v, size_t n, size_t k,
                         double total_ns, zb_result *r)
{
    size_t i99 = (n * 99 + 99) / 100;

    qsort(v, n, sizeof(*v), zb_cmp_double);
    r->ops = n * k;
    r->batch = k;
    r->p50_ns = v[n / 2];
    r->p99_ns = v[i99 > 0 ? i99 - 1 : 0];
    r->mean_ns = total_ns / (double)r->ops;
    r->mbps = (double)r->ops * (double)c->size * 1e3 / total_ns;
}

static size_t zb_max_sz(size_t a, size_t b)
{
    return a > b ? a : b;
}

int zb_cell_measure(zb_cell *c, const zb_timing *t, zb_result res[ZB_PROV_COUNT])
{
    double est[ZB_PROV_COUNT], total[ZB_PROV_COUNT] = { 0, 0 }, best[ZB_PROV_COUNT] = { 0, 0 };
    double *samples[ZB_PROV_COUNT] = { NULL, NULL };
    double fast, slow;
    size_t k, groups, n;
    int ok = 0;

    for (int p = 0; p < ZB_PROV_COUNT; p++)
        if (!zb_estimate_ns(c, &c->side[p], &est[p]))
            goto err;
    fast = est[0] < est[1] ? est[0] : est[1];
    slow = est[0] < est[1] ? est[1] : est[0];
    /* Sized so the faster side's samples last group_ns, and the slower
     * side's share of the run lasts about t->seconds. */
    k = zb_max_sz(1, (size_t)(t->group_ns / fast + 0.999));
    groups = (size_t)(t->seconds * 1e9 / ((double)t->rounds * (double)k * slow));
    groups = zb_max_sz(groups, (t->min_samples + t->rounds - 1) / t->rounds);
    if (groups * t->rounds > ZB_MAX_SAMPLES)
        groups = ZB_MAX_SAMPLES / t->rounds;
    n = groups * t->rounds;
    if (c->mode == ZB_STREAM && !zb_cell_set_stream_updates(c, groups * k))
        goto err;
    for (int p = 0; p < ZB_PROV_COUNT; p++)
        if ((samples[p] = malloc(n * sizeof(double))) == NULL)
            goto err;
    for (size_t r = 0; r < t->rounds; r++) {
        for (size_t turn = 0; turn < ZB_PROV_COUNT; turn++) {
            int p = (int)((r + turn) % ZB_PROV_COUNT);
            double before = total[p], round_ns;

            if (!zb_batch(c, &c->side[p], groups, k, t->clock_ns,
                          samples[p] + r * groups, &total[p]))
                goto err;
            round_ns = total[p] - before;
            if (round_ns > 0) {
                double mbps = (double)(groups * k) * (double)c->size * 1e3 / round_ns;

                if (mbps > best[p])
                    best[p] = mbps;
            }
        }
    }
    for (int p = 0; p < ZB_PROV_COUNT; p++) {
        zb_summarise(c, samples[p], n, k, total[p], &res[p]);
        res[p].best_mbps = best[p];
    }
    ok = 1;
err:
    if (!ok) {
        fprintf(stderr, "zc_bench: %s %s %s %zu B: an operation failed while timing\n",
                c->alg, zb_mode_name(c->mode), c->enc ? "enc" : "dec", c->size);
        ERR_print_errors_fp(stderr);
    }
    for (int p = 0; p < ZB_PROV_COUNT; p++)
        free(samples[p]);
    return ok;
}
