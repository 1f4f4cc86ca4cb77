/*
 * Per algorithm x backend counters: how a user (and our tests) prove that
 * zcrypto, not a silent fallback, did the work. They are kept in the live
 * segment (zc_live.h) of the process doing the work, made on its first
 * count (after fork and setuid: an nginx worker's segment is its own), so
 * zcrypto-stat sees them while it runs; with live_stats = no the same
 * layout sits in private memory. The hot path is a thread-local lookup and
 * a plain add: no syscalls, locks or allocations.
 */
#ifndef ZC_STATS_H
#define ZC_STATS_H

#include <stdint.h>
#include <stddef.h>
#include "zc_ids.h"
#include "zc_live.h"

typedef struct zc_stats_opts {
    int live;                   /* live_stats: 1 shared segment, 0 private memory */
    const char *dir;            /* live_stats_dir (NULL: ZCRYPTO_STAT_DIR, /dev/shm) */
    unsigned mode;              /* live_stats_mode, e.g. 0600 */
    unsigned sample_every;      /* latency_sample: 0 = never */
} zc_stats_opts;

/* The RDSEED seed source (provider/zc_seed.c): this instance's, in private
 * memory (the stats file reports them; the live segment does not yet). */
typedef struct zc_seed_stats {
    uint64_t requests;      /* seeds or generate calls served */
    uint64_t bytes;         /* bytes handed out */
    uint64_t retries;       /* RDSEED attempts that returned no data */
    uint64_t exhausted;     /* requests refused: retries ran out */
    uint64_t rct_failures;  /* SP 800-90B repetition count test */
    uint64_t apt_failures;  /* SP 800-90B adaptive proportion test */
} zc_seed_stats;

typedef struct zc_stats {
    uint64_t id;                /* the provider instance's, never reused */
    zc_stats_opts opts;
    /* Health and policy, set once by the provider before any count. */
    zc_live_health health;
    const char *policy_json;    /* JSON members saying what is served and why (may be NULL) */
    zc_seed_stats seed;
    int seed_offered;           /* RDSEED registered (the CPU has it) */
    /* The async snapshot source (the provider's scheduler; may be NULL). */
    void (*async_read)(const void *arg, zc_live_async *out);
    const void *async_arg;
    /* This process's segment; seg_gen says which process (fork generation). */
    zc_live_hdr *seg;
    uint64_t seg_gen;
    int seg_shared;             /* 1: a file in the live directory */
    char seg_path[512];
} zc_stats;

typedef struct zc_stats_tls {
    uint64_t id, gen;
    zc_live_shard *shard;
    int excl;                   /* 1: this thread alone writes the shard */
} zc_stats_tls;

/*
 * The one thread-local block the hot path reads. Initial-exec: in a dlopen'd
 * module the default (global-dynamic) access is a __tls_get_addr call per
 * use, measured at about 3% of a 16-byte TLS record; initial-exec is one
 * %fs-relative load from the static TLS surplus glibc keeps for dlopen'd
 * objects. The module needs static TLS already (DF_STATIC_TLS before this
 * change); this adds 40 bytes.
 */
#define ZC_TLS_IE __attribute__((tls_model("initial-exec")))
typedef struct zc_stats_thread {
    zc_stats_tls cur;
    unsigned samples;           /* the async snapshot is refreshed every 16th */
} zc_stats_thread;

extern __thread zc_stats_thread zc_stats_th ZC_TLS_IE;
extern uint64_t zc_stats_gen;   /* bumped in a fork child */

zc_live_shard *zc_stats_shard_slow(zc_stats *s, int *excl);

static inline zc_live_shard *zc_stats_shard(zc_stats *s, int *excl)
{
    zc_stats_tls *t = &zc_stats_th.cur;

    if (__builtin_expect(t->id == s->id
                         && t->gen == __atomic_load_n(&zc_stats_gen, __ATOMIC_RELAXED), 1)) {
        *excl = t->excl;
        return t->shard;
    }
    return zc_stats_shard_slow(s, excl);
}

/* A shard owned by this thread needs no locked instruction. */
static inline void zc_stats_add(uint64_t *p, uint64_t v, int excl)
{
    if (excl)
        __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
    else
        __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

#define ZC_STATS_CELL(s, be, alg, field, v)                                 \
    do {                                                                    \
        int zc_x_;                                                          \
        zc_live_shard *zc_sh_ = zc_stats_shard((s), &zc_x_);                \
        zc_stats_add(&zc_sh_->cell[(be)][(alg)].field, (v), zc_x_);         \
    } while (0)

/* A finished message (final, or a whole TLS record). */
static inline void zc_stats_count_op(zc_stats *s, zc_backend_id be, zc_alg alg)
{
    ZC_STATS_CELL(s, be, alg, ops, 1);
}

/* A finished message and its bytes not counted yet: one shard lookup. */
static inline void zc_stats_count_op_bytes(zc_stats *s, zc_backend_id be, zc_alg alg,
                                           uint64_t bytes)
{
    int excl;
    zc_live_shard *sh = zc_stats_shard(s, &excl);

    zc_stats_add(&sh->cell[be][alg].ops, 1, excl);
    if (bytes != 0)
        zc_stats_add(&sh->cell[be][alg].bytes, bytes, excl);
}

/* n finished messages at once (a pipeline batch). */
static inline void zc_stats_count_ops(zc_stats *s, zc_backend_id be, zc_alg alg, uint64_t n)
{
    ZC_STATS_CELL(s, be, alg, ops, n);
}

/* Counted as processed, so a long stream that never finishes still shows. */
static inline void zc_stats_count_bytes(zc_stats *s, zc_backend_id be, zc_alg alg,
                                        uint64_t bytes)
{
    ZC_STATS_CELL(s, be, alg, bytes, bytes);
}

/* Also feeds the audit log's per-interval burst count (never the data). */
void zc_stats_count_tag_failure(zc_stats *s, zc_backend_id be, zc_alg alg);

static inline void zc_stats_count_key_setup(zc_stats *s, zc_backend_id be, zc_alg alg)
{
    ZC_STATS_CELL(s, be, alg, key_setups, 1);
}

static inline void zc_stats_count_error(zc_stats *s, zc_backend_id be, zc_alg alg)
{
    ZC_STATS_CELL(s, be, alg, errors, 1);
}

uint64_t zc_stats_now_ns(void);

/*
 * Latency sampling: one message in opts.sample_every per cipher ctx, counted
 * down in the ctx (*countdown, zero-initialised) so the hot path touches no
 * thread-local. begin returns 0 (not sampled) or a start time to hand to end
 * with the message's length; end also refreshes the segment's async snapshot
 * now and then.
 */
uint64_t zc_stats_sample_start(const zc_stats *s, unsigned *countdown);
static inline uint64_t zc_stats_sample_begin(const zc_stats *s, unsigned *countdown)
{
    if (__builtin_expect(*countdown > 1, 1)) {
        --*countdown;
        return 0;
    }
    return zc_stats_sample_start(s, countdown);
}
void zc_stats_sample_end(zc_stats *s, zc_backend_id be, zc_alg alg, uint64_t len,
                         uint64_t t0);

/* Provider init: options and health; no segment is made yet. */
void zc_stats_init(zc_stats *s, uint64_t id, const zc_stats_opts *opts);
/* Provider teardown: unmaps and removes this process's segment. */
void zc_stats_close(zc_stats *s);

/*
 * Renders the counters as JSON into buf (always NUL-terminated when
 * bufsize > 0). Returns the length the full document needs, excluding the NUL,
 * like snprintf, so a caller can size a buffer.
 */
size_t zc_stats_to_json(zc_stats *s, const char *active_backend,
                        char *buf, size_t bufsize);

/* Writes the JSON to path, with "%p" in path replaced by the process id. */
int zc_stats_write_file(zc_stats *s, const char *active_backend,
                        const char *path);

#endif
