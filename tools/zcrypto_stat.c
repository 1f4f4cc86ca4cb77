/*
 * zcrypto-stat: the live counters of every process that has zcrypto loaded.
 * See doc/zcrypto-stat.1.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "zc_stat.h"

/* A segment is ~90 KB: anything far larger is not one (and not read). */
#define ZC_STAT_MAX_FILE (4u << 20)

static int zc_stat_parse_name(const char *name, long *pid)
{
    unsigned long long inst;
    char tail;

    if (strncmp(name, ZC_LIVE_PREFIX, strlen(ZC_LIVE_PREFIX)) != 0)
        return 0;
    return sscanf(name + strlen(ZC_LIVE_PREFIX), "%ld.%llu%c", pid, &inst, &tail) == 2
           && *pid > 0;
}

/* Gone, or the pid now belongs to another process than the writer. */
static int zc_stat_is_stale(const zc_live_hdr *h)
{
    unsigned long long now;

    if (kill((pid_t)h->pid, 0) != 0 && errno == ESRCH)
        return 1;
    now = zc_live_start_ticks((long)h->pid);
    return h->start_ticks != 0 && now != 0 && now != h->start_ticks;
}

static int zc_stat_read_file(int dfd, const char *name, unsigned char **buf, size_t *len,
                             const char **why)
{
    struct stat st;
    size_t got = 0;
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    *buf = NULL;
    if (fd < 0) {
        *why = strerror(errno);
        return 0;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > ZC_STAT_MAX_FILE) {
        *why = "not a regular file of a plausible size";
        goto err;
    }
    /* Read, not map: a file truncated under us must not raise SIGBUS. */
    if ((*buf = malloc((size_t)st.st_size + 1)) == NULL) {
        *why = "out of memory";
        goto err;
    }
    while (got <= (size_t)st.st_size) {
        ssize_t n = read(fd, *buf + got, (size_t)st.st_size + 1 - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *why = strerror(errno);
            goto err;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    *len = got;
    return 1;
err:
    free(*buf);
    *buf = NULL;
    close(fd);
    return 0;
}

int zc_stat_collect(const char *dir, long pid, zc_stat_set *out)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    out->n = 0;
    if (d == NULL) {
        fprintf(stderr, "zcrypto-stat: cannot open %s: %s\n", dir, strerror(errno));
        return 0;
    }
    while ((de = readdir(d)) != NULL) {
        unsigned char *buf;
        size_t len;
        const char *why;
        long fpid;
        zc_stat_proc *p;

        if (!zc_stat_parse_name(de->d_name, &fpid) || (pid > 0 && fpid != pid))
            continue;
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 16;
            zc_stat_proc *np = realloc(out->p, cap * sizeof(*np));

            if (np == NULL)
                break;
            out->p = np;
            out->cap = cap;
        }
        p = &out->p[out->n];
        if (!zc_stat_read_file(dirfd(d), de->d_name, &buf, &len, &why)) {
            fprintf(stderr, "zcrypto-stat: skipping %s/%s: %s\n", dir, de->d_name, why);
            continue;
        }
        why = zc_live_validate(buf, len, &p->v);
        free(buf);
        if (why == NULL && p->v.hdr.pid != fpid)
            why = "pid in the file does not match its name";
        if (why != NULL) {
            fprintf(stderr, "zcrypto-stat: skipping %s/%s: corrupt segment (%s)\n", dir,
                    de->d_name, why);
            continue;
        }
        if (zc_stat_is_stale(&p->v.hdr)) {
            if (unlinkat(dirfd(d), de->d_name, 0) == 0)
                fprintf(stderr, "zcrypto-stat: removed %s/%s: process %ld is gone\n", dir,
                        de->d_name, fpid);
            else
                fprintf(stderr, "zcrypto-stat: %s/%s is stale (process %ld is gone) but "
                        "cannot be removed: %s\n", dir, de->d_name, fpid, strerror(errno));
            continue;
        }
        snprintf(p->file, sizeof(p->file), "%s/%s", dir, de->d_name);
        out->n++;
    }
    closedir(d);
    return 1;
}

void zc_stat_set_free(zc_stat_set *s)
{
    free(s->p);
    memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------ table */

static const zc_stat_proc *zc_stat_find(const zc_stat_set *s, const zc_live_hdr *h)
{
    for (size_t i = 0; s != NULL && i < s->n; i++)
        if (s->p[i].v.hdr.pid == h->pid && s->p[i].v.hdr.instance == h->instance)
            return &s->p[i];
    return NULL;
}

static void zc_stat_table(FILE *f, const zc_stat_set *now, const zc_stat_set *prev,
                          double secs)
{
    fprintf(f, "%-8s %-24s %-9s %-18s %12s %10s %14s %14s\n", "PID", "COMMAND", "BACKEND",
            "ALG", "OPS/S", "MB/S", "OPS", "BYTES");
    for (size_t i = 0; i < now->n; i++) {
        const zc_live_view *v = &now->p[i].v;
        const zc_stat_proc *old = zc_stat_find(prev, &v->hdr);
        int shown = 0;

        for (unsigned be = 0; be < ZC_BACKEND_COUNT; be++) {
            for (unsigned a = 0; a < ZC_ALG_COUNT; a++) {
                const zc_live_cell *c = &v->cell[be][a];
                const zc_live_cell *o = old != NULL ? &old->v.cell[be][a] : NULL;
                double ops = 0, mb = 0;

                if (c->ops == 0 && c->bytes == 0 && c->key_setups == 0)
                    continue;
                if (o != NULL && secs > 0) {
                    ops = (double)(c->ops - o->ops) / secs;
                    mb = (double)(c->bytes - o->bytes) / secs / 1e6;
                }
                fprintf(f, "%-8lld %-24.24s %-9s %-18s %12.0f %10.2f %14llu %14llu\n",
                        (long long)v->hdr.pid, v->hdr.comm, zc_backend_name(be),
                        zc_alg_name(a), ops, mb, (unsigned long long)c->ops,
                        (unsigned long long)c->bytes);
                shown = 1;
            }
        }
        if (!shown)
            fprintf(f, "%-8lld %-24.24s %-9s %-18s %12s %10s %14s %14s\n",
                    (long long)v->hdr.pid, v->hdr.comm, v->hdr.health.backend, "-", "0",
                    "0.00", "0", "0");
    }
}

/* ------------------------------------------------------------ JSON */

static void zc_stat_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void zc_stat_json(FILE *f, const zc_stat_set *s)
{
    fprintf(f, "[");
    for (size_t i = 0; i < s->n; i++) {
        const zc_live_view *v = &s->p[i].v;
        const zc_live_async *as = &v->hdr.async;
        int first = 1;

        fprintf(f, "%s\n{\"pid\":%lld,\"instance\":%llu,\"uid\":%u,\"command\":", i ? "," : "",
                (long long)v->hdr.pid, (unsigned long long)v->hdr.instance, v->hdr.uid);
        zc_stat_json_str(f, v->hdr.comm);
        fprintf(f, ",\"segment\":");
        zc_stat_json_str(f, s->p[i].file);
        fprintf(f, ",\"backend\":");
        zc_stat_json_str(f, v->hdr.health.backend);
        fprintf(f, ",\"cpu_class\":");
        zc_stat_json_str(f, v->hdr.health.cpu_class);
        fprintf(f, ",\"selftest_failed\":");
        zc_stat_json_str(f, v->hdr.health.selftest_failed);
        fprintf(f, ",\"latency_sample\":%u,\"stats\":[", v->hdr.sample_every);
        for (unsigned be = 0; be < ZC_BACKEND_COUNT; be++) {
            for (unsigned a = 0; a < ZC_ALG_COUNT; a++) {
                const zc_live_cell *c = &v->cell[be][a];

                if (c->ops == 0 && c->bytes == 0 && c->tag_failures == 0 && c->errors == 0
                    && c->key_setups == 0)
                    continue;
                fprintf(f, "%s{\"alg\":\"%s\",\"backend\":\"%s\",\"ops\":%llu,\"bytes\":%llu,"
                        "\"tag_failures\":%llu,\"errors\":%llu,\"key_setups\":%llu}",
                        first ? "" : ",", zc_alg_name(a), zc_backend_name(be),
                        (unsigned long long)c->ops, (unsigned long long)c->bytes,
                        (unsigned long long)c->tag_failures, (unsigned long long)c->errors,
                        (unsigned long long)c->key_setups);
                first = 0;
            }
        }
        fprintf(f, "],\"served\":[");
        first = 1;
        for (unsigned a = 0; a < ZC_ALG_COUNT; a++) {
            fprintf(f, "%s{\"alg\":\"%s\",\"served\":%s,\"why\":", first ? "" : ",",
                    zc_alg_name(a), v->hdr.health.served[a] ? "true" : "false");
            zc_stat_json_str(f, v->hdr.health.left_why[a]);
            fputc('}', f);
            first = 0;
        }
        fprintf(f, "],\"latency\":[");
        first = 1;
        for (unsigned a = 0; a < ZC_ALG_COUNT; a++) {
            for (unsigned c = 0; c < ZC_LIVE_CLASSES; c++) {
                const zc_live_hist *h = &v->lat[a][c];

                if (h->count == 0)
                    continue;
                fprintf(f, "%s{\"alg\":\"%s\",\"size_le\":%llu,\"count\":%llu,\"sum_ns\":%llu,"
                        "\"buckets\":[", first ? "" : ",", zc_alg_name(a),
                        (unsigned long long)zc_live_class_le(c),
                        (unsigned long long)h->count, (unsigned long long)h->sum_ns);
                for (unsigned b = 0; b < ZC_LIVE_BUCKETS; b++)
                    fprintf(f, "%s%llu", b ? "," : "", (unsigned long long)h->bucket[b]);
                fprintf(f, "]}");
                first = 0;
            }
        }
        fprintf(f, "],\"async\":{");
        for (size_t k = 0; k < zc_live_async_nfields; k++)
            fprintf(f, "%s\"%s\":%llu", k ? "," : "", zc_live_async_fields[k].name,
                    (unsigned long long)zc_live_async_get(as, &zc_live_async_fields[k]));
        fprintf(f, "}}");
    }
    fprintf(f, "\n]\n");
}

/* ------------------------------------------------------------ main */

static void zc_stat_usage(FILE *f)
{
    fprintf(f, "usage: zcrypto-stat [--dir DIR] [--pid N] [--interval SECONDS]\n"
               "                    [--watch [SECONDS] [--count N] | --json | --prometheus |\n"
               "                     --listen [IP:]PORT]\n");
}

static int zc_stat_number(const char *opt, const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
        fprintf(stderr, "zcrypto-stat: %s: '%s' is not a number in %ld..%ld\n", opt, s, min,
                max);
        return 0;
    }
    *out = v;
    return 1;
}

int main(int argc, char **argv)
{
    const char *dir = getenv("ZCRYPTO_STAT_DIR"), *listen_addr = NULL;
    long pid = -1, interval = 1, watch = 0, count = 0;
    enum { TABLE, JSON, PROM, LISTEN } mode = TABLE;
    zc_stat_set now = { 0 }, prev = { 0 };
    int rc = 0;

    if (dir == NULL || dir[0] == '\0')
        dir = ZC_LIVE_DEFAULT_DIR;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--dir") == 0 && next != NULL) {
            dir = argv[++i];
        } else if (strcmp(a, "--pid") == 0 && next != NULL) {
            if (!zc_stat_number(a, argv[++i], 1, 0x7fffffffL, &pid))
                return 2;
        } else if (strcmp(a, "--interval") == 0 && next != NULL) {
            if (!zc_stat_number(a, argv[++i], 0, 3600, &interval))
                return 2;
        } else if (strcmp(a, "--watch") == 0) {
            watch = 2;
            if (next != NULL && next[0] != '-' && !zc_stat_number(a, argv[++i], 1, 3600, &watch))
                return 2;
        } else if (strcmp(a, "--count") == 0 && next != NULL) {
            if (!zc_stat_number(a, argv[++i], 1, 1000000, &count))
                return 2;
        } else if (strcmp(a, "--json") == 0) {
            mode = JSON;
        } else if (strcmp(a, "--prometheus") == 0) {
            mode = PROM;
        } else if (strcmp(a, "--listen") == 0 && next != NULL) {
            mode = LISTEN;
            listen_addr = argv[++i];
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            zc_stat_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "zcrypto-stat: unknown or incomplete option '%s'\n", a);
            zc_stat_usage(stderr);
            return 2;
        }
    }
    if (mode == LISTEN)
        return zc_stat_listen(listen_addr, dir, pid);
    if (!zc_stat_collect(dir, pid, &now))
        return 1;
    if (mode == JSON) {
        zc_stat_json(stdout, &now);
    } else if (mode == PROM) {
        zc_stat_prometheus(stdout, &now);
    } else {
        /* Rates need two samples: the first is taken now, the next after
         * the interval (the watch period when watching). */
        long period = watch ? watch : interval;

        for (long round = 0; count == 0 || round < count; round++) {
            zc_stat_set t = prev;

            prev = now;
            now = t;
            if (period > 0)
                sleep((unsigned)period);
            if (!zc_stat_collect(dir, pid, &now)) {
                rc = 1;
                break;
            }
            if (watch && isatty(STDOUT_FILENO))
                fputs("\033[H\033[2J", stdout);
            if (watch)
                printf("zcrypto-stat: %s, every %lds (%zu processes)\n", dir, watch, now.n);
            zc_stat_table(stdout, &now, &prev, (double)period);
            fflush(stdout);
            if (!watch)
                break;
        }
    }
    zc_stat_set_free(&now);
    zc_stat_set_free(&prev);
    return rc;
}
