/*
 * zc_bench: times zcrypto against OpenSSL's default provider through EVP,
 * one-shot (TLS-record-like messages) and streaming, encrypt and decrypt,
 * 16 B to 64 KiB; prints per-op p50/p99 latency, throughput and the
 * zcrypto/default ratios, and writes CSV for bench/plot.gp.
 *
 * Usage: see zb_usage() or bench/README.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include "zc_bench.h"
#include "zc_bench_env.h"

#define ZB_MAX_ALGS 8
#define ZB_MAX_SIZES 32

static const char *const zb_all_algs[] = {
    "AES-128-GCM", "AES-192-GCM", "AES-256-GCM", "ChaCha20-Poly1305",
};
static const size_t zb_default_sizes[] = { 16, 64, 256, 1024, 4096, 16384, 65536 };
static const size_t zb_quick_sizes[] = { 16, 1024, 16384 };
/* 1420: a full record on a 1500 B MTU path once TCP/IP and TLS headers are off. */
static const size_t zb_record_sizes[] = { 16, 64, 256, 1420, 4096, 16384 };
static const char *const zb_record_algs[] = {
    "AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305",
};

typedef struct zb_opts {
    const char *module_dir;
    const char *backend;
    const char *out_dir;
    const char *algs[ZB_MAX_ALGS];
    size_t nalgs;
    size_t sizes[ZB_MAX_SIZES];
    size_t nsizes;
    int modes[ZB_MODE_COUNT];   /* which modes run */
    int dirs[2];                /* [0] decrypt, [1] encrypt */
    int rekey;
    int record;                 /* one-shot as libssl's TLS 1.3 records */
    int compact;                /* one line per cell, best-of-rounds MB/s */
    int list_backends;          /* print zcrypto-backends, time nothing */
    zb_timing timing;
} zb_opts;

/* ------------------------------------------------------------ options */

static void zb_usage(FILE *f)
{
    fprintf(f,
        "usage: zc_bench [options]\n"
        "  --module-dir DIR   where zcrypto.so is (default $ZC_MODULE_DIR, else ./.libs)\n"
        "  --backend NAME     zcrypto config key backend= (auto, avx512, avx2, avx, sse,\n"
        "                     portable, best; default best): best is the first of zcrypto's\n"
        "                     zcrypto-backends (the fastest this CPU runs), named explicitly,\n"
        "                     so zcrypto's path is measured even where auto leaves an\n"
        "                     algorithm to the default provider\n"
        "  --out DIR          write zc_bench.csv, ratios.csv, env.txt into DIR\n"
        "  --algs LIST        comma-separated (default all: AES-128-GCM,AES-192-GCM,\n"
        "                     AES-256-GCM,ChaCha20-Poly1305)\n"
        "  --sizes LIST       bytes, comma-separated (default 16,64,256,1024,4096,16384,65536)\n"
        "  --modes LIST       oneshot,stream (default both)\n"
        "  --dirs LIST        enc,dec (default both)\n"
        "  --iv-only          one-shot init passes the IV only (TLS 1.3 records);\n"
        "                     default passes key and IV (like openssl speed)\n"
        "  --record           one-shot exactly as libssl seals/opens TLS 1.3 records: IV only,\n"
        "                     decrypt tag set right after init, 5 B AAD, data in place;\n"
        "                     defaults: sizes 16,64,256,1420,4096,16384, algs AES-128-GCM,\n"
        "                     AES-256-GCM,ChaCha20-Poly1305; writes record.csv (not\n"
        "                     zc_bench.csv, ratios.csv) with --out\n"
        "  --compact          one line per cell: best-of-rounds MB/s, default, zcrypto, ratio\n"
        "  --list-backends    print zcrypto's zcrypto-backends (best first) and exit\n"
        "  --seconds S        timed work per provider per cell (default 0.2)\n"
        "  --rounds N         provider alternations per cell (default 20)\n"
        "  --min-samples N    latency samples per provider per cell (default 1000)\n"
        "  --quick            smoke run: sizes 16,1024,16384, 0.02 s, 4 rounds\n");
}

/* Splits a comma list in place; returns the item count or -1 if too many. */
static int zb_split(char *list, char **items, int max)
{
    int n = 0;

    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (n == max)
            return -1;
        items[n++] = tok;
    }
    return n;
}

static const char *zb_canonical_alg(const char *name)
{
    for (size_t i = 0; i < sizeof(zb_all_algs) / sizeof(zb_all_algs[0]); i++)
        if (strcasecmp(name, zb_all_algs[i]) == 0)
            return zb_all_algs[i];
    return NULL;
}

static int zb_parse_list(int opt, char *arg, zb_opts *o)
{
    char *items[ZB_MAX_SIZES];
    int n = zb_split(arg, items, ZB_MAX_SIZES);

    if (n <= 0)
        return 0;
    switch (opt) {
    case 'a':
        if (n > ZB_MAX_ALGS)
            return 0;
        for (o->nalgs = 0; o->nalgs < (size_t)n; o->nalgs++)
            if ((o->algs[o->nalgs] = zb_canonical_alg(items[o->nalgs])) == NULL)
                return 0;
        return 1;
    case 's':
        for (o->nsizes = 0; o->nsizes < (size_t)n; o->nsizes++) {
            char *end;
            unsigned long v = strtoul(items[o->nsizes], &end, 10);

            if (*end != '\0' || v == 0 || v > (1u << 24))
                return 0;
            o->sizes[o->nsizes] = v;
        }
        return 1;
    case 'm':
    case 'd':
        for (int i = 0; i < (opt == 'm' ? ZB_MODE_COUNT : 2); i++)
            (opt == 'm' ? o->modes : o->dirs)[i] = 0;
        for (int i = 0; i < n; i++) {
            if (opt == 'm' && strcmp(items[i], "oneshot") == 0)
                o->modes[ZB_ONESHOT] = 1;
            else if (opt == 'm' && strcmp(items[i], "stream") == 0)
                o->modes[ZB_STREAM] = 1;
            else if (opt == 'd' && strcmp(items[i], "enc") == 0)
                o->dirs[1] = 1;
            else if (opt == 'd' && strcmp(items[i], "dec") == 0)
                o->dirs[0] = 1;
            else
                return 0;
        }
        return 1;
    }
    return 0;
}

static int zb_parse_number(const char *arg, double min, double max, double *v)
{
    char *end;

    errno = 0;
    *v = strtod(arg, &end);
    return errno == 0 && *end == '\0' && *v >= min && *v <= max;
}

static void zb_opts_record(zb_opts *o)
{
    memcpy(o->sizes, zb_record_sizes, sizeof(zb_record_sizes));
    o->nsizes = sizeof(zb_record_sizes) / sizeof(zb_record_sizes[0]);
    memcpy(o->algs, zb_record_algs, sizeof(zb_record_algs));
    o->nalgs = sizeof(zb_record_algs) / sizeof(zb_record_algs[0]);
    o->modes[ZB_STREAM] = 0;
    o->record = 1;
    o->rekey = 0;
}

static void zb_opts_quick(zb_opts *o)
{
    memcpy(o->sizes, zb_quick_sizes, sizeof(zb_quick_sizes));
    o->nsizes = sizeof(zb_quick_sizes) / sizeof(zb_quick_sizes[0]);
    o->timing.seconds = 0.02;
    o->timing.rounds = 4;
}

static int zb_opts_parse(int argc, char **argv, zb_opts *o)
{
    static const struct option longopts[] = {
        { "module-dir", required_argument, NULL, 'M' },
        { "backend", required_argument, NULL, 'b' },
        { "out", required_argument, NULL, 'o' },
        { "algs", required_argument, NULL, 'a' },
        { "sizes", required_argument, NULL, 's' },
        { "modes", required_argument, NULL, 'm' },
        { "dirs", required_argument, NULL, 'd' },
        { "iv-only", no_argument, NULL, 'i' },
        { "record", no_argument, NULL, 'R' },
        { "compact", no_argument, NULL, 'c' },
        { "list-backends", no_argument, NULL, 'L' },
        { "seconds", required_argument, NULL, 'S' },
        { "rounds", required_argument, NULL, 'r' },
        { "min-samples", required_argument, NULL, 'n' },
        { "quick", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *env_dir = getenv("ZC_MODULE_DIR");
    double v;
    int opt;

    memset(o, 0, sizeof(*o));
    o->module_dir = env_dir != NULL && env_dir[0] != '\0' ? env_dir : "./.libs";
    o->backend = "best";
    memcpy(o->algs, zb_all_algs, sizeof(zb_all_algs));
    o->nalgs = sizeof(zb_all_algs) / sizeof(zb_all_algs[0]);
    memcpy(o->sizes, zb_default_sizes, sizeof(zb_default_sizes));
    o->nsizes = sizeof(zb_default_sizes) / sizeof(zb_default_sizes[0]);
    o->modes[ZB_ONESHOT] = o->modes[ZB_STREAM] = 1;
    o->dirs[0] = o->dirs[1] = 1;
    o->rekey = 1;
    o->timing.seconds = 0.2;
    o->timing.rounds = 20;
    o->timing.min_samples = 1000;
    /* --record and --quick first, so explicit options after or before them
     * still win. */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--record") == 0)
            zb_opts_record(o);
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--quick") == 0)
            zb_opts_quick(o);
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'M': o->module_dir = optarg; break;
        case 'b': o->backend = optarg; break;
        case 'o': o->out_dir = optarg; break;
        case 'i': o->rekey = 0; break;
        case 'q': case 'R': break;
        case 'c': o->compact = 1; break;
        case 'L': o->list_backends = 1; break;
        case 'a': case 's': case 'm': case 'd':
            if (!zb_parse_list(opt, optarg, o)) {
                fprintf(stderr, "zc_bench: bad list '%s'\n", optarg);
                return 0;
            }
            break;
        case 'S':
            if (!zb_parse_number(optarg, 0.001, 60, &o->timing.seconds))
                goto bad;
            break;
        case 'r':
            if (!zb_parse_number(optarg, 1, 1000, &v))
                goto bad;
            o->timing.rounds = (size_t)v;
            break;
        case 'n':
            if (!zb_parse_number(optarg, 1, 1000000, &v))
                goto bad;
            o->timing.min_samples = (size_t)v;
            break;
        case 'h':
            zb_usage(stdout);
            exit(0);
        default:
            zb_usage(stderr);
            return 0;
        }
    }
    if (optind != argc) {
        zb_usage(stderr);
        return 0;
    }
    if (o->record && (o->modes[ZB_STREAM] || o->rekey)) {
        fprintf(stderr, "zc_bench: --record is one-shot with the IV only\n");
        return 0;
    }
    return 1;
bad:
    fprintf(stderr, "zc_bench: bad number '%s'\n", optarg);
    return 0;
}

/* ------------------------------------------------------------ output */

static double zb_ratio(const zb_row *r)
{
    return r->res[ZB_DEFAULT].mbps > 0 ? r->res[ZB_ZCRYPTO].mbps / r->res[ZB_DEFAULT].mbps : 0;
}

static double zb_p50_ratio(const zb_row *r)
{
    return r->res[ZB_ZCRYPTO].p50_ns > 0 ? r->res[ZB_DEFAULT].p50_ns / r->res[ZB_ZCRYPTO].p50_ns
                                         : 0;
}

/* Two decimals, three below 0.1 (the portable backend against AES-NI). */
static const char *zb_fmt_ratio(double r, char *buf, size_t bufsize)
{
    snprintf(buf, bufsize, r < 0.1 ? "%.3fx" : "%.2fx", r);
    return buf;
}

static void zb_print_row_header(void)
{
    printf("%-17s %-7s %-3s %6s | %9s %8s %8s | %9s %8s %8s | %6s %6s\n",
           "alg", "mode", "dir", "size", "zc MB/s", "p50 ns", "p99 ns",
           "def MB/s", "p50 ns", "p99 ns", "MB/s", "p50");
    printf("%-17s %-7s %-3s %6s | %27s | %27s | %13s\n", "", "", "", "",
           "zcrypto", "default", "zc/default");
}

static void zb_print_row(const zb_opts *o, const zb_row *r)
{
    const zb_result *z = &r->res[ZB_ZCRYPTO], *d = &r->res[ZB_DEFAULT];
    char a[16], b[16];

    if (o->compact) {
        zb_compact_row(o->algs[r->alg], r);
        return;
    }
    if (!r->served) {
        printf("%-17s %-7s %-3s %6zu | not served by zcrypto\n", o->algs[r->alg],
               zb_mode_name(r->mode), r->enc ? "enc" : "dec", r->size);
        return;
    }
    printf("%-17s %-7s %-3s %6zu | %9.1f %8.0f %8.0f | %9.1f %8.0f %8.0f | %6s %6s\n",
           o->algs[r->alg], zb_mode_name(r->mode), r->enc ? "enc" : "dec", r->size,
           z->mbps, z->p50_ns, z->p99_ns, d->mbps, d->p50_ns, d->p99_ns,
           zb_fmt_ratio(zb_ratio(r), a, sizeof(a)), zb_fmt_ratio(zb_p50_ratio(r), b, sizeof(b)));
    fflush(stdout);
}

/* The ratio matrix: one line per alg/mode/dir, one column per size. */
static void zb_print_ratio_table(const zb_opts *o, const zb_row *rows, size_t nrows)
{
    printf("\nzcrypto/default throughput ratio (>1: zcrypto faster%s)\n%-31s",
           o->compact ? "; best round of each" : "", "");
    for (size_t s = 0; s < o->nsizes; s++)
        printf(" %7zu", o->sizes[s]);
    printf("\n");
    for (size_t i = 0; i < nrows; i += o->nsizes) {
        printf("%-17s %-7s %-3s   ", o->algs[rows[i].alg],
               o->record ? "record" : zb_mode_name(rows[i].mode),
               rows[i].enc ? "enc" : "dec");
        for (size_t s = 0; s < o->nsizes && i + s < nrows; s++) {
            const zb_row *r = &rows[i + s];
            char buf[16];

            printf(" %7s", !r->served ? "-"
                   : zb_fmt_ratio(o->compact ? zb_best_ratio(r) : zb_ratio(r), buf,
                                  sizeof(buf)));
        }
        if (!rows[i].served)
            printf("   not served by zcrypto");
        printf("\n");
    }
}

static FILE *zb_open_out(const zb_opts *o, const char *name)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", o->out_dir, name);
    if ((f = fopen(path, "w")) == NULL)
        fprintf(stderr, "zc_bench: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

/*
 * Rows grouped by provider, then in run order (alg, mode, dir, size): each
 * plotted series is one contiguous run of lines, which gnuplot needs to draw
 * it as a line.
 */
static int zb_write_csv(const zb_opts *o, const zb_env *env, const zb_row *rows,
                        size_t nrows)
{
    FILE *f, *g = NULL, *e = NULL;
    int ok = 0;

    /* Its own files, so a record run leaves make bench's figures alone. */
    if (o->record) {
        if ((f = zb_open_out(o, "record.csv")) == NULL)
            return 0;
        ok = zb_record_csv(f, o->algs, env->backend, rows, nrows);
        ok &= fclose(f) == 0;
        if ((e = zb_open_out(o, "record-env.txt")) == NULL)
            return 0;
        zb_env_print(e, env, "");
        fprintf(e, "shape:    TLS 1.3 record (IV only, tag set first, %d B AAD, in place)\n",
                ZB_TLS13_AAD_LEN);
        return (fclose(e) == 0) & ok;
    }
    f = zb_open_out(o, "zc_bench.csv");

    if (f == NULL || (g = zb_open_out(o, "ratios.csv")) == NULL
        || (e = zb_open_out(o, "env.txt")) == NULL)
        goto err;
    fprintf(f, "provider,backend,alg,mode,dir,size,ops,batch,mbps,p50_ns,p99_ns,mean_ns,best_mbps\n");
    for (int p = 0; p < ZB_PROV_COUNT; p++) {
        for (size_t i = 0; i < nrows; i++) {
            const zb_row *r = &rows[i];
            const zb_result *x = &r->res[p];

            if (!r->served)
                continue;
            fprintf(f, "%s,%s,%s,%s,%s,%zu,%zu,%zu,%.1f,%.1f,%.1f,%.1f,%.1f\n", zb_prov_name(p),
                    p == ZB_ZCRYPTO ? env->backend : "builtin", o->algs[r->alg],
                    zb_mode_name(r->mode), r->enc ? "enc" : "dec", r->size, x->ops,
                    x->batch, x->mbps, x->p50_ns, x->p99_ns, x->mean_ns, x->best_mbps);
        }
    }
    fprintf(g, "alg,mode,dir,size,mbps_ratio,p50_ratio,best_ratio\n");
    for (size_t i = 0; i < nrows; i++)
        if (rows[i].served)
            fprintf(g, "%s,%s,%s,%zu,%.3f,%.3f,%.3f\n", o->algs[rows[i].alg],
                    zb_mode_name(rows[i].mode), rows[i].enc ? "enc" : "dec", rows[i].size,
                    zb_ratio(&rows[i]), zb_p50_ratio(&rows[i]), zb_best_ratio(&rows[i]));
    zb_env_print(e, env, "");
    fprintf(e, "rekey:    %s\n", o->rekey ? "key+IV on every one-shot init" : "IV only");
    ok = 1;
err:
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    if (g != NULL && fclose(g) != 0)
        ok = 0;
    if (e != NULL && fclose(e) != 0)
        ok = 0;
    return ok;
}

/* ------------------------------------------------------------ the run */

typedef struct zb_run {
    const zb_opts *o;
    OSSL_LIB_CTX *libctx;
    EVP_CIPHER *cipher[ZB_MAX_ALGS][ZB_PROV_COUNT];
    int served[ZB_MAX_ALGS];            /* zcrypto answered the fetch */
    zb_alg_stats expect[ZB_MAX_ALGS];   /* what zcrypto's counters must show */
    zb_row *rows;
    size_t nrows;
} zb_run;

static int zb_fetch(zb_run *run)
{
    static const char *const query[ZB_PROV_COUNT] = {
        [ZB_ZCRYPTO] = "provider=zcrypto", [ZB_DEFAULT] = "provider=default",
    };

    for (size_t a = 0; a < run->o->nalgs; a++) {
        for (int p = 0; p < ZB_PROV_COUNT; p++) {
            EVP_CIPHER *c = EVP_CIPHER_fetch(run->libctx, run->o->algs[a], query[p]);

            run->cipher[a][p] = c;
            /*
             * zcrypto may leave out a cipher it would run slower than the
             * default provider: a row to report, not a failure.
             */
            if (p == ZB_ZCRYPTO && c == NULL) {
                ERR_clear_error();
                continue;
            }
            if (p == ZB_ZCRYPTO)
                run->served[a] = 1;
            /* The property could lie; the provider that answered cannot. */
            if (c == NULL || strcmp(OSSL_PROVIDER_get0_name(EVP_CIPHER_get0_provider(c)),
                                    zb_prov_name(p)) != 0) {
                fprintf(stderr, "zc_bench: cannot fetch %s from %s\n", run->o->algs[a],
                        zb_prov_name(p));
                ERR_print_errors_fp(stderr);
                return 0;
            }
        }
    }
    return 1;
}

static int zb_run_cell(zb_run *run, size_t a, zb_mode mode, int enc, size_t size)
{
    zb_cell c;
    zb_row *r = &run->rows[run->nrows];
    int ok = 0;

    memset(&c, 0, sizeof(c));
    c.alg = run->o->algs[a];
    c.mode = mode;
    c.enc = enc;
    c.rekey = run->o->rekey;
    c.size = size;
    c.record = run->o->record;
    c.aad_len = c.record ? ZB_TLS13_AAD_LEN : ZB_AAD_LEN;
    r->alg = a;
    r->mode = mode;
    r->enc = enc;
    r->size = size;
    if (!(r->served = run->served[a])) {
        run->nrows++;
        zb_print_row(run->o, r);
        return 1;
    }
    for (int p = 0; p < ZB_PROV_COUNT; p++)
        c.side[p].cipher = run->cipher[a][p];
    if (!zb_cell_setup(&c)) {
        fprintf(stderr, "zc_bench: %s: cannot set up %zu-byte cell\n", c.alg, size);
        ERR_print_errors_fp(stderr);
        goto err;
    }
    if (!zb_cell_verify(&c) || !zb_cell_measure(&c, &run->o->timing, r->res))
        goto err;
    run->nrows++;
    zb_print_row(run->o, r);
    ok = 1;
err:
    /* Count what zcrypto finished even if a later step failed. */
    run->expect[a].ops += c.side[ZB_ZCRYPTO].finals;
    run->expect[a].bytes += c.side[ZB_ZCRYPTO].update_bytes;
    zb_cell_cleanup(&c);
    return ok;
}

/* zcrypto's counters must match, op for op and byte for byte, what we did. */
static int zb_check_stats(zb_run *run, const OSSL_PROVIDER *zc, const zb_alg_stats *before,
                          const char *backend)
{
    zb_alg_stats after[ZB_MAX_ALGS];
    int ok = 1;

    for (size_t a = 0; a < run->o->nalgs; a++)
        after[a].alg = run->o->algs[a];
    if (!zb_stats_read(zc, after, run->o->nalgs, backend))
        return 0;
    printf("\nzcrypto's own counters (zcrypto-stats), this run:\n");
    for (size_t a = 0; a < run->o->nalgs; a++) {
        uint64_t ops = after[a].ops - before[a].ops;
        uint64_t bytes = after[a].bytes - before[a].bytes;
        uint64_t errs = after[a].errors - before[a].errors;
        uint64_t foreign = after[a].foreign_ops - before[a].foreign_ops;
        int good = ops == run->expect[a].ops && bytes == run->expect[a].bytes
                   && errs == 0 && foreign == 0;

        if (!run->served[a]) {
            printf("  %-17s not served by zcrypto\n", run->o->algs[a]);
            continue;
        }

        printf("  %-17s ops %llu (expected %llu), bytes %llu (expected %llu), "
               "errors %llu, on backend %s: %s\n", run->o->algs[a],
               (unsigned long long)ops, (unsigned long long)run->expect[a].ops,
               (unsigned long long)bytes, (unsigned long long)run->expect[a].bytes,
               (unsigned long long)errs, foreign ? "NOT ONLY" : backend,
               good ? "ok" : "MISMATCH");
        ok &= good;
    }
    return ok;
}

static int zb_run_all(zb_run *run)
{
    const zb_opts *o = run->o;
    int ok = 1;

    if (o->compact)
        zb_compact_header();
    else
        zb_print_row_header();
    for (size_t a = 0; a < o->nalgs; a++)
        for (int m = 0; m < ZB_MODE_COUNT; m++)
            for (int enc = 1; enc >= 0; enc--)
                for (size_t s = 0; s < o->nsizes; s++)
                    if (o->modes[m] && o->dirs[enc]
                        && !zb_run_cell(run, a, (zb_mode)m, enc, o->sizes[s]))
                        ok = 0;
    return ok;
}

int main(int argc, char **argv)
{
    zb_opts o;
    zb_run run;
    zb_env env;
    zb_alg_stats before[ZB_MAX_ALGS];
    char module_path[4200], best[64];
    const OSSL_PROVIDER *zc, *def;
    int ok = 0;

    memset(&run, 0, sizeof(run));
    if (!zb_opts_parse(argc, argv, &o))
        return 2;
    run.o = &o;
    /* For scripts (bench/nginx_wrk.sh) that name zcrypto's path themselves. */
    if (o.list_backends) {
        char list[256];

        if ((run.libctx = zb_env_open(o.module_dir, "auto", module_path,
                                      sizeof(module_path))) == NULL
            || (zc = zb_env_zcrypto(run.libctx)) == NULL
            || !zb_env_backends(zc, list, sizeof(list)))
            goto err;
        printf("%s\n", list);
        OSSL_LIB_CTX_free(run.libctx);
        return 0;
    }
    /* "best": ask a zcrypto on auto what this CPU runs, then load that one by name. */
    if (strcmp(o.backend, "best") == 0) {
        if ((run.libctx = zb_env_open(o.module_dir, "auto", module_path,
                                      sizeof(module_path))) == NULL
            || (zc = zb_env_zcrypto(run.libctx)) == NULL
            || !zb_env_best_backend(zc, best, sizeof(best)))
            goto err;
        OSSL_LIB_CTX_free(run.libctx);
        o.backend = best;
    }
    if ((run.libctx = zb_env_open(o.module_dir, o.backend, module_path,
                                  sizeof(module_path))) == NULL
        || !zb_fetch(&run))
        goto err;
    if ((zc = zb_env_zcrypto(run.libctx)) == NULL) {
        fprintf(stderr, "zc_bench: zcrypto is not in the library context\n");
        goto err;
    }
    def = EVP_CIPHER_get0_provider(run.cipher[0][ZB_DEFAULT]);
    if (!zb_env_describe(zc, def, module_path, &env))
        goto err;
    if (strcmp(o.backend, "auto") != 0 && strcmp(o.backend, env.backend) != 0) {
        fprintf(stderr, "zc_bench: asked for backend %s, zcrypto runs %s\n", o.backend,
                env.backend);
        goto err;
    }
    o.timing.clock_ns = zb_clock_overhead_ns();
    o.timing.group_ns = o.timing.clock_ns * 40 > 1000 ? o.timing.clock_ns * 40 : 1000;
    zb_env_print(stdout, &env, "# ");
    if (o.record)
        printf("# one-shot as a TLS 1.3 record: init(IV) + decrypt tag + %d B AAD + data in"
               " place + final + tag per op (key set once)\n", ZB_TLS13_AAD_LEN);
    else
        printf("# one-shot: init(%s) + %d B AAD + data + final + tag per op; stream: one"
               " init, timed updates\n", o.rekey ? "key, IV" : "IV", ZB_AAD_LEN);
    printf("# clock read %.0f ns (subtracted); samples of >= %.0f ns; %zu rounds, ~%.2f s"
           " per provider per cell%s\n\n", o.timing.clock_ns, o.timing.group_ns,
           o.timing.rounds, o.timing.seconds,
           o.compact ? "; MB/s: each provider's best round (10^6 B/s)" : "");
    for (size_t a = 0; a < o.nalgs; a++)
        before[a].alg = run.expect[a].alg = o.algs[a];
    if (!zb_stats_read(zc, before, o.nalgs, env.backend))
        goto err;
    if ((run.rows = calloc(o.nalgs * ZB_MODE_COUNT * 2 * o.nsizes, sizeof(zb_row))) == NULL)
        goto err;
    ok = zb_run_all(&run);
    if (ok)
        zb_print_ratio_table(&o, run.rows, run.nrows);
    ok &= zb_check_stats(&run, zc, before, env.backend);
    if (o.out_dir != NULL) {
        if (mkdir(o.out_dir, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "zc_bench: mkdir %s: %s\n", o.out_dir, strerror(errno));
            ok = 0;
        } else {
            ok &= zb_write_csv(&o, &env, run.rows, run.nrows);
        }
    }
err:
    for (size_t a = 0; a < o.nalgs; a++)
        for (int p = 0; p < ZB_PROV_COUNT; p++)
            EVP_CIPHER_free(run.cipher[a][p]);
    free(run.rows);
    OSSL_LIB_CTX_free(run.libctx);
    if (!ok)
        fprintf(stderr, "zc_bench: FAILED\n");
    return ok ? 0 : 1;
}
