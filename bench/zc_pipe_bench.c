/*
 * zc_pipe_bench: bursts of packets under one key, three ways, in one
 * process with interleaved rounds, best round of each:
 *   default  the default provider, one packet at a time (init with IV,
 *            13 B AAD, in-place update, final, tag), as a caller without
 *            the pipeline API does;
 *   zc-pkt   the same per-packet loop through zcrypto;
 *   zc-pipe  zcrypto's pipeline API: the burst in one init/AAD/update/final;
 *   ref-pipe (with --ref-module-dir) the same through another build of
 *            zcrypto (its own library context, same backend), so a change
 *            to a kernel is timed against the build before it in one run.
 * zc-pipe/default is what a caller gains; zc-pipe/zc-pkt is the API's own
 * share (zcrypto's per-packet path is already faster than the default's).
 * Decrypt is timed with valid tags (a failing tag would stop the burst).
 *
 * usage: zc_pipe_bench [--backend NAME|best] [--module-dir DIR] [--out DIR]
 *                      [--seconds S] [--rounds N] [--quick] [--ref-module-dir DIR]
 *                      [--alg NAME] [--size N] [--lanes N]
 * (--alg, --size, --lanes: only that cell row; each at most once.)
 * Writes DIR/pipeline.csv and DIR/pipeline-env.txt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include "zc_bench_env.h"

#define ZP_MAXPIPES 32  /* EVP_MAX_PIPES */
#define ZP_MAXLEN 4096
#define ZP_AAD 13

typedef enum { ZP_DEFAULT = 0, ZP_ZC_PKT, ZP_ZC_PIPE, ZP_REF_PIPE, ZP_MODES } zp_mode;
static const char *const zp_mode_names[ZP_MODES] = { "default", "zc-pkt", "zc-pipe", "ref-pipe" };
#define ZP_IS_PIPE(m) ((m) == ZP_ZC_PIPE || (m) == ZP_REF_PIPE)

static const char *const zp_algs[] = { "AES-256-GCM", "ChaCha20-Poly1305" };
static const size_t zp_sizes[] = { 64, 256, 1200, 4096 };
static const size_t zp_lanes[] = { 1, 4, 8, 16, 32 };
#define ZP_N(a) (sizeof(a) / sizeof((a)[0]))

/* One burst's buffers: packet i in buf[i], its tag in tag[i]. */
typedef struct zp_burst {
    size_t n, len;
    unsigned char key[32], iv[ZP_MAXPIPES][12], aad[ZP_MAXPIPES][ZP_AAD];
    unsigned char *buf[ZP_MAXPIPES], *ct[ZP_MAXPIPES], tag[ZP_MAXPIPES][16];
} zp_burst;

static double zp_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* One packet the way a caller without the pipeline API seals or opens it. */
static int zp_packet(EVP_CIPHER_CTX *x, int enc, zp_burst *b, size_t i)
{
    int n;
    unsigned char *in = enc ? b->buf[i] : b->ct[i];

    if (!EVP_CipherInit_ex2(x, NULL, NULL, b->iv[i], enc, NULL)
        || (!enc && !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, b->tag[i]))
        || !EVP_CipherUpdate(x, NULL, &n, b->aad[i], ZP_AAD)
        || !EVP_CipherUpdate(x, b->buf[i], &n, in, (int)b->len)
        || !EVP_CipherFinal_ex(x, b->buf[i] + b->len, &n))
        return 0;
    return !enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, b->tag[i]) > 0;
}

static int zp_tags(EVP_CIPHER_CTX *x, zp_burst *b, int get)
{
    unsigned char *ptr[ZP_MAXPIPES];
    void *arr = ptr;
    OSSL_PARAM p[2] = { OSSL_PARAM_END, OSSL_PARAM_END };

    for (size_t i = 0; i < b->n; i++)
        ptr[i] = b->tag[i];
    p[0] = OSSL_PARAM_construct_octet_ptr(OSSL_CIPHER_PARAM_PIPELINE_AEAD_TAG, &arr, 16);
    return get ? EVP_CIPHER_CTX_get_params(x, p) : EVP_CIPHER_CTX_set_params(x, p);
}

/* The whole burst through the pipeline API (ctx reused: cipher and key NULL). */
static int zp_pipeline(EVP_CIPHER_CTX *x, int enc, zp_burst *b)
{
    const unsigned char *ivs[ZP_MAXPIPES], *aads[ZP_MAXPIPES], *ins[ZP_MAXPIPES];
    unsigned char *outs[ZP_MAXPIPES];
    size_t outl[ZP_MAXPIPES], outsize[ZP_MAXPIPES], inl[ZP_MAXPIPES], aadl[ZP_MAXPIPES];

    for (size_t i = 0; i < b->n; i++) {
        ivs[i] = b->iv[i], aads[i] = b->aad[i], aadl[i] = ZP_AAD;
        ins[i] = enc ? b->buf[i] : b->ct[i], outs[i] = b->buf[i];
        inl[i] = outsize[i] = b->len;
    }
    if (!(enc ? EVP_CipherPipelineEncryptInit(x, NULL, NULL, 0, b->n, ivs, 12)
              : EVP_CipherPipelineDecryptInit(x, NULL, NULL, 0, b->n, ivs, 12))
        || !EVP_CipherPipelineUpdate(x, NULL, outl, NULL, aads, aadl)
        || (!enc && !zp_tags(x, b, 0))
        || !EVP_CipherPipelineUpdate(x, outs, outl, outsize, ins, inl)
        || !EVP_CipherPipelineFinal(x, outs, outl, outsize))
        return 0;
    return !enc || zp_tags(x, b, 1);
}

static int zp_burst_run(EVP_CIPHER_CTX *x, zp_mode m, int enc, zp_burst *b)
{
    if (ZP_IS_PIPE(m))
        return zp_pipeline(x, enc, b);
    for (size_t i = 0; i < b->n; i++)
        if (!zp_packet(x, enc, b, i))
            return 0;
    return 1;
}

/* Bursts for at least `seconds`; MB/s of packet data. */
static double zp_time(EVP_CIPHER_CTX *x, zp_mode m, int enc, zp_burst *b, double seconds)
{
    double t0 = zp_now(), t;
    size_t bursts = 0;

    do {
        for (int k = 0; k < 8; k++, bursts++)
            if (!zp_burst_run(x, m, enc, b))
                return -1;
        t = zp_now();
    } while (t - t0 < seconds);
    return (double)bursts * (double)(b->n * b->len) / (t - t0) / 1e6;
}

/* A ctx keyed for mode m (the pipeline one by a first pipeline init). */
static EVP_CIPHER_CTX *zp_ctx(EVP_CIPHER *c, zp_mode m, int enc, zp_burst *b)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    const unsigned char *ivs[ZP_MAXPIPES];
    int ok;

    for (size_t i = 0; i < b->n; i++)
        ivs[i] = b->iv[i];
    if (ZP_IS_PIPE(m))
        ok = enc ? EVP_CipherPipelineEncryptInit(x, c, b->key, EVP_CIPHER_get_key_length(c),
                                                 b->n, ivs, 12)
                 : EVP_CipherPipelineDecryptInit(x, c, b->key, EVP_CIPHER_get_key_length(c),
                                                 b->n, ivs, 12);
    else
        ok = EVP_CipherInit_ex2(x, c, b->key, b->iv[0], enc, NULL);
    if (!ok) {
        EVP_CIPHER_CTX_free(x);
        return NULL;
    }
    return x;
}

typedef struct zp_opts {
    const char *backend, *module_dir, *out, *ref_module_dir, *alg;
    double seconds;
    int rounds;
    size_t size, lanes; /* 0: all */
} zp_opts;

static int zp_opts_parse(int argc, char **argv, zp_opts *o)
{
    const char *env = getenv("ZC_MODULE_DIR");

    *o = (zp_opts){ "best", env != NULL ? env : ".libs", "bench/out", NULL, NULL, 0.04, 7, 0, 0 };
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            o->seconds = 0.005, o->rounds = 2;
        } else if (i + 1 < argc && strcmp(argv[i], "--backend") == 0) {
            o->backend = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--module-dir") == 0) {
            o->module_dir = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--out") == 0) {
            o->out = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--seconds") == 0) {
            o->seconds = atof(argv[++i]);
        } else if (i + 1 < argc && strcmp(argv[i], "--rounds") == 0) {
            o->rounds = atoi(argv[++i]);
        } else if (i + 1 < argc && strcmp(argv[i], "--ref-module-dir") == 0) {
            o->ref_module_dir = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--alg") == 0) {
            o->alg = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--size") == 0) {
            o->size = strtoul(argv[++i], NULL, 10);
        } else if (i + 1 < argc && strcmp(argv[i], "--lanes") == 0) {
            o->lanes = strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: zc_pipe_bench [--backend NAME|best] [--module-dir DIR] "
                            "[--out DIR] [--seconds S] [--rounds N] [--quick] "
                            "[--ref-module-dir DIR] [--alg NAME] [--size N] [--lanes N]\n");
            return 0;
        }
    }
    return o->seconds > 0 && o->rounds > 0 && o->size <= ZP_MAXLEN;
}

/* Fills the burst and, for decrypt, the ciphertexts and tags it opens. */
static int zp_burst_fill(zp_burst *b, EVP_CIPHER *ref, size_t n, size_t len)
{
    EVP_CIPHER_CTX *x;
    int ok = 1;

    b->n = n, b->len = len;
    for (size_t i = 0; i < n; i++) {
        memset(b->iv[i], (int)(i + 1), 12);
        memset(b->aad[i], (int)(0x30 + i), ZP_AAD);
        memset(b->buf[i], (int)(0x50 + i), len);
    }
    if ((x = zp_ctx(ref, ZP_DEFAULT, 1, b)) == NULL)
        return 0;
    for (size_t i = 0; ok && i < n; i++) {
        ok = zp_packet(x, 1, b, i);
        memcpy(b->ct[i], b->buf[i], len);
    }
    EVP_CIPHER_CTX_free(x);
    return ok;
}

static int zp_run(OSSL_LIB_CTX *lc, OSSL_LIB_CTX *ref, const zp_opts *o, FILE *csv,
                  const char *backend)
{
    static zp_burst b;
    int ok = 0, nmodes = ref != NULL ? ZP_MODES : ZP_REF_PIPE;
    /* --size: that one size, any up to ZP_MAXLEN (a crossover search) */
    const size_t *sizes = o->size != 0 ? &o->size : zp_sizes;
    size_t nsizes = o->size != 0 ? 1 : ZP_N(zp_sizes);

    for (size_t i = 0; i < ZP_MAXPIPES; i++)
        if ((b.buf[i] = malloc(ZP_MAXLEN + 16)) == NULL
            || (b.ct[i] = malloc(ZP_MAXLEN + 16)) == NULL)
            return 0;
    memset(b.key, 7, sizeof(b.key));
    fprintf(csv, "alg,dir,size,lanes,default_mbps,zc_pkt_mbps,zc_pipe_mbps,pipe_vs_default,"
                 "pipe_vs_zc_pkt,zc_pkt_vs_default,backend%s\n",
            ref != NULL ? ",ref_pipe_mbps,pipe_vs_ref_pipe" : "");
    printf("%-17s %-3s %5s %5s %10s %10s %10s %9s %9s %9s%s\n", "alg", "dir", "size", "lanes",
           "default", "zc-pkt", "zc-pipe", "pipe/def", "pipe/pkt", "pkt/def",
           ref != NULL ? "   ref-pipe  pipe/ref" : "");
    for (size_t a = 0; a < ZP_N(zp_algs); a++) {
        EVP_CIPHER *c[ZP_MODES] = { NULL };

        if (o->alg != NULL && strcmp(o->alg, zp_algs[a]) != 0)
            continue;
        c[ZP_DEFAULT] = EVP_CIPHER_fetch(lc, zp_algs[a], "provider=default");
        c[ZP_ZC_PKT] = c[ZP_ZC_PIPE] = EVP_CIPHER_fetch(lc, zp_algs[a], "provider=zcrypto");
        if (ref != NULL)
            c[ZP_REF_PIPE] = EVP_CIPHER_fetch(ref, zp_algs[a], "provider=zcrypto");
        if (c[ZP_DEFAULT] == NULL || c[ZP_ZC_PKT] == NULL
            || (ref != NULL && c[ZP_REF_PIPE] == NULL)) {
            printf("%-17s not served by zcrypto on backend %s\n", zp_algs[a], backend);
            EVP_CIPHER_free(c[ZP_DEFAULT]);
            EVP_CIPHER_free(c[ZP_ZC_PKT]);
            EVP_CIPHER_free(c[ZP_REF_PIPE]);
            continue;
        }
        for (int enc = 1; enc >= 0; enc--)
            for (size_t s = 0; s < nsizes; s++)
                for (size_t l = 0; l < ZP_N(zp_lanes); l++) {
                    double best[ZP_MODES] = { 0 };
                    EVP_CIPHER_CTX *x[ZP_MODES] = { NULL };

                    if (o->lanes != 0 && o->lanes != zp_lanes[l])
                        continue;
                    if (!zp_burst_fill(&b, c[ZP_DEFAULT], zp_lanes[l], sizes[s]))
                        goto err;
                    for (int m = 0; m < nmodes; m++)
                        if ((x[m] = zp_ctx(c[m], (zp_mode)m, enc, &b)) == NULL)
                            goto err;
                    /* Interleaved: each round runs every mode, starting
                     * with a different one, so a noisy spell hits all. */
                    for (int r = 0; r < o->rounds; r++)
                        for (int k = 0; k < nmodes; k++) {
                            int m = (r + k) % nmodes;
                            double v = zp_time(x[m], (zp_mode)m, enc, &b, o->seconds);

                            if (v < 0) {
                                fprintf(stderr, "zc_pipe_bench: %s %s failed\n", zp_algs[a],
                                        zp_mode_names[m]);
                                goto err;
                            }
                            if (v > best[m])
                                best[m] = v;
                        }
                    for (int m = 0; m < nmodes; m++)
                        EVP_CIPHER_CTX_free(x[m]);
                    printf("%-17s %-3s %5zu %5zu %10.1f %10.1f %10.1f %8.2fx %8.2fx %8.2fx",
                           zp_algs[a], enc ? "enc" : "dec", b.len, b.n, best[0], best[1],
                           best[2], best[2] / best[0], best[2] / best[1], best[1] / best[0]);
                    fprintf(csv, "%s,%s,%zu,%zu,%.1f,%.1f,%.1f,%.3f,%.3f,%.3f,%s", zp_algs[a],
                            enc ? "enc" : "dec", b.len, b.n, best[0], best[1], best[2],
                            best[2] / best[0], best[2] / best[1], best[1] / best[0], backend);
                    if (ref != NULL) {
                        printf(" %10.1f %8.2fx", best[ZP_REF_PIPE], best[2] / best[ZP_REF_PIPE]);
                        fprintf(csv, ",%.1f,%.3f", best[ZP_REF_PIPE], best[2] / best[ZP_REF_PIPE]);
                    }
                    printf("\n");
                    fprintf(csv, "\n");
                    fflush(stdout);
                }
        EVP_CIPHER_free(c[ZP_DEFAULT]);
        EVP_CIPHER_free(c[ZP_ZC_PKT]);
        EVP_CIPHER_free(c[ZP_REF_PIPE]);
    }
    ok = 1;
err:
    if (!ok)
        ERR_print_errors_fp(stderr);
    return ok;
}

int main(int argc, char **argv)
{
    zp_opts o;
    char module_path[4096], best[64], path[4096];
    OSSL_LIB_CTX *lc = NULL, *ref = NULL;
    OSSL_PROVIDER *zc, *def;
    zb_env env;
    FILE *csv = NULL, *envf = NULL;
    int rc = 1;

    if (!zp_opts_parse(argc, argv, &o))
        return 2;
    if (strcmp(o.backend, "best") == 0) {
        if ((lc = zb_env_open(o.module_dir, "auto", module_path, sizeof(module_path))) == NULL
            || (zc = zb_env_zcrypto(lc)) == NULL || !zb_env_best_backend(zc, best, sizeof(best)))
            goto err;
        OSSL_LIB_CTX_free(lc);
        o.backend = best;
    }
    if ((lc = zb_env_open(o.module_dir, o.backend, module_path, sizeof(module_path))) == NULL
        || (zc = zb_env_zcrypto(lc)) == NULL
        || (def = OSSL_PROVIDER_load(lc, "default")) == NULL
        || !zb_env_describe(zc, def, module_path, &env))
        goto err;
    OSSL_PROVIDER_unload(def);
    /* The other build: its own library context, so both modules are loaded. */
    if (o.ref_module_dir != NULL) {
        char ref_path[4096];

        if ((ref = zb_env_open(o.ref_module_dir, o.backend, ref_path, sizeof(ref_path))) == NULL
            || zb_env_zcrypto(ref) == NULL)
            goto err;
        printf("# ref-pipe: %s\n", ref_path);
    }
    snprintf(path, sizeof(path), "%s/pipeline-env.txt", o.out);
    if ((envf = fopen(path, "w")) == NULL)
        goto err;
    zb_env_print(envf, &env, "");
    zb_env_print(stdout, &env, "# ");
    printf("# bursts of 1..32 packets under one key, 13 B AAD, in place; MB/s of packet data,"
           " best of %d interleaved rounds of %.3f s\n", o.rounds, o.seconds);
    snprintf(path, sizeof(path), "%s/pipeline.csv", o.out);
    if ((csv = fopen(path, "w")) == NULL || !zp_run(lc, ref, &o, csv, o.backend))
        goto err;
    rc = 0;
err:
    if (csv != NULL && fclose(csv) != 0)
        rc = 1;
    if (envf != NULL)
        fclose(envf);
    OSSL_LIB_CTX_free(ref);
    OSSL_LIB_CTX_free(lc);
    return rc;
}
