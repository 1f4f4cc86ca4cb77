/*
 * zcrypto-stat's Prometheus text exposition (format 0.0.4) and the small
 * HTTP server behind --listen.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include "zc_stat.h"

/* Label values: backslash, quote and newline escaped, as the format says. */
static void zc_prom_label(FILE *f, const char *name, const char *v, int first)
{
    fprintf(f, "%s%s=\"", first ? "" : ",", name);
    for (; *v != '\0'; v++) {
        if (*v == '\\' || *v == '"')
            fprintf(f, "\\%c", *v);
        else if (*v == '\n')
            fputs("\\n", f);
        else
            fputc(*v, f);
    }
    fputc('"', f);
}

/* Opens a sample: name{pid="..",[alg="..",]backend=".." (more labels and
 * the closing "} value" follow). */
static void zc_prom_open(FILE *f, const char *name, const char *suffix, const zc_live_hdr *h,
                         const char *alg, const char *backend)
{
    char pid[24];

    snprintf(pid, sizeof(pid), "%lld", (long long)h->pid);
    fprintf(f, "%s%s{", name, suffix);
    zc_prom_label(f, "pid", pid, 1);
    if (alg != NULL)
        zc_prom_label(f, "alg", alg, 0);
    zc_prom_label(f, "backend", backend != NULL ? backend : h->health.backend, 0);
}

static void zc_prom_head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Per alg x backend counters, one family at a time (a family's samples
 * must be contiguous). */
static void zc_prom_cells(FILE *f, const zc_stat_set *s, const char *name, const char *help,
                          size_t field)
{
    zc_prom_head(f, name, "counter", help);
    for (size_t i = 0; i < s->n; i++) {
        const zc_live_view *v = &s->p[i].v;

        for (unsigned be = 0; be < ZC_BACKEND_COUNT; be++) {
            for (unsigned a = 0; a < ZC_ALG_COUNT; a++) {
                const zc_live_cell *c = &v->cell[be][a];

                /* The active backend always shows; others once they counted. */
                if (c->ops == 0 && c->bytes == 0 && c->tag_failures == 0 && c->errors == 0
                    && c->key_setups == 0
                    && strcmp(zc_backend_name(be), v->hdr.health.backend) != 0)
                    continue;
                zc_prom_open(f, name, "", &v->hdr, zc_alg_name(a), zc_backend_name(be));
                fprintf(f, "} %llu\n",
                        (unsigned long long)*(const uint64_t *)((const char *)c + field));
            }
        }
    }
}

static void zc_prom_latency(FILE *f, const zc_stat_set *s)
{
    const char *name = "zcrypto_message_latency_seconds";

    zc_prom_head(f, name, "histogram",
                 "Time from a message's start to its tag, sampled (one in latency_sample "
                 "per thread), by size class of the message (size_le bytes).");
    for (size_t i = 0; i < s->n; i++) {
        const zc_live_view *v = &s->p[i].v;

        for (unsigned a = 0; a < ZC_ALG_COUNT; a++) {
            for (unsigned c = 0; c < ZC_LIVE_CLASSES; c++) {
                const zc_live_hist *h = &v->lat[a][c];
                unsigned long long cum = 0;
                char size[24];

                if (h->count == 0)
                    continue;
                if (zc_live_class_le(c) != 0)
                    snprintf(size, sizeof(size), "%llu", (unsigned long long)zc_live_class_le(c));
                else
                    snprintf(size, sizeof(size), "+Inf");
                for (unsigned b = 0; b < ZC_LIVE_BUCKETS; b++) {
                    char le[32];

                    cum += h->bucket[b];
                    if (b + 1 < ZC_LIVE_BUCKETS)
                        snprintf(le, sizeof(le), "%.9g",
                                 (double)(1ull << (b + ZC_LIVE_BUCKET_MIN_LOG2)) * 1e-9);
                    else
                        snprintf(le, sizeof(le), "+Inf");
                    zc_prom_open(f, name, "_bucket", &v->hdr, zc_alg_name(a), NULL);
                    zc_prom_label(f, "size_le", size, 0);
                    zc_prom_label(f, "le", le, 0);
                    fprintf(f, "} %llu\n", cum);
                }
                zc_prom_open(f, name, "_sum", &v->hdr, zc_alg_name(a), NULL);
                zc_prom_label(f, "size_le", size, 0);
                fprintf(f, "} %.9f\n", (double)h->sum_ns * 1e-9);
                zc_prom_open(f, name, "_count", &v->hdr, zc_alg_name(a), NULL);
                zc_prom_label(f, "size_le", size, 0);
                fprintf(f, "} %llu\n", (unsigned long long)h->count);
            }
        }
    }
}

/* One sample per process of an async field (counter or gauge). */
static void zc_prom_async(FILE *f, const zc_stat_set *s, const char *name, const char *type,
                          const char *help, size_t field, const char *reason)
{
    if (help != NULL)
        zc_prom_head(f, name, type, help);
    for (size_t i = 0; i < s->n; i++) {
        const zc_live_view *v = &s->p[i].v;

        zc_prom_open(f, name, "", &v->hdr, NULL, NULL);
        if (reason != NULL)
            zc_prom_label(f, "reason", reason, 0);
        fprintf(f, "} %llu\n",
                (unsigned long long)*(const uint64_t *)((const char *)&v->hdr.async + field));
    }
}

static void zc_prom_batches(FILE *f, const zc_stat_set *s)
{
    const char *name = "zcrypto_async_batch_size";

    zc_prom_head(f, name, "histogram", "Requests per offload engine batch.");
    for (size_t i = 0; i < s->n; i++) {
        const zc_live_view *v = &s->p[i].v;
        unsigned long long cum = 0;

        for (unsigned b = 0; b < ZC_LIVE_BATCH_BUCKETS; b++) {
            char le[16];

            cum += v->hdr.async.batch_size[b];
            if (b + 1 < ZC_LIVE_BATCH_BUCKETS)
                snprintf(le, sizeof(le), "%u", 1u << b);
            else
                snprintf(le, sizeof(le), "+Inf");
            zc_prom_open(f, name, "_bucket", &v->hdr, NULL, NULL);
            zc_prom_label(f, "le", le, 0);
            fprintf(f, "} %llu\n", cum);
        }
        /* Every completed request ran in exactly one batch. */
        zc_prom_open(f, name, "_sum", &v->hdr, NULL, NULL);
        fprintf(f, "} %llu\n", (unsigned long long)v->hdr.async.engine_completed);
        zc_prom_open(f, name, "_count", &v->hdr, NULL, NULL);
        fprintf(f, "} %llu\n", cum);
    }
}

static void zc_prom_health(FILE *f, const zc_stat_set *s)
{
    zc_prom_head(f, "zcrypto_info", "gauge",
                 "A live process with zcrypto loaded: its command, backend and CPU class.");
    for (size_t i = 0; i < s->n; i++) {
        const zc_live_hdr *h = &s->p[i].v.hdr;

        zc_prom_open(f, "zcrypto_info", "", h, NULL, NULL);
        zc_prom_label(f, "command", h->comm, 0);
        zc_prom_label(f, "cpu_class", h->health.cpu_class, 0);
        fputs("} 1\n", f);
    }
    zc_prom_head(f, "zcrypto_served", "gauge",
                 "1: zcrypto offers the algorithm; 0: left to the default provider (reason).");
    for (size_t i = 0; i < s->n; i++) {
        const zc_live_hdr *h = &s->p[i].v.hdr;

        for (unsigned a = 0; a < ZC_ALG_COUNT; a++) {
            zc_prom_open(f, "zcrypto_served", "", h, zc_alg_name(a), NULL);
            zc_prom_label(f, "reason", h->health.served[a] ? "" : h->health.left_why[a], 0);
            fprintf(f, "} %u\n", h->health.served[a] ? 1u : 0u);
        }
    }
    zc_prom_head(f, "zcrypto_selftest_failed", "gauge",
                 "A backend switched off at load because its known-answer test failed.");
    for (size_t i = 0; i < s->n; i++) {
        const zc_live_hdr *h = &s->p[i].v.hdr;
        char list[sizeof(h->health.selftest_failed)], *save = NULL;

        memcpy(list, h->health.selftest_failed, sizeof(list));
        for (char *be = strtok_r(list, ",", &save); be != NULL; be = strtok_r(NULL, ",", &save)) {
            zc_prom_open(f, "zcrypto_selftest_failed", "", h, NULL, be);
            fputs("} 1\n", f);
        }
    }
}

#define ZC_AS(field) offsetof(zc_live_async, field)
#define ZC_CELL(field) offsetof(zc_live_cell, field)

void zc_stat_prometheus(FILE *f, const zc_stat_set *s)
{
    zc_prom_cells(f, s, "zcrypto_ops_total", "Messages finished (final or a whole TLS record).",
                  ZC_CELL(ops));
    zc_prom_cells(f, s, "zcrypto_bytes_total", "Bytes encrypted or decrypted.", ZC_CELL(bytes));
    zc_prom_cells(f, s, "zcrypto_tag_failures_total", "Messages whose tag did not verify.",
                  ZC_CELL(tag_failures));
    zc_prom_cells(f, s, "zcrypto_errors_total", "Backend operations that failed.",
                  ZC_CELL(errors));
    zc_prom_cells(f, s, "zcrypto_key_setups_total", "Key expansions.", ZC_CELL(key_setups));
    zc_prom_latency(f, s);
    zc_prom_async(f, s, "zcrypto_async_offloaded_total", "counter",
                  "Updates handed to the offload engine.", ZC_AS(offloaded), NULL);
    zc_prom_async(f, s, "zcrypto_async_offloaded_batches_total", "counter",
                  "Of those, pipeline bursts handed over as one request.",
                  ZC_AS(offloaded_batches), NULL);
    zc_prom_async(f, s, "zcrypto_async_inline_total", "counter",
                  "Updates run inline, by reason.", ZC_AS(inline_small), "small");
    zc_prom_async(f, s, "zcrypto_async_inline_total", NULL, NULL, ZC_AS(inline_urgent), "urgent");
    zc_prom_async(f, s, "zcrypto_async_inline_total", NULL, NULL, ZC_AS(inline_nojob), "nojob");
    zc_prom_async(f, s, "zcrypto_async_inline_total", NULL, NULL, ZC_AS(inline_busy), "busy");
    zc_prom_async(f, s, "zcrypto_async_timeouts_total", "counter",
                  "Offloaded requests that missed op_timeout_us and ran inline.",
                  ZC_AS(timeouts), NULL);
    zc_prom_async(f, s, "zcrypto_async_cancels_total", "counter",
                  "Offloaded requests cancelled (ctx or wait ctx freed).", ZC_AS(cancels), NULL);
    zc_prom_async(f, s, "zcrypto_async_wakeups_total", "counter",
                  "Wake-ups of paused jobs.", ZC_AS(wakeups), NULL);
    zc_prom_async(f, s, "zcrypto_async_helped_total", "counter",
                  "Batches run by a waiting caller instead of an engine thread.",
                  ZC_AS(helped), NULL);
    zc_prom_async(f, s, "zcrypto_async_retries_total", "counter",
                  "Refused submits retried after a backoff (retry_max, retry_backoff_us).",
                  ZC_AS(retries), NULL);
    zc_prom_async(f, s, "zcrypto_async_retry_giveups_total", "counter",
                  "Submits still refused after retry_max retries: run inline.",
                  ZC_AS(retry_giveups), NULL);
    zc_prom_async(f, s, "zcrypto_async_breaker_trips_total", "counter",
                  "Times the circuit breaker opened.", ZC_AS(breaker_trips), NULL);
    zc_prom_async(f, s, "zcrypto_async_workers_replaced_total", "counter",
                  "Offload engine threads replaced by the watchdog, by reason.",
                  ZC_AS(workers_died), "exited");
    zc_prom_async(f, s, "zcrypto_async_workers_replaced_total", NULL, NULL,
                  ZC_AS(workers_hung), "stuck");
    zc_prom_async(f, s, "zcrypto_async_engine_restarts_total", "counter",
                  "Offload engines started again in a forked child.", ZC_AS(engine_restarts),
                  NULL);
    zc_prom_async(f, s, "zcrypto_async_breaker_open", "gauge",
                  "1 while the circuit breaker is open (work runs inline).",
                  ZC_AS(breaker_open), NULL);
    zc_prom_async(f, s, "zcrypto_async_queue_depth", "gauge",
                  "Requests waiting for the engine at the last snapshot.", ZC_AS(queue_depth),
                  NULL);
    zc_prom_async(f, s, "zcrypto_async_queue_depth_max", "gauge",
                  "Most requests ever waiting for the engine.", ZC_AS(queue_depth_max), NULL);
    zc_prom_batches(f, s);
    zc_prom_health(f, s);
}

/* ------------------------------------------------------------ --listen */

static volatile sig_atomic_t zc_stat_stop;

static void zc_stat_on_signal(int sig)
{
    (void)sig;
    zc_stat_stop = 1;
}

/* "PORT" (loopback), "IPv4:PORT" or "[IPv6]:PORT"; anything else is refused. */
static int zc_stat_parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[64];
    const char *colon, *port_s;
    char *end;
    long port;

    memset(ss, 0, sizeof(*ss));
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');

        if (close == NULL || close[1] != ':' || (size_t)(close - spec - 1) >= sizeof(host))
            return 0;
        memcpy(host, spec + 1, (size_t)(close - spec - 1));
        host[close - spec - 1] = '\0';
        port_s = close + 2;
    } else if ((colon = strrchr(spec, ':')) != NULL) {
        if ((size_t)(colon - spec) >= sizeof(host) || strchr(spec, ':') != colon)
            return 0;
        memcpy(host, spec, (size_t)(colon - spec));
        host[colon - spec] = '\0';
        port_s = colon + 1;
    } else {
        strcpy(host, "127.0.0.1");
        port_s = spec;
    }
    errno = 0;
    port = strtol(port_s, &end, 10);
    if (port_s[0] == '\0' || *end != '\0' || errno != 0 || port < 1 || port > 65535)
        return 0;
    if (spec[0] == '[') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

        if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
            return 0;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*a6);
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

        if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
            return 0;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *len = sizeof(*a4);
    }
    return 1;
}

static void zc_stat_serve_one(int c, const char *dir, long pid)
{
    struct timeval tv = { 2, 0 };
    char req[2048];
    size_t got = 0;
    zc_stat_set s = { 0 };
    char *body = NULL;
    size_t body_len = 0;
    FILE *mf;
    char head[256];
    int n;

    /* A slow or silent client cannot hold the (single-threaded) server. */
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    while (got + 1 < sizeof(req)) {
        ssize_t r = recv(c, req + got, sizeof(req) - 1 - got, 0);

        if (r <= 0)
            break;
        got += (size_t)r;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
            break;
    }
    req[got] = '\0';
    if (strncmp(req, "GET ", 4) != 0 && strncmp(req, "HEAD ", 5) != 0) {
        static const char bad[] = "HTTP/1.0 405 Method Not Allowed\r\nContent-Length: 0\r\n"
                                  "Connection: close\r\n\r\n";

        (void)!send(c, bad, sizeof(bad) - 1, MSG_NOSIGNAL);
        return;
    }
    if ((mf = open_memstream(&body, &body_len)) == NULL)
        return;
    zc_stat_collect(dir, pid, &s);
    zc_stat_prometheus(mf, &s);
    fclose(mf);
    zc_stat_set_free(&s);
    n = snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\nContent-Type: text/plain; "
                 "version=0.0.4; charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                 body_len);
    (void)!send(c, head, (size_t)n, MSG_NOSIGNAL);
    if (strncmp(req, "GET ", 4) == 0)
        (void)!send(c, body, body_len, MSG_NOSIGNAL);
    free(body);
}

int zc_stat_listen(const char *addr, const char *dir, long pid)
{
    struct sockaddr_storage ss;
    socklen_t len;
    struct sigaction sa;
    int one = 1, s;

    if (!zc_stat_parse_addr(addr, &ss, &len)) {
        fprintf(stderr, "zcrypto-stat: --listen '%s': expected PORT, IPv4:PORT or [IPv6]:PORT "
                "with a numeric address and a port in 1..65535 (e.g. 127.0.0.1:9101)\n", addr);
        return 2;
    }
    if ((s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0
        || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
        || bind(s, (struct sockaddr *)&ss, len) != 0 || listen(s, 16) != 0) {
        fprintf(stderr, "zcrypto-stat: --listen '%s': %s\n", addr, strerror(errno));
        if (s >= 0)
            close(s);
        return 1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = zc_stat_on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    {
        char host[INET6_ADDRSTRLEN] = "?";
        unsigned port;

        if (ss.ss_family == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host));
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        } else {
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        }
        fprintf(stderr, "zcrypto-stat: serving Prometheus metrics on http://%s%s%s:%u/metrics\n",
                ss.ss_family == AF_INET6 ? "[" : "", host, ss.ss_family == AF_INET6 ? "]" : "",
                port);
    }
    while (!zc_stat_stop) {
        int c = accept(s, NULL, NULL);

        if (c < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        zc_stat_serve_one(c, dir, pid);
        close(c);
    }
    close(s);
    return 0;
}
