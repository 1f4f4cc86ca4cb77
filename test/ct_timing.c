/*
 * Constant-time check by timing, for the code valgrind cannot run
 * (test/ct_check.sh: the avx512 backend, whose AVX-512 code valgrind does
 * not decode, and avx2's VAES code, which valgrind's CPU model hides). The
 * method is dudect's (Reparaz, Balasch, Verbauwhede, "Dude,
 * is my code constant time?", DATE 2017), written here from the paper: each
 * measurement times one operation whose secret input is drawn, at random,
 * from one of two classes, "fixed" (one value every time) or "random" (fresh
 * each time); everything else is the same. If the running time depends on
 * the secret, the two classes' time distributions differ, which Welch's
 * t-test on their means sees given enough measurements. Because the classes
 * are interleaved at random, machine noise (other processes, frequency
 * changes) falls on both alike and only widens the distributions; the
 * largest outliers (interrupts, preemption) are cut by cropping at several
 * percentiles, each crop tested on its own.
 *
 * Targets, per algorithm (the secret the classes differ in):
 *   keysetup      the key: EVP init with a key on a fresh context (key
 *                 expansion, GHASH key powers); fixed = all-zero key.
 *   encrypt/LEN   key and LEN bytes of plaintext, AAD + update + final
 *                 timed; fixed = zeros. LEN 256, 1100, 6400 (the paths
 *                 each backend takes by length: see targets[]).
 *   decrypt/LEN   ciphertext (so plaintext) and tag, the tag always wrong:
 *                 update + final; fixed = the reference message with its
 *                 right tag but for the last byte (an early-exit compare
 *                 runs longest on it), random = random ciphertext and tag.
 *   tls-open/64   the same on the one-shot path: a TLS 1.2 record.
 * A test fails when |t| exceeds ZC_CT_TIMING_T (default 10, dudect's
 * "probably not constant time"; 4.5 is its "possible leak") at any crop.
 * Between 4.5 and the threshold it is measured once more with fresh
 * samples and fails if |t| is over 4.5 again: a leak stays, a fluke does
 * not. A timing test can only show a leak, never prove there is none:
 * what it misses is what the operation's noise hides at this sample count
 * (see the README, Hardening). Replaying a seed on a loaded machine
 * replays the classes and secrets, not the timings.
 *
 *   ct_timing BACKEND [ALGS]   ALGS: e.g. AES-128-GCM,ChaCha20-Poly1305
 *   ct_timing --list           the backends zcrypto offers natively
 * Environment: ZC_MODULE_DIR (zcrypto.so); ZC_CT_TIMING_SAMPLES (per test,
 * default 200000); ZC_CT_TIMING_SECONDS (the run's time budget, default 20,
 * shared evenly by its tests: a loaded machine or the slow portable backend
 * gets fewer samples, never under 20,000, and each test prints how many
 * and what it resolves);
 * ZC_CT_TIMING_TARGETS (e.g. "keysetup,decrypt/256", default all);
 * ZC_CT_TIMING_T; ZC_CT_TIMING_SEED.
 * Exit 0: no leak seen; 1: a leak; 2: setup failure.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include "ct_lib.h"
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#define ZC_BATCH   1000
#define ZC_CROPS   8
#define ZC_MIN_SAMPLES 20000
#define ZC_MAX_LEN 6400
#define ZC_POSSIBLE 4.5

static const char *const all_algs[] = { "AES-128-GCM", "AES-192-GCM", "AES-256-GCM",
                                        "ChaCha20-Poly1305" };

/* A serialising timestamp: lfence keeps the timed work inside the pair. */
static inline uint64_t zc_ticks(void)
{
#if defined(__x86_64__)
    uint64_t t;

    _mm_lfence();
    t = __rdtsc();
    _mm_lfence();
    return t;
#else
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* xoshiro256** (Blackman, Vigna): the classes and random secrets. */
static uint64_t rng_s[4];

static uint64_t rng_next(void)
{
    uint64_t r = rng_s[1] * 5, t = rng_s[1] << 17;

    r = ((r << 7) | (r >> 57)) * 9;
    rng_s[2] ^= rng_s[0];
    rng_s[3] ^= rng_s[1];
    rng_s[1] ^= rng_s[2];
    rng_s[0] ^= rng_s[3];
    rng_s[2] ^= t;
    rng_s[3] = (rng_s[3] << 45) | (rng_s[3] >> 19);
    return r;
}

static void rng_seed(uint64_t seed)
{
    for (int i = 0; i < 4; i++) {  /* splitmix64 */
        uint64_t z = (seed += 0x9e3779b97f4a7c15u);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        rng_s[i] = z ^ (z >> 31);
    }
}

static void rng_fill(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t r = rng_next();

        memcpy(p + i, &r, n - i < 8 ? n - i : 8);
    }
}

/* Welch's t-test, accumulated online (Welford) per class. */
typedef struct {
    double n[2], mean[2], m2[2];
} zc_welch;

static void welch_add(zc_welch *w, int cls, double x)
{
    double d = x - w->mean[cls];

    w->n[cls] += 1;
    w->mean[cls] += d / w->n[cls];
    w->m2[cls] += d * (x - w->mean[cls]);
}

/* The standard error of the difference of the two means. */
static double welch_se(const zc_welch *w)
{
    if (w->n[0] < 2 || w->n[1] < 2)
        return 0;
    return sqrt(w->m2[0] / (w->n[0] - 1) / w->n[0] + w->m2[1] / (w->n[1] - 1) / w->n[1]);
}

static double welch_t(const zc_welch *w)
{
    double se = welch_se(w);

    return se == 0 ? 0 : (w->mean[0] - w->mean[1]) / se;
}

/* What one algorithm's targets work on; "work" buffers are what the timed
 * call reads, filled from the class's secret before the clock starts. */
typedef struct {
    EVP_CIPHER *cipher;
    int gcm, failed;
    size_t keylen, len;  /* len: the target's message length */
    EVP_CIPHER_CTX *ctx, *keep;  /* per-sample context; the long-lived one */
    unsigned char key[32], fixed_key[32], iv[12], aad[13], tag[16], good_tag[16];
    unsigned char pt[ZC_MAX_LEN], ct[ZC_MAX_LEN], good_ct[ZC_MAX_LEN], out[ZC_MAX_LEN];
    unsigned char rec[8 + ZC_MAX_LEN + 16], good_rec[8 + ZC_MAX_LEN + 16];
} zc_run;

typedef struct {
    const char *name;
    size_t len;  /* message length */
    size_t (*secret_len)(const zc_run *r);
    void (*fixed)(const zc_run *r, unsigned char *secret, size_t len);
    void (*prepare)(zc_run *r, const unsigned char *secret);  /* untimed */
    void (*run)(zc_run *r);                                   /* timed */
    void (*finish)(zc_run *r);                                /* untimed */
} zc_target;

static void check(zc_run *r, int ok)
{
    if (!ok)
        r->failed = 1;
}

static size_t key_len(const zc_run *r)
{
    return r->keylen;
}

static size_t key_msg_len(const zc_run *r)
{
    return r->keylen + r->len;
}

static size_t msg_tag_len(const zc_run *r)
{
    return r->len + 16;
}

static void fixed_zero(const zc_run *r, unsigned char *s, size_t len)
{
    memset(s, 0, len);
}

/* The reference message, and its right tag but for the last byte: the
 * worst case for an early-exit compare. */
static void fixed_near_tag(const zc_run *r, unsigned char *s, size_t len)
{
    memcpy(s, r->good_ct, r->len);
    memcpy(s + r->len, r->good_tag, 16);
    s[r->len + 15] ^= 0x80;
}

static void free_ctx(zc_run *r)
{
    EVP_CIPHER_CTX_free(r->ctx);
    r->ctx = NULL;
}

/* keysetup: a fresh context each time, so no key is already held (a held
 * key skips expansion after a comparison, a public property). */
static void keysetup_prepare(zc_run *r, const unsigned char *s)
{
    r->ctx = EVP_CIPHER_CTX_new();
    check(r, r->ctx != NULL && EVP_CipherInit_ex(r->ctx, r->cipher, NULL, NULL, NULL, 1));
    memcpy(r->key, s, r->keylen);
}

static void keysetup_run(zc_run *r)
{
    check(r, EVP_CipherInit_ex(r->ctx, NULL, NULL, r->key, r->iv, -1));
}

static void encrypt_prepare(zc_run *r, const unsigned char *s)
{
    keysetup_prepare(r, s);
    keysetup_run(r);
    memcpy(r->pt, s + r->keylen, r->len);
}

static void encrypt_run(zc_run *r)
{
    int n, m;

    check(r, EVP_CipherUpdate(r->ctx, NULL, &n, r->aad, sizeof(r->aad))
                 && EVP_CipherUpdate(r->ctx, r->out, &n, r->pt, (int)r->len)
                 && EVP_CipherFinal_ex(r->ctx, r->out + n, &m));
}

/* decrypt: the ciphertext (so the plaintext) and the tag are secret. */
static void decrypt_prepare(zc_run *r, const unsigned char *s)
{
    memcpy(r->ct, s, r->len);
    memcpy(r->tag, s + r->len, 16);
    check(r, EVP_CipherInit_ex(r->keep, NULL, NULL, NULL, r->iv, 0)
                 && EVP_CIPHER_CTX_ctrl(r->keep, EVP_CTRL_AEAD_SET_TAG, 16, r->tag) > 0);
}

static void decrypt_run(zc_run *r)
{
    int n, m;

    /* The tag is wrong in both classes: final must fail. */
    check(r, EVP_CipherUpdate(r->keep, NULL, &n, r->aad, sizeof(r->aad))
                 && EVP_CipherUpdate(r->keep, r->out, &n, r->ct, (int)r->len)
                 && !EVP_CipherFinal_ex(r->keep, r->out + n, &m));
}

static void clear_errors(zc_run *r)
{
    ERR_clear_error();
}

/* The TLS 1.2 AAD of a record of r->len bytes (sequence 1). */
static int tls_aad(zc_run *r, EVP_CIPHER_CTX *ctx, int enc)
{
    unsigned char aad[13] = { 0, 0, 0, 0, 0, 0, 0, 1, 0x17, 3, 3 };
    size_t alen = (r->gcm ? 8 : 0) + r->len + (enc ? 0 : 16);

    aad[11] = (unsigned char)(alen >> 8);
    aad[12] = (unsigned char)alen;
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_TLS1_AAD, 13, aad) > 0;
}

static size_t tls_total(const zc_run *r)
{
    return (r->gcm ? 8 : 0) + r->len + 16;
}

/* tls-open: the record's body and tag are secret (the nonce is public). */
static void tls_prepare(zc_run *r, const unsigned char *s)
{
    size_t off = r->gcm ? 8 : 0;

    memcpy(r->rec, r->good_rec, off);
    memcpy(r->rec + off, s, r->len + 16);
    check(r, tls_aad(r, r->keep, 0));
}

static void tls_run(zc_run *r)
{
    check(r, EVP_Cipher(r->keep, r->rec, r->rec, (unsigned)tls_total(r)) < 0);
}

/* The lengths reach each backend's paths: on avx512, AES-GCM's fused pass
 * (to 480 B), ipsec-mb (to 6 KiB) and our bulk loop (from 6 KiB), the
 * 16-block ChaCha20 pass (1 KiB) with and without a tail; on avx2 with
 * VAES our 256-bit kernel (from 1 KiB). */
static const zc_target targets[] = {
    { "keysetup", 0, key_len, fixed_zero, keysetup_prepare, keysetup_run, free_ctx },
    { "encrypt", 256, key_msg_len, fixed_zero, encrypt_prepare, encrypt_run, free_ctx },
    { "encrypt", 1100, key_msg_len, fixed_zero, encrypt_prepare, encrypt_run, free_ctx },
    { "encrypt", 6400, key_msg_len, fixed_zero, encrypt_prepare, encrypt_run, free_ctx },
    { "decrypt", 256, msg_tag_len, fixed_near_tag, decrypt_prepare, decrypt_run, clear_errors },
    { "decrypt", 1100, msg_tag_len, fixed_near_tag, decrypt_prepare, decrypt_run, clear_errors },
    { "decrypt", 6400, msg_tag_len, fixed_near_tag, decrypt_prepare, decrypt_run, clear_errors },
    { "tls-open", 64, msg_tag_len, fixed_near_tag, tls_prepare, tls_run, clear_errors },
};

/* The long-lived context and the reference message or record, made by
 * zcrypto itself; the record must open with its right tag, or the wrong
 * tags measured later would prove nothing. */
static int zc_run_setup(zc_run *r, OSSL_LIB_CTX *lc, const char *alg, const zc_target *t)
{
    EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new();
    int n, m, ok;

    memset(r, 0, sizeof(*r));
    r->cipher = EVP_CIPHER_fetch(lc, alg, "provider=zcrypto");
    if (r->cipher == NULL || e == NULL)
        return 0;
    r->gcm = strncmp(alg, "AES", 3) == 0;
    r->keylen = (size_t)EVP_CIPHER_get_key_length(r->cipher);
    r->len = t->len;
    rng_fill(r->fixed_key, sizeof(r->fixed_key));
    rng_fill(r->iv, sizeof(r->iv));
    rng_fill(r->aad, sizeof(r->aad));
    rng_fill(r->pt, sizeof(r->pt));
    ok = EVP_CipherInit_ex(e, r->cipher, NULL, r->fixed_key, r->iv, 1)
         && EVP_CipherUpdate(e, NULL, &n, r->aad, sizeof(r->aad))
         && EVP_CipherUpdate(e, r->good_ct, &n, r->pt, (int)r->len)
         && EVP_CipherFinal_ex(e, r->good_ct + n, &m)
         && EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_AEAD_GET_TAG, 16, r->good_tag) > 0;
    EVP_CIPHER_CTX_free(e);
    r->keep = EVP_CIPHER_CTX_new();
    ok = ok && r->keep != NULL;
    if (ok && t->run != tls_run)
        ok = EVP_CipherInit_ex(r->keep, r->cipher, NULL, r->fixed_key, r->iv, 0);
    if (ok && t->run == tls_run) {
        /* Seal one record with a context of its own, open with keep. */
        EVP_CIPHER_CTX *s = EVP_CIPHER_CTX_new();
        const unsigned char *fiv = r->gcm ? NULL : r->iv;
        size_t off = r->gcm ? 8 : 0;

        memcpy(r->good_rec + off, r->pt, r->len);
        ok = s != NULL && EVP_CipherInit_ex(s, r->cipher, NULL, r->fixed_key, fiv, 1)
             && (!r->gcm || EVP_CIPHER_CTX_ctrl(s, EVP_CTRL_GCM_SET_IV_FIXED, 4, r->iv) > 0)
             && tls_aad(r, s, 1)
             && EVP_Cipher(s, r->good_rec, r->good_rec, (unsigned)tls_total(r)) > 0
             && EVP_CipherInit_ex(r->keep, r->cipher, NULL, r->fixed_key, fiv, 0)
             && (!r->gcm || EVP_CIPHER_CTX_ctrl(r->keep, EVP_CTRL_GCM_SET_IV_FIXED, 4, r->iv) > 0);
        EVP_CIPHER_CTX_free(s);
        /* The fixed class's body and tag come from this record. */
        memcpy(r->good_ct, r->good_rec + off, r->len);
        memcpy(r->good_tag, r->good_rec + off + r->len, 16);
        memcpy(r->rec, r->good_rec, tls_total(r));
        ok = ok && tls_aad(r, r->keep, 0)
             && EVP_Cipher(r->keep, r->rec, r->rec, (unsigned)tls_total(r)) > 0
             && memcmp(r->rec + off, r->pt, r->len) == 0;
    }
    return ok;
}

static void zc_run_free(zc_run *r)
{
    EVP_CIPHER_CTX_free(r->keep);
    EVP_CIPHER_free(r->cipher);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* One measurement's outcome: the largest |t| over the crops, that crop's
 * percentile, the samples taken, the operation's median time (ticks) and
 * the smallest standard error of the difference of the class means over
 * the crops (ticks): times the limit, the smallest leak it would flag. */
typedef struct {
    double t, pct, median, se;
    size_t n;
} zc_result;

/*
 * n measurements of one target, for at most max_s seconds. The first batch
 * only warms up and sets the crops: dudect's percentiles 1 - 0.5^(10 (k+1) / ZC_CROPS), 58% to 99.9%.
 */
static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static zc_result zc_measure(zc_run *r, const zc_target *t, size_t n, double max_s)
{
    size_t slen = t->secret_len(r), batches = (n + ZC_BATCH - 1) / ZC_BATCH + 1, b;
    unsigned char *pool = malloc(ZC_BATCH * slen), *fixed = malloc(slen);
    uint64_t times[ZC_BATCH], sorted[ZC_BATCH], crop[ZC_CROPS];
    unsigned char cls[ZC_BATCH];
    zc_welch w[ZC_CROPS];
    double start = now_s();
    zc_result res = { 0 };

    if (pool == NULL || fixed == NULL)
        abort();
    memset(w, 0, sizeof(w));
    t->fixed(r, fixed, slen);
    /* The budget ends a measurement, but never before ZC_MIN_SAMPLES. */
    for (b = 0; b < batches && !r->failed
                && (b <= ZC_MIN_SAMPLES / ZC_BATCH || now_s() - start < max_s);
         b++) {
        /* Classes and secrets for the whole batch first, so the loop
         * around the timed call does the same work for both classes. */
        for (size_t i = 0; i < ZC_BATCH; i++) {
            cls[i] = rng_next() & 1;
            if (cls[i] == 0)
                memcpy(pool + i * slen, fixed, slen);
            else
                rng_fill(pool + i * slen, slen);
        }
        for (size_t i = 0; i < ZC_BATCH; i++) {
            uint64_t t0, t1;

            t->prepare(r, pool + i * slen);
            t0 = zc_ticks();
            t->run(r);
            t1 = zc_ticks();
            t->finish(r);
            times[i] = t1 - t0;
        }
        if (b == 0) {
            memcpy(sorted, times, sizeof(times));
            qsort(sorted, ZC_BATCH, sizeof(sorted[0]), cmp_u64);
            for (int k = 0; k < ZC_CROPS; k++)
                crop[k] = sorted[(size_t)((1 - pow(0.5, 10.0 * (k + 1) / ZC_CROPS))
                                          * (ZC_BATCH - 1))];
            res.median = (double)sorted[ZC_BATCH / 2];
            continue;
        }
        for (size_t i = 0; i < ZC_BATCH; i++)
            for (int k = 0; k < ZC_CROPS; k++)
                if (times[i] <= crop[k])
                    welch_add(&w[k], cls[i], (double)times[i]);
    }
    res.n = (b - 1) * ZC_BATCH;
    for (int k = 0; k < ZC_CROPS; k++) {
        double tk = fabs(welch_t(&w[k])), se = welch_se(&w[k]);

        if (tk >= res.t) {
            res.t = tk;
            res.pct = 100 * (1 - pow(0.5, 10.0 * (k + 1) / ZC_CROPS));
        }
        if (se > 0 && (res.se == 0 || se < res.se))
            res.se = se;
    }
    free(pool);
    free(fixed);
    return res;
}

static int wanted(const char *list, const char *name)
{
    const char *p;
    size_t n = strlen(name);

    if (list == NULL || *list == '\0')
        return 1;
    for (p = strstr(list, name); p != NULL; p = strstr(p + 1, name))
        if ((p == list || p[-1] == ' ' || p[-1] == ',') && (p[n] == '\0' || p[n] == ' '
                                                            || p[n] == ','))
            return 1;
    return 0;
}

static int target_wanted(const char *list, const zc_target *t)
{
    char full[32];

    snprintf(full, sizeof(full), "%s/%zu", t->name, t->len);
    return wanted(list, t->name) || wanted(list, full);
}

static double env_num(const char *name, double dflt)
{
    const char *v = getenv(name);

    return v != NULL && *v != '\0' ? strtod(v, NULL) : dflt;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--list") == 0)
        return zc_ct_list_backends();
    if (argc < 2) {
        fprintf(stderr, "usage: ct_timing BACKEND [ALG...] | --list\n");
        return 2;
    }
    const char *backend = argv[1], *tlist = getenv("ZC_CT_TIMING_TARGETS");
    size_t n = (size_t)env_num("ZC_CT_TIMING_SAMPLES", 200000);
    double limit = env_num("ZC_CT_TIMING_T", 10), max_s = env_num("ZC_CT_TIMING_SECONDS", 20);
    uint64_t seed = (uint64_t)env_num("ZC_CT_TIMING_SEED", (double)time(NULL));
    /* Quiet paths: no audit log lines on the tag failures measured here. */
    OSSL_LIB_CTX *lc = zc_ct_libctx(backend, "audit_log = off");
    int leaks = 0, tests = 0;
    double worst = 0;

    for (int a = 0; a < 4; a++)
        for (size_t k = 0; k < sizeof(targets) / sizeof(targets[0]); k++)
            tests += (argc < 3 || wanted(argv[2], all_algs[a])) && target_wanted(tlist, &targets[k]);
    if (tests == 0) {
        fprintf(stderr, "ct_timing: no test selected\n");
        return 2;
    }
    max_s /= tests;
    tests = 0;
    rng_seed(seed);
    printf("ct_timing: backend %s, %zu samples per test (at most %.2f s), fail at |t| > %.1f, "
           "seed %llu\n", backend, n, max_s, limit, (unsigned long long)seed);
    for (int a = 0; a < 4; a++) {
        if (argc > 2 && !wanted(argv[2], all_algs[a]))
            continue;
        for (size_t k = 0; k < sizeof(targets) / sizeof(targets[0]); k++) {
            const zc_target *t = &targets[k];
            zc_run r;
            zc_result m, m2 = { 0 };

            if (!target_wanted(tlist, t))
                continue;
            if (!zc_run_setup(&r, lc, all_algs[a], t)) {
                fprintf(stderr, "ct_timing: %s %s/%zu: setup failed\n", all_algs[a], t->name,
                        t->len);
                ERR_print_errors_fp(stderr);
                return 2;
            }
            m = zc_measure(&r, t, n, max_s);
            if (m.t > ZC_POSSIBLE && m.t <= limit && !r.failed)
                m2 = zc_measure(&r, t, n, max_s);
            if (r.failed) {
                fprintf(stderr, "ct_timing: %s %s/%zu: an operation failed unexpectedly\n",
                        all_algs[a], t->name, t->len);
                ERR_print_errors_fp(stderr);
                return 2;
            }
            int leak = m.t > limit || m2.t > ZC_POSSIBLE;

            tests++;
            leaks += leak;
            worst = fmax(worst, fmax(m.t, m2.t));
            /* "resolves": the mean difference that would reach the limit. */
            char what[32];

            snprintf(what, sizeof(what), t->len ? "%s/%zu" : "%s", t->name, t->len);
            printf("ct_timing: %s %-17s %-13s |t| = %6.2f", backend, all_algs[a], what, m.t);
            if (m2.n > 0)
                printf(", again %6.2f", m2.t);
            printf(" (crop %.1f%%, n %zu, median %.0f, resolves %.1f ticks): %s\n", m.pct, m.n,
                   m.median, limit * m.se, leak ? "LEAK" : "ok");
            fflush(stdout);
            zc_run_free(&r);
        }
    }
    OSSL_LIB_CTX_free(lc);
    printf("ct_timing: %s: %d tests, largest |t| %.2f, %s\n", backend, tests, worst,
           leaks ? "timing depends on a secret" : "no secret-dependent timing seen");
    return leaks ? 1 : 0;
}
