#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "zc_stats.h"

static const char *const zc_alg_names[ZC_ALG_COUNT] = {
    [ZC_ALG_AES_128_GCM] = "AES-128-GCM",
    [ZC_ALG_AES_192_GCM] = "AES-192-GCM",
    [ZC_ALG_AES_256_GCM] = "AES-256-GCM",
    [ZC_ALG_CHACHA20_POLY1305] = "ChaCha20-Poly1305",
};

const char *zc_alg_name(zc_alg alg)
{
    return (unsigned)alg < ZC_ALG_COUNT ? zc_alg_names[alg] : "?";
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

size_t zc_stats_to_json(const zc_stats *s, const char *active_backend,
                        char *buf, size_t bufsize)
{
    size_t pos = 0;
    int first = 1;

    if (bufsize > 0)
        buf[0] = '\0';
    pos = zc_append(buf, bufsize, pos, "{\"pid\":%ld,\"backend\":\"%s\",\"stats\":[",
                    (long)getpid(), active_backend);
    for (int be = 0; be < ZC_BACKEND_COUNT; be++) {
        for (int alg = 0; alg < ZC_ALG_COUNT; alg++) {
            const zc_stat_cell *c = &s->cell[be][alg];
            uint64_t ops = __atomic_load_n(&c->ops, __ATOMIC_RELAXED);
            uint64_t bytes = __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
            uint64_t tagf = __atomic_load_n(&c->tag_failures, __ATOMIC_RELAXED);
            uint64_t errs = __atomic_load_n(&c->errors, __ATOMIC_RELAXED);
            uint64_t keys = __atomic_load_n(&c->key_setups, __ATOMIC_RELAXED);

            /* The active backend always appears, so readers find every alg. */
            if (ops == 0 && tagf == 0 && errs == 0 && keys == 0
                && strcmp(zc_backend_name((zc_backend_id)be), active_backend) != 0)
                continue;
            pos = zc_append(buf, bufsize, pos,
                            "%s{\"alg\":\"%s\",\"backend\":\"%s\",\"ops\":%llu,"
                            "\"bytes\":%llu,\"tag_failures\":%llu,\"errors\":%llu,"
                            "\"key_setups\":%llu}",
                            first ? "" : ",", zc_alg_name((zc_alg)alg),
                            zc_backend_name((zc_backend_id)be),
                            (unsigned long long)ops, (unsigned long long)bytes,
                            (unsigned long long)tagf, (unsigned long long)errs,
                            (unsigned long long)keys);
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
    if (s->async != NULL) {
        zc_async_stats a;

        zc_async_get_stats(s->async, &a);
        pos = zc_append(buf, bufsize, pos,
                        ",\"async\":{\"offloaded\":%llu,\"inline_small\":%llu,"
                        "\"inline_urgent\":%llu,\"inline_nojob\":%llu,\"inline_busy\":%llu,"
                        "\"timeouts\":%llu,\"cancels\":%llu,\"batches\":%llu,"
                        "\"wakeups\":%llu,\"helped\":%llu,\"engine_completed\":%llu,"
                        "\"breaker_trips\":%llu,\"injected_stalls\":%llu,"
                        "\"injected_slow\":%llu,\"injected_fails\":%llu}",
                        a.offloaded, a.inline_small, a.inline_urgent, a.inline_nojob,
                        a.inline_busy, a.timeouts, a.cancels, a.batches, a.wakeups,
                        a.helped, a.engine_completed, a.breaker_trips, a.injected_stalls,
                        a.injected_slow, a.injected_fails);
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

int zc_stats_write_file(const zc_stats *s, const char *active_backend,
                        const char *path)
{
    char file[4096], tmp[4200];
    size_t need;
    char *json = NULL;
    FILE *f = NULL;
    int ok = 0;

    if (!zc_stats_expand_path(path, file, sizeof(file)))
        return 0;
    need = zc_stats_to_json(s, active_backend, NULL, 0) + 1;
    if ((json = OPENSSL_malloc(need)) == NULL)
        return 0;
    zc_stats_to_json(s, active_backend, json, need);
    /* Write then rename: a reader never sees half a document. */
    if (snprintf(tmp, sizeof(tmp), "%s.tmp%ld", file, (long)getpid()) >= (int)sizeof(tmp))
        goto err;
    if ((f = fopen(tmp, "w")) == NULL)
        goto err;
    if (fputs(json, f) < 0)
        goto err;
    if (fclose(f) != 0) {
        f = NULL;
        goto err;
    }
    f = NULL;
    if (rename(tmp, file) != 0)
        goto err;
    ok = 1;
err:
    if (f != NULL)
        fclose(f);
    if (!ok)
        remove(tmp);
    OPENSSL_free(json);
    return ok;
}
