/*
 * The live segment: one small file per process and provider instance (in
 * /dev/shm unless live_stats_dir or ZCRYPTO_STAT_DIR says otherwise) that
 * the process maps shared and counts into, and that zcrypto-stat reads
 * while the process runs. This header is the file format: the module
 * writes it, the CLI reads it, and the reader trusts none of it (see
 * zc_live_validate).
 *
 * Counters live in per-thread shards: a thread owning a shard adds with a
 * plain load and store (no locked instruction); threads beyond the owned
 * shards share the last one with atomic adds. The reader sums the shards.
 */
#ifndef ZC_LIVE_H
#define ZC_LIVE_H

#include <stddef.h>
#include <stdint.h>
#include "zc_ids.h"

#define ZC_LIVE_MAGIC "ZCLIVE\r\n"
#define ZC_LIVE_VERSION 3u
#define ZC_LIVE_PREFIX "zcrypto."          /* file name: zcrypto.<pid>.<instance> */
#define ZC_LIVE_DEFAULT_DIR "/dev/shm"
#define ZC_LIVE_SHARDS 16u                  /* the last is shared by extra threads */

/* Latency: size classes of one message's data, log2 buckets of ns. */
#define ZC_LIVE_CLASSES 6u                  /* <=64, <=256, <=1K, <=4K, <=16K, more */
#define ZC_LIVE_BUCKETS 22u                 /* le 2^4 .. 2^24 ns, then +Inf */
#define ZC_LIVE_BUCKET_MIN_LOG2 4u
/* Async batch sizes: 1, 2, 3-4, ..., 129-256 requests per engine batch. */
#define ZC_LIVE_BATCH_BUCKETS 9u

typedef struct zc_live_cell {
    uint64_t ops, bytes, tag_failures, errors, key_setups;
} zc_live_cell;

typedef struct zc_live_hist {
    uint64_t bucket[ZC_LIVE_BUCKETS];       /* not cumulative */
    uint64_t sum_ns;
    uint64_t count;
} zc_live_hist;

typedef struct zc_live_shard {
    zc_live_cell cell[ZC_BACKEND_COUNT][ZC_ALG_COUNT];
    zc_live_hist lat[ZC_ALG_COUNT][ZC_LIVE_CLASSES];  /* on the instance's backend */
} __attribute__((aligned(64))) zc_live_shard;

/*
 * The offload path's counters, listed once: the segment's struct, the
 * stats file, zcrypto-stat --json and the scheduler's snapshot all expand
 * this list. workers_*: engine threads replaced (found exited, or stuck on
 * one request); engine_restarts: engines started again after a fork;
 * injected_*: the soak's fault hooks (ZC_TEST_ASYNC_FAULTS).
 */
#define ZC_LIVE_ASYNC_FIELDS(X)                                                          \
    X(offloaded) X(offloaded_batches) X(inline_small) X(inline_urgent) X(inline_nojob) X(inline_busy)        \
    X(timeouts) X(cancels) X(batches) X(wakeups) X(helped) X(engine_completed)          \
    X(breaker_trips) X(breaker_open) X(queue_depth) X(queue_depth_max) X(retries)       \
    X(retry_giveups) X(workers_died) X(workers_hung) X(engine_restarts)                 \
    X(injected_stalls) X(injected_slow) X(injected_fails) X(injected_hangs)             \
    X(injected_deaths)

/* Copied in by the process on sampled ops (and when the segment is made):
 * a snapshot, at most one sample interval old. */
typedef struct zc_live_async {
#define ZC_LIVE_ASYNC_MEMBER(name) uint64_t name;
    ZC_LIVE_ASYNC_FIELDS(ZC_LIVE_ASYNC_MEMBER)
#undef ZC_LIVE_ASYNC_MEMBER
    uint64_t batch_size[ZC_LIVE_BATCH_BUCKETS];
} zc_live_async;

/* The scalar fields by name, in list order, for the writers of JSON. */
typedef struct zc_live_field {
    const char *name;
    size_t offset;
} zc_live_field;
extern const zc_live_field zc_live_async_fields[];
extern const size_t zc_live_async_nfields;

static inline uint64_t zc_live_async_get(const zc_live_async *a, const zc_live_field *f)
{
    return *(const uint64_t *)((const char *)a + f->offset);
}

typedef struct zc_live_health {
    char backend[16];                       /* the active backend */
    char cpu_class[32];
    char selftest_failed[64];               /* backends auto switched off, "," separated */
    uint32_t served[ZC_ALG_COUNT];          /* 1: offered; 0: left to the default */
    char left_why[ZC_ALG_COUNT][96];
} zc_live_health;

typedef struct zc_live_hdr {
    char magic[8];
    uint32_t version;
    uint32_t hdr_size;                      /* sizeof(zc_live_hdr) */
    uint64_t total_size;                    /* hdr_size + nshards * shard_size */
    uint32_t shard_size, nshards;
    uint32_t nbackends, nalgs, nclasses, nbuckets;
    int64_t pid;
    uint32_t uid;
    uint32_t sample_every;                  /* latency: one op in this many */
    uint64_t start_ticks;                   /* /proc/PID/stat starttime: pid reuse */
    uint64_t instance;
    uint64_t created_unix_ns;
    uint64_t async_updated_unix_ns;
    uint64_t shards_taken;                  /* how many threads asked for a shard */
    char comm[32];
    zc_live_health health;
    zc_live_async async;
} __attribute__((aligned(64))) zc_live_hdr;

static inline size_t zc_live_total_size(void)
{
    return sizeof(zc_live_hdr) + (size_t)ZC_LIVE_SHARDS * sizeof(zc_live_shard);
}

static inline zc_live_shard *zc_live_shards(zc_live_hdr *h)
{
    return (zc_live_shard *)((unsigned char *)h + sizeof(zc_live_hdr));
}

/* Size class of a message of len bytes. */
static inline unsigned zc_live_class(uint64_t len)
{
    unsigned c = 0;

    for (uint64_t lim = 64; c + 1 < ZC_LIVE_CLASSES && len > lim; lim <<= 2)
        c++;
    return c;
}

/* Upper bound (le) in bytes of size class c; 0 for the last (unbounded). */
static inline uint64_t zc_live_class_le(unsigned c)
{
    return c + 1 < ZC_LIVE_CLASSES ? (uint64_t)64 << (2 * c) : 0;
}

/* Bucket of a latency of ns nanoseconds: ns <= 2^(b + MIN_LOG2). */
static inline unsigned zc_live_bucket(uint64_t ns)
{
    unsigned b = 0;

    while (b + 1 < ZC_LIVE_BUCKETS && ns > ((uint64_t)1 << (b + ZC_LIVE_BUCKET_MIN_LOG2)))
        b++;
    return b;
}

static inline unsigned zc_live_batch_bucket(uint64_t n)
{
    unsigned b = 0;

    while (b + 1 < ZC_LIVE_BATCH_BUCKETS && n > ((uint64_t)1 << b))
        b++;
    return b;
}

/* ---------------------------------------------------------------- reading */

/* A segment as read from a file, checked and summed over its shards. */
typedef struct zc_live_view {
    zc_live_hdr hdr;                        /* strings NUL-terminated by the reader */
    zc_live_cell cell[ZC_BACKEND_COUNT][ZC_ALG_COUNT];
    zc_live_hist lat[ZC_ALG_COUNT][ZC_LIVE_CLASSES];
} zc_live_view;

/*
 * Checks buf (len bytes, as read from a segment file) and sums it into
 * *out. Returns NULL if it is valid, else a short reason (bad magic,
 * version, sizes, truncated): the reader never trusts the writer.
 */
const char *zc_live_validate(const void *buf, size_t len, zc_live_view *out);

/* /proc/PID/stat's starttime (pid 0: this process), 0 if unknown: with
 * the pid it names a process even after the pid is reused. */
uint64_t zc_live_start_ticks(long pid);

/* Sums a mapped segment's shards (the process's own, trusted). */
void zc_live_sum(const zc_live_hdr *h, zc_live_view *out);

#endif
