/*
 * Per algorithm x backend counters: how a user (and our tests) prove that
 * zcrypto, not a silent fallback, did the work. Relaxed atomics: counters
 * are statistics, never used for control decisions.
 */
#ifndef ZC_STATS_H
#define ZC_STATS_H

#include <stdint.h>
#include <stddef.h>
#include "zc_backend.h"
#include "zc_async.h"

typedef struct zc_stat_cell {
    uint64_t ops;
    uint64_t bytes;
    uint64_t tag_failures;
    uint64_t errors;
    uint64_t key_setups;    /* key expansions: re-keying with the same key adds none */
} zc_stat_cell;

typedef struct zc_stats {
    zc_stat_cell cell[ZC_BACKEND_COUNT][ZC_ALG_COUNT];
    const zc_async *async;  /* its counters are reported too (may be NULL) */
    const char *policy_json; /* JSON members saying what is served and why (may be NULL) */
} zc_stats;

/* A finished message (final, or a whole TLS record). */
static inline void zc_stats_count_op(zc_stats *s, zc_backend_id be, zc_alg alg)
{
    __atomic_fetch_add(&s->cell[be][alg].ops, 1, __ATOMIC_RELAXED);
}

/* n finished messages at once (a pipeline batch). */
static inline void zc_stats_count_ops(zc_stats *s, zc_backend_id be, zc_alg alg, uint64_t n)
{
    __atomic_fetch_add(&s->cell[be][alg].ops, n, __ATOMIC_RELAXED);
}

/* Counted as processed, so a long stream that never finishes still shows. */
static inline void zc_stats_count_bytes(zc_stats *s, zc_backend_id be, zc_alg alg,
                                        uint64_t bytes)
{
    __atomic_fetch_add(&s->cell[be][alg].bytes, bytes, __ATOMIC_RELAXED);
}

static inline void zc_stats_count_tag_failure(zc_stats *s, zc_backend_id be,
                                              zc_alg alg)
{
    __atomic_fetch_add(&s->cell[be][alg].tag_failures, 1, __ATOMIC_RELAXED);
}

static inline void zc_stats_count_key_setup(zc_stats *s, zc_backend_id be, zc_alg alg)
{
    __atomic_fetch_add(&s->cell[be][alg].key_setups, 1, __ATOMIC_RELAXED);
}

static inline void zc_stats_count_error(zc_stats *s, zc_backend_id be,
                                        zc_alg alg)
{
    __atomic_fetch_add(&s->cell[be][alg].errors, 1, __ATOMIC_RELAXED);
}

const char *zc_alg_name(zc_alg alg);

/*
 * Renders the counters as JSON into buf (always NUL-terminated when
 * bufsize > 0). Returns the length the full document needs, excluding the NUL,
 * like snprintf, so a caller can size a buffer.
 */
size_t zc_stats_to_json(const zc_stats *s, const char *active_backend,
                        char *buf, size_t bufsize);

/* Writes the JSON to path, with "%p" in path replaced by the process id. */
int zc_stats_write_file(const zc_stats *s, const char *active_backend,
                        const char *path);

#endif
