/*
 * Counters: the live segment's writer side (made lazily in the process
 * that counts, removed at teardown), the thread-to-shard slow path, and
 * the JSON document (provider param zcrypto-stats, stats_file).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* secure_getenv, program_invocation_short_name */
#endif
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include "zc_stats.h"
#include "zc_audit.h"

__thread zc_stats_thread zc_stats_th ZC_TLS_IE;
/* Threads using a few provider instances in turn keep their shards. */
#define ZC_STATS_TLS_SPARE 3
static __thread zc_stats_tls zc_stats_tls_spare[ZC_STATS_TLS_SPARE];
uint64_t zc_stats_gen = 1;

/* Guards segment creation and teardown (never taken on the hot path). */
static pthread_mutex_t zc_stats_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t zc_stats_once = PTHREAD_ONCE_INIT;
/* Counts with nowhere to go (no memory at all) land here. */
static zc_live_shard zc_stats_sink;
static uint64_t zc_stats_reported_gen;  /* a failure is reported once per process */

static void zc_stats_prefork(void)
{
    pthread_mutex_lock(&zc_stats_lock);
}

static void zc_stats_postfork_parent(void)
{
    pthread_mutex_unlock(&zc_stats_lock);
}

/* The child is another process: it gets its own segment on its first count. */
static void zc_stats_postfork_child(void)
{
    pthread_mutex_unlock(&zc_stats_lock);
    __atomic_fetch_add(&zc_stats_gen, 1, __ATOMIC_RELAXED);
}

static void zc_stats_register_fork(void)
{
    pthread_atfork(zc_stats_prefork, zc_stats_postfork_parent, zc_stats_postfork_child);
}

void zc_stats_init(zc_stats *s, uint64_t id, const zc_stats_opts *opts)
{
    pthread_once(&zc_stats_once, zc_stats_register_fork);
    s->id = id;
    s->opts = *opts;
}

uint64_t zc_stats_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t zc_stats_unix_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void zc_stats_fill_header(zc_stats *s, zc_live_hdr *h)
{
    const char *comm = program_invocation_short_name;

    memcpy(h->magic, ZC_LIVE_MAGIC, sizeof(h->magic));
    h->version = ZC_LIVE_VERSION;
    h->hdr_size = sizeof(zc_live_hdr);
    h->total_size = zc_live_total_size();
    h->shard_size = sizeof(zc_live_shard);
    h->nshards = ZC_LIVE_SHARDS;
    h->nbackends = ZC_BACKEND_COUNT;
    h->nalgs = ZC_ALG_COUNT;
    h->nclasses = ZC_LIVE_CLASSES;
    h->nbuckets = ZC_LIVE_BUCKETS;
    h->pid = getpid();
    h->uid = getuid();
    h->sample_every = s->opts.sample_every;
    h->start_ticks = zc_live_start_ticks(0);
    h->instance = s->id;
    h->created_unix_ns = zc_stats_unix_ns();
    /* nginx rewrites argv[0] ("nginx: worker process"): shown as is, printable. */
    for (size_t i = 0; comm != NULL && comm[i] != '\0' && i + 1 < sizeof(h->comm); i++)
        h->comm[i] = comm[i] >= 0x20 && comm[i] < 0x7f ? comm[i] : '?';
    h->health = s->health;
    if (s->async_read != NULL) {
        s->async_read(s->async_arg, &h->async);
        h->async_updated_unix_ns = h->created_unix_ns;
    }
}

static void zc_stats_report_once(const char *what, const char *path, int err)
{
    uint64_t gen = __atomic_load_n(&zc_stats_gen, __ATOMIC_RELAXED);

    if (zc_stats_reported_gen == gen)
        return;
    zc_stats_reported_gen = gen;
    fprintf(stderr, "zcrypto: live stats (pid %ld, uid %ld): %s %s: %s\n", (long)getpid(),
            (long)getuid(), what, path, strerror(err));
    zc_audit_event("live stats", "%s %s: %s (uid %ld)", what, path, strerror(err),
                   (long)getuid());
}

/* The segment file, made under a dot name and renamed in whole, so a reader
 * never meets a half-written header. */
static zc_live_hdr *zc_stats_create_shared(zc_stats *s)
{
    const char *dir = s->opts.dir;
    char tmp[sizeof(s->seg_path) + 16];
    size_t size = zc_live_total_size();
    zc_live_hdr *h = MAP_FAILED;
    int fd = -1, err;

    if (dir == NULL && (dir = secure_getenv("ZCRYPTO_STAT_DIR")) == NULL)
        dir = ZC_LIVE_DEFAULT_DIR;
    if (snprintf(s->seg_path, sizeof(s->seg_path), "%s/" ZC_LIVE_PREFIX "%ld.%llu", dir,
                 (long)getpid(), (unsigned long long)s->id) >= (int)sizeof(s->seg_path)
        || snprintf(tmp, sizeof(tmp), "%s/." ZC_LIVE_PREFIX "%ld.%llu.tmp", dir,
                    (long)getpid(), (unsigned long long)s->id) >= (int)sizeof(tmp)) {
        zc_stats_report_once("directory name too long:", dir, ENAMETOOLONG);
        return NULL;
    }
    /* A leftover of a dead process that had our pid: ours to replace. */
    unlink(tmp);
    if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
        goto err;
    if (fchmod(fd, s->opts.mode) != 0 || ftruncate(fd, (off_t)size) != 0)
        goto err;
    h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (h == MAP_FAILED)
        goto err;
    zc_stats_fill_header(s, h);
    if (rename(tmp, s->seg_path) != 0)
        goto err;
    close(fd);
    return h;
err:
    err = errno;
    if (h != MAP_FAILED)
        munmap(h, size);
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    zc_stats_report_once("cannot publish counters (kept in private memory; zcrypto-stat "
                         "will not see this process) in", s->seg_path, err);
    return NULL;
}

static void zc_stats_open(zc_stats *s, uint64_t gen)
{
    size_t size = zc_live_total_size();
    zc_live_hdr *h = NULL;

    /* Inherited from the parent: its mapping, not to be written or removed. */
    if (s->seg != NULL)
        munmap(s->seg, size);
    s->seg = NULL;
    s->seg_shared = 0;
    if (s->opts.live && (h = zc_stats_create_shared(s)) != NULL)
        s->seg_shared = 1;
    if (h == NULL) {
        h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (h == MAP_FAILED) {
            zc_stats_report_once("cannot map counters", "(anonymous)", errno);
            h = NULL;
        } else {
            zc_stats_fill_header(s, h);
        }
    }
    s->seg = h;
    s->seg_gen = gen;
}

zc_live_shard *zc_stats_shard_slow(zc_stats *s, int *excl)
{
    uint64_t gen = __atomic_load_n(&zc_stats_gen, __ATOMIC_RELAXED);
    zc_stats_tls got = { s->id, gen, &zc_stats_sink, 0 };
    zc_stats_tls *cur = &zc_stats_th.cur;
    int i;

    for (i = 0; i < ZC_STATS_TLS_SPARE; i++) {
        if (zc_stats_tls_spare[i].id == s->id && zc_stats_tls_spare[i].gen == gen) {
            got = zc_stats_tls_spare[i];
            goto found;
        }
    }
    pthread_mutex_lock(&zc_stats_lock);
    if (s->seg == NULL || s->seg_gen != gen)
        zc_stats_open(s, gen);
    if (s->seg != NULL) {
        uint64_t n = __atomic_fetch_add(&s->seg->shards_taken, 1, __ATOMIC_RELAXED);

        got.excl = n + 1 < ZC_LIVE_SHARDS;
        got.shard = &zc_live_shards(s->seg)[got.excl ? n : ZC_LIVE_SHARDS - 1];
    }
    pthread_mutex_unlock(&zc_stats_lock);
    i = ZC_STATS_TLS_SPARE - 1;
found:
    /* The evicted entry takes the freed slot; the oldest falls off. */
    memmove(&zc_stats_tls_spare[1], &zc_stats_tls_spare[0], (size_t)i * sizeof(*cur));
    zc_stats_tls_spare[0] = *cur;
    *cur = got;
    *excl = got.excl;
    return got.shard;
}

void zc_stats_count_tag_failure(zc_stats *s, zc_backend_id be, zc_alg alg)
{
    ZC_STATS_CELL(s, be, alg, tag_failures, 1);
    zc_audit_tag_failure(zc_alg_name(alg));
}

uint64_t zc_stats_sample_start(const zc_stats *s, unsigned *countdown)
{
    unsigned every = s->opts.sample_every;

    if (every == 0) {
        *countdown = ~0u;
        return 0;
    }
    /* A fresh ctx starts at a point of the cycle its address picks, so the
     * first records of short connections are not all sampled. */
    if (*countdown == 0 && every > 1) {
        *countdown = 1 + (unsigned)(((uintptr_t)countdown >> 6) % every);
        if (*countdown > 1)
            return 0;
    }
    *countdown = every;
    return zc_stats_now_ns();
}

void zc_stats_sample_end(zc_stats *s, zc_backend_id be, zc_alg alg, uint64_t len,
                         uint64_t t0)
{
    uint64_t ns = zc_stats_now_ns() - t0;
    int excl;
    zc_live_shard *sh = zc_stats_shard(s, &excl);
    zc_live_hist *h = &sh->lat[alg][zc_live_class(len)];

    (void)be;
    zc_stats_add(&h->bucket[zc_live_bucket(ns)], 1, excl);
    zc_stats_add(&h->sum_ns, ns, excl);
    zc_stats_add(&h->count, 1, excl);
    /* The async snapshot rides on the samples (no timer thread needed), on
     * a few of them: reading it costs more than the sample itself. */
    if ((zc_stats_th.samples++ & 15) == 0 && s->async_read != NULL && sh != &zc_stats_sink
        && s->seg != NULL) {
        zc_live_async a;

        s->async_read(s->async_arg, &a);
        memcpy(&s->seg->async, &a, sizeof(a));
        __atomic_store_n(&s->seg->async_updated_unix_ns, zc_stats_unix_ns(), __ATOMIC_RELAXED);
    }
}

void zc_stats_close(zc_stats *s)
{
    pthread_mutex_lock(&zc_stats_lock);
    if (s->seg != NULL) {
        if (s->seg_shared && s->seg_gen == __atomic_load_n(&zc_stats_gen, __ATOMIC_RELAXED))
            unlink(s->seg_path);
        munmap(s->seg, zc_live_total_size());
        s->seg = NULL;
    }
    pthread_mutex_unlock(&zc_stats_lock);
}

/* snprintf that keeps counting past the end of buf. */
static size_t zc_append(char *buf, size_t bufsize, size_t pos, const char *fmt,
                        ...)
    __attribute__((format(printf, 4, 5)));

static size_t zc_append(char *buf, size_t bufsize, size_t pos, const char *fmt,
                        ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(pos < bufsize ? buf + pos : NULL,
                  pos < bufsize ? bufsize - pos : 0, fmt, ap);
    va_end(ap);
    return n < 0 ? pos : pos + (size_t)n;
}

/* This process's counters (zero before its first count, e.g. a fresh child). */
static void zc_stats_view(zc_stats *s, zc_live_view *v)
{
    memset(v, 0, sizeof(*v));
    pthread_mutex_lock(&zc_stats_lock);
    if (s->seg != NULL && s->seg_gen == __atomic_load_n(&zc_stats_gen, __ATOMIC_RELAXED))
        zc_live_sum(s->seg, v);
    pthread_mutex_unlock(&zc_stats_lock);
}

size_t zc_stats_to_json(zc_stats *s, const char *active_backend,
                        char *buf, size_t bufsize)
{
    zc_live_view v;
    size_t pos = 0;
    int first = 1;

    if (bufsize > 0)
        buf[0] = '\0';
    zc_stats_view(s, &v);
    pos = zc_append(buf, bufsize, pos, "{\"pid\":%ld,\"backend\":\"%s\",\"live_segment\":\"%s\","
                    "\"stats\":[", (long)getpid(), active_backend,
                    v.hdr.magic[0] != '\0' && s->seg_shared ? s->seg_path : "");
    for (int be = 0; be < ZC_BACKEND_COUNT; be++) {
        for (int alg = 0; alg < ZC_ALG_COUNT; alg++) {
            const zc_live_cell *c = &v.cell[be][alg];

            /* The active backend always appears, so readers find every alg. */
            if (c->ops == 0 && c->tag_failures == 0 && c->errors == 0 && c->key_setups == 0
                && strcmp(zc_backend_name((zc_backend_id)be), active_backend) != 0)
                continue;
            pos = zc_append(buf, bufsize, pos,
                            "%s{\"alg\":\"%s\",\"backend\":\"%s\",\"ops\":%llu,"
                            "\"bytes\":%llu,\"tag_failures\":%llu,\"errors\":%llu,"
                            "\"key_setups\":%llu}",
                            first ? "" : ",", zc_alg_name((zc_alg)alg),
                            zc_backend_name((zc_backend_id)be),
                            (unsigned long long)c->ops, (unsigned long long)c->bytes,
                            (unsigned long long)c->tag_failures,
                            (unsigned long long)c->errors,
                            (unsigned long long)c->key_setups);
            first = 0;
        }
    }
    pos = zc_append(buf, bufsize, pos, "]");
    if (s->policy_json != NULL)
        pos = zc_append(buf, bufsize, pos, ",%s", s->policy_json);
    pos = zc_append(buf, bufsize, pos,
                    ",\"seed\":{\"source\":\"RDSEED\",\"offered\":%s,\"requests\":%llu,"
                    "\"bytes\":%llu,\"retries\":%llu,\"exhausted\":%llu,"
                    "\"rct_failures\":%llu,\"apt_failures\":%llu}",
                    s->seed_offered ? "true" : "false",
                    (unsigned long long)__atomic_load_n(&s->seed.requests, __ATOMIC_RELAXED),
                    (unsigned long long)__atomic_load_n(&s->seed.bytes, __ATOMIC_RELAXED),
                    (unsigned long long)__atomic_load_n(&s->seed.retries, __ATOMIC_RELAXED),
                    (unsigned long long)__atomic_load_n(&s->seed.exhausted, __ATOMIC_RELAXED),
                    (unsigned long long)__atomic_load_n(&s->seed.rct_failures, __ATOMIC_RELAXED),
                    (unsigned long long)__atomic_load_n(&s->seed.apt_failures, __ATOMIC_RELAXED));
    if (s->async_read != NULL) {
        zc_live_async a;

        s->async_read(s->async_arg, &a);
        for (size_t k = 0; k < zc_live_async_nfields; k++)
            pos = zc_append(buf, bufsize, pos, "%s\"%s\":%llu", k ? "," : ",\"async\":{",
                            zc_live_async_fields[k].name,
                            (unsigned long long)zc_live_async_get(&a, &zc_live_async_fields[k]));
        pos = zc_append(buf, bufsize, pos, "}");
    }
    pos = zc_append(buf, bufsize, pos, "}\n");
    return pos;
}

/* Expands "%p" to the pid; a nginx master and its workers each get a file. */
static int zc_stats_expand_path(const char *path, char *out, size_t outsize)
{
    size_t o = 0;

    for (const char *p = path; *p != '\0'; p++) {
        if (p[0] == '%' && p[1] == 'p') {
            int n = snprintf(out + o, outsize - o, "%ld", (long)getpid());

            if (n < 0 || (size_t)n >= outsize - o)
                return 0;
            o += (size_t)n;
            p++;
            continue;
        }
        if (o + 1 >= outsize)
            return 0;
        out[o++] = *p;
    }
    out[o] = '\0';
    return 1;
}

int zc_stats_write_file(zc_stats *s, const char *active_backend,
                        const char *path)
{
    char file[4096], tmp[4200] = "";
    size_t need;
    char *json = NULL;
    FILE *f = NULL;
    int ok = 0, err = ENOMEM;

    if (!zc_stats_expand_path(path, file, sizeof(file))) {
        err = ENAMETOOLONG;
        goto err;
    }
    need = zc_stats_to_json(s, active_backend, NULL, 0) + 1;
    if ((json = OPENSSL_malloc(need)) == NULL)
        goto err;
    zc_stats_to_json(s, active_backend, json, need);
    /* Write then rename: a reader never sees half a document. */
    if (snprintf(tmp, sizeof(tmp), "%s.tmp%ld", file, (long)getpid()) >= (int)sizeof(tmp)) {
        err = ENAMETOOLONG;
        goto err;
    }
    if ((f = fopen(tmp, "w")) == NULL)
        goto err_errno;
    if (fputs(json, f) < 0)
        goto err_errno;
    if (fclose(f) != 0) {
        f = NULL;
        goto err_errno;
    }
    f = NULL;
    if (rename(tmp, file) != 0)
        goto err_errno;
    ok = 1;
    goto err;
err_errno:
    err = errno;
err:
    if (f != NULL)
        fclose(f);
    if (!ok) {
        if (tmp[0] != '\0')
            remove(tmp);
        /* A worker that dropped privileges cannot write where its master
         * could: say so (stderr reaches nginx's error log), never silently. */
        fprintf(stderr, "zcrypto: stats_file: cannot write %s (pid %ld, uid %ld): %s\n",
                path, (long)getpid(), (long)getuid(), strerror(err));
        zc_audit_event("stats_file", "cannot write %s: %s (uid %ld)", path, strerror(err),
                       (long)getuid());
    }
    OPENSSL_free(json);
    return ok;
}
