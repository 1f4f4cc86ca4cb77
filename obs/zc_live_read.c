/*
 * Reading a live segment: shared by the module (its own counters, for the
 * stats JSON) and zcrypto-stat (anyone's, so nothing in it is trusted).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "zc_live.h"

const zc_live_field zc_live_async_fields[] = {
#define ZC_LIVE_ASYNC_NAME(name) { #name, offsetof(zc_live_async, name) },
    ZC_LIVE_ASYNC_FIELDS(ZC_LIVE_ASYNC_NAME)
#undef ZC_LIVE_ASYNC_NAME
};
const size_t zc_live_async_nfields = sizeof(zc_live_async_fields) / sizeof(zc_live_async_fields[0]);

static uint64_t zc_live_load(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void zc_live_add_shard(const zc_live_shard *sh, zc_live_view *out)
{
    for (unsigned be = 0; be < ZC_BACKEND_COUNT; be++) {
        for (unsigned alg = 0; alg < ZC_ALG_COUNT; alg++) {
            const zc_live_cell *c = &sh->cell[be][alg];
            zc_live_cell *o = &out->cell[be][alg];

            o->ops += zc_live_load(&c->ops);
            o->bytes += zc_live_load(&c->bytes);
            o->tag_failures += zc_live_load(&c->tag_failures);
            o->errors += zc_live_load(&c->errors);
            o->key_setups += zc_live_load(&c->key_setups);
        }
    }
    for (unsigned alg = 0; alg < ZC_ALG_COUNT; alg++) {
        for (unsigned c = 0; c < ZC_LIVE_CLASSES; c++) {
            const zc_live_hist *h = &sh->lat[alg][c];
            zc_live_hist *o = &out->lat[alg][c];

            for (unsigned b = 0; b < ZC_LIVE_BUCKETS; b++)
                o->bucket[b] += zc_live_load(&h->bucket[b]);
            o->sum_ns += zc_live_load(&h->sum_ns);
            o->count += zc_live_load(&h->count);
        }
    }
}

/* Each fixed-size string ends inside its field, whatever the writer did. */
static void zc_live_terminate(zc_live_hdr *h)
{
    h->comm[sizeof(h->comm) - 1] = '\0';
    h->health.backend[sizeof(h->health.backend) - 1] = '\0';
    h->health.cpu_class[sizeof(h->health.cpu_class) - 1] = '\0';
    h->health.selftest_failed[sizeof(h->health.selftest_failed) - 1] = '\0';
    for (unsigned a = 0; a < ZC_ALG_COUNT; a++)
        h->health.left_why[a][sizeof(h->health.left_why[a]) - 1] = '\0';
}

uint64_t zc_live_start_ticks(long pid)
{
    char path[64], buf[1024], *p;
    unsigned long long ticks = 0;
    ssize_t n;
    int fd;

    if (pid > 0)
        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    else
        snprintf(path, sizeof(path), "/proc/self/stat");
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* The command may hold spaces and parentheses: count from the last ')'. */
    if ((p = strrchr(buf, ')')) == NULL)
        return 0;
    for (int field = 2; field < 22 && p != NULL; field++)
        p = strchr(p + 1, ' ');
    if (p == NULL || sscanf(p + 1, "%llu", &ticks) != 1)
        return 0;
    return ticks;
}

void zc_live_sum(const zc_live_hdr *h, zc_live_view *out)
{
    const zc_live_shard *sh = (const zc_live_shard *)((const unsigned char *)h + sizeof(*h));

    memset(out, 0, sizeof(*out));
    memcpy(&out->hdr, h, sizeof(*h));
    zc_live_terminate(&out->hdr);
    for (unsigned i = 0; i < ZC_LIVE_SHARDS; i++)
        zc_live_add_shard(&sh[i], out);
}

/* The header checks, on the aligned copy in h. */
static const char *zc_live_check_hdr(const zc_live_hdr *h, size_t len)
{
    if (memcmp(h->magic, ZC_LIVE_MAGIC, sizeof(h->magic)) != 0)
        return "bad magic";
    if (h->version != ZC_LIVE_VERSION)
        return "unsupported version";
    if (len < sizeof(zc_live_hdr))
        return "truncated header";
    if (h->hdr_size != sizeof(zc_live_hdr) || h->shard_size != sizeof(zc_live_shard)
        || h->nshards != ZC_LIVE_SHARDS || h->nbackends != ZC_BACKEND_COUNT
        || h->nalgs != ZC_ALG_COUNT || h->nclasses != ZC_LIVE_CLASSES
        || h->nbuckets != ZC_LIVE_BUCKETS)
        return "layout fields do not match this reader";
    if (h->total_size != zc_live_total_size())
        return "bad total size";
    if (len != h->total_size)
        return "truncated or oversized file";
    if (h->pid <= 0)
        return "bad pid";
    return NULL;
}

/* buf is anyone's bytes at any alignment (a file read into a heap
 * buffer), so every field is read from an aligned copy, never in place. */
const char *zc_live_validate(const void *buf, size_t len, zc_live_view *out)
{
    const unsigned char *base = buf;
    const char *why;
    zc_live_shard sh;

    memset(out, 0, sizeof(*out));
    if (len < sizeof(out->hdr.magic) + sizeof(out->hdr.version))
        return "truncated (no header)";
    memcpy(&out->hdr, base, len < sizeof(out->hdr) ? len : sizeof(out->hdr));
    if ((why = zc_live_check_hdr(&out->hdr, len)) != NULL) {
        memset(out, 0, sizeof(*out));
        return why;
    }
    zc_live_terminate(&out->hdr);
    for (unsigned i = 0; i < ZC_LIVE_SHARDS; i++) {
        memcpy(&sh, base + sizeof(zc_live_hdr) + (size_t)i * sizeof(zc_live_shard), sizeof(sh));
        zc_live_add_shard(&sh, out);
    }
    return NULL;
}
