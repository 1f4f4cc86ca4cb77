/*
 * The live segment from inside: per-thread shards that sum exactly (more
 * threads than shards, so the shared shard is exercised too), every message
 * timed when latency_sample = 1, a fork child counting into its own segment
 * while the parent's stays as it was, removal at unload, live_stats = no
 * and an unusable directory (counting goes on in private memory), and the
 * reader fed truncated and mutated segments (never crashes, never accepts a
 * broken layout). On every backend.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <openssl/evp.h>
#include "zc_core_util.h"
#include "zc_live.h"
#include "zc_audit.h"

static char zc_dir[512];

/* The segment of pid in zc_dir: its bytes (malloc'd) or NULL. */
static unsigned char *zc_seg_bytes(long pid, size_t *len)
{
    DIR *d = opendir(zc_dir);
    struct dirent *de;
    char prefix[64], path[1024];
    unsigned char *buf = NULL;

    ck_assert_ptr_nonnull(d);
    snprintf(prefix, sizeof(prefix), ZC_LIVE_PREFIX "%ld.", pid);
    while ((de = readdir(d)) != NULL) {
        FILE *f;
        struct stat st;

        if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", zc_dir, de->d_name);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_ptr_nonnull(f = fopen(path, "rb"));
        buf = malloc((size_t)st.st_size);
        ck_assert_uint_eq(fread(buf, 1, (size_t)st.st_size, f), (size_t)st.st_size);
        fclose(f);
        *len = (size_t)st.st_size;
        break;
    }
    closedir(d);
    return buf;
}

static int zc_seg_view(long pid, zc_live_view *v)
{
    size_t len;
    unsigned char *b = zc_seg_bytes(pid, &len);
    const char *why;

    if (b == NULL)
        return 0;
    why = zc_live_validate(b, len, v);
    free(b);
    ck_assert_msg(why == NULL, "own segment invalid: %s", why);
    return 1;
}

static uint64_t zc_view_ops(const zc_live_view *v, zc_alg alg)
{
    uint64_t n = 0;

    for (unsigned be = 0; be < ZC_BACKEND_COUNT; be++)
        n += v->cell[be][alg].ops;
    return n;
}

static OSSL_LIB_CTX *zc_live_libctx(int i, const char *more)
{
    char extra[1024];
    OSSL_LIB_CTX *lc;

    snprintf(extra, sizeof(extra), "live_stats_dir = %s\nlatency_sample = 1\n%s", zc_dir,
             more != NULL ? more : "");
    lc = zc_util_libctx(zc_backends[i], extra);
    ck_assert_ptr_nonnull(lc);
    return lc;
}

static void zc_seal(EVP_CIPHER *c, int n)
{
    static const unsigned char key[32] = { 1 }, iv[12] = { 2 };
    unsigned char in[100] = { 3 }, out[100];

    for (int k = 0; k < n; k++) {
        zc_aead_io io = { .key = key, .iv = iv, .ivlen = 12, .in = in, .inlen = sizeof(in),
                          .out = out, .taglen = 16 };

        ck_assert_int_eq(zc_util_aead(c, 1, &io), 1);
    }
}

#define ZC_THREADS 24               /* more than ZC_LIVE_SHARDS */
#define ZC_PER_THREAD 400

static void *zc_thread(void *arg)
{
    zc_seal(arg, ZC_PER_THREAD);
    return NULL;
}

START_TEST(test_live_threads_sum)
{
    OSSL_LIB_CTX *lc = zc_live_libctx(_i, NULL);
    EVP_CIPHER *c = zc_util_fetch(lc, "AES-128-GCM", "zcrypto");
    pthread_t t[ZC_THREADS];
    zc_live_view v;
    uint64_t lat = 0;
    size_t len;

    ck_assert_ptr_nonnull(c);
    for (int k = 0; k < ZC_THREADS; k++)
        ck_assert_int_eq(pthread_create(&t[k], NULL, zc_thread, c), 0);
    for (int k = 0; k < ZC_THREADS; k++)
        pthread_join(t[k], NULL);
    ck_assert_int_eq(zc_seg_view(getpid(), &v), 1);
    ck_assert_uint_eq(zc_view_ops(&v, ZC_ALG_AES_128_GCM), ZC_THREADS * ZC_PER_THREAD);
    ck_assert_uint_ge(v.hdr.shards_taken, ZC_THREADS);
    for (unsigned cl = 0; cl < ZC_LIVE_CLASSES; cl++)
        lat += v.lat[ZC_ALG_AES_128_GCM][cl].count;
    ck_assert_uint_eq(lat, ZC_THREADS * ZC_PER_THREAD);
    ck_assert_uint_eq(v.lat[ZC_ALG_AES_128_GCM][zc_live_class(100)].count, lat);
    ck_assert_str_eq(v.hdr.health.backend, zc_backends[_i]);
    /* The provider param reads the same shards. */
    ck_assert_uint_eq(zc_util_stat(lc, "AES-128-GCM", "ops"), ZC_THREADS * ZC_PER_THREAD);
    EVP_CIPHER_free(c);
    OSSL_LIB_CTX_free(lc);
    ck_assert_ptr_null(zc_seg_bytes(getpid(), &len));
}
END_TEST

START_TEST(test_live_fork_own_segment)
{
    OSSL_LIB_CTX *lc = zc_live_libctx(_i, NULL);
    EVP_CIPHER *c = zc_util_fetch(lc, "ChaCha20-Poly1305", "zcrypto");
    zc_live_view v;
    size_t len;
    int status;
    pid_t child;

    zc_seal(c, 5);
    child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        int ok;

        zc_seal(c, 7);
        ok = zc_seg_view(getpid(), &v) && zc_view_ops(&v, ZC_ALG_CHACHA20_POLY1305) == 7
             && zc_util_stat(lc, "ChaCha20-Poly1305", "ops") == 7;
        EVP_CIPHER_free(c);
        OSSL_LIB_CTX_free(lc);
        ok = ok && zc_seg_bytes(getpid(), &len) == NULL;
        _exit(ok ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child's own segment");
    ck_assert_ptr_null(zc_seg_bytes(child, &len));
    ck_assert_int_eq(zc_seg_view(getpid(), &v), 1);
    ck_assert_uint_eq(zc_view_ops(&v, ZC_ALG_CHACHA20_POLY1305), 5);
    zc_seal(c, 1);
    ck_assert_uint_eq(zc_util_stat(lc, "ChaCha20-Poly1305", "ops"), 6);
    EVP_CIPHER_free(c);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

/* No file, whether asked for (live_stats = no) or impossible: counted anyway. */
START_TEST(test_live_private)
{
    static const char *const more[] = { "live_stats = no", NULL };
    size_t len;

    for (int k = 0; k < 2; k++) {
        char extra[600];
        OSSL_LIB_CTX *lc;
        EVP_CIPHER *c;

        if (more[k] != NULL)
            snprintf(extra, sizeof(extra), "live_stats_dir = %s\n%s", zc_dir, more[k]);
        else
            snprintf(extra, sizeof(extra), "live_stats_dir = %s/no/such/dir", zc_dir);
        ck_assert_ptr_nonnull(lc = zc_util_libctx(zc_backends[_i], extra));
        ck_assert_ptr_nonnull(c = zc_util_fetch(lc, "AES-256-GCM", "zcrypto"));
        zc_seal(c, 9);
        ck_assert_uint_eq(zc_util_stat(lc, "AES-256-GCM", "ops"), 9);
        ck_assert_ptr_null(zc_seg_bytes(getpid(), &len));
        EVP_CIPHER_free(c);
        OSSL_LIB_CTX_free(lc);
    }
}
END_TEST

/* Truncations and random damage: the reader never reads out of bounds
 * (ASan runs this too) and accepts only a layout it knows. */
START_TEST(test_live_reader_hostile)
{
    OSSL_LIB_CTX *lc = zc_live_libctx(_i, NULL);
    EVP_CIPHER *c = zc_util_fetch(lc, "AES-128-GCM", "zcrypto");
    unsigned char *good, *b;
    uint64_t seed = 0x5eed;
    zc_live_view v;
    size_t len;

    zc_seal(c, 3);
    ck_assert_ptr_nonnull(good = zc_seg_bytes(getpid(), &len));
    ck_assert_ptr_null(zc_live_validate(good, len, &v));
    for (int k = 0; k < 20000; k++) {
        size_t n = k % 3 == 0 ? zc_util_rand(&seed) % (len + 1) : len;
        const char *why;

        /* An exact-size copy, so ASan sees any read past n, at an odd
         * address every other round: a file read into a buffer has no
         * alignment, and UBSan sees any field read in place. */
        size_t off = k % 2;
        unsigned char *mem;

        ck_assert_ptr_nonnull(mem = malloc(off + (n ? n : 1)));
        b = mem + off;
        memcpy(b, good, n);
        for (int m = 0; m < 1 + k % 4 && n > 0; m++)
            b[zc_util_rand(&seed) % (k % 2 ? n : (n < 200 ? n : 200))] ^=
                (unsigned char)(1 + zc_util_rand(&seed) % 255);
        why = zc_live_validate(b, n, &v);
        if (why == NULL) {
            ck_assert_uint_eq(n, zc_live_total_size());
            ck_assert_uint_eq(v.hdr.nshards, ZC_LIVE_SHARDS);
            ck_assert_uint_eq(v.hdr.hdr_size, sizeof(zc_live_hdr));
            ck_assert_int_gt(v.hdr.pid, 0);
            ck_assert_uint_lt(strlen(v.hdr.comm), sizeof(v.hdr.comm));
            ck_assert_uint_lt(strlen(v.hdr.health.left_why[3]), sizeof(v.hdr.health.left_why[3]));
        }
        free(mem);
    }
    free(good);
    EVP_CIPHER_free(c);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

static int zc_count_lines(const char *path, const char *needle)
{
    char line[1024];
    int n = 0;
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        n += needle == NULL || strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* A flood of events writes ZC_AUDIT_BURST lines per interval, never more;
 * off writes nothing. (The audit code itself, linked into this test.) */
START_TEST(test_audit_rate_limit)
{
    char path[600];
    int n;

    snprintf(path, sizeof(path), "%s/audit.log", zc_dir);
    ck_assert_int_eq(zc_audit_configure(ZC_AUDIT_FILE, path), 1);
    for (int k = 0; k < 1000; k++)
        zc_audit_event("test", "event %d\nwith a newline", k);
    n = zc_count_lines(path, NULL);
    /* A run that straddles an interval boundary gets a second burst and
     * the count of what the first suppressed. */
    ck_assert_msg(n == (int)ZC_AUDIT_BURST || (n > (int)ZC_AUDIT_BURST && n <= 2 * (int)ZC_AUDIT_BURST + 1),
                  "%d lines", n);
    ck_assert_int_eq(zc_count_lines(path, "zcrypto["), n);
    ck_assert_int_eq(zc_count_lines(path, "event 0 with a newline"), 1);
    ck_assert_int_eq(zc_audit_configure(ZC_AUDIT_OFF, NULL), 1);
    zc_audit_event("test", "not written");
    ck_assert_int_eq(zc_count_lines(path, "not written"), 0);
    ck_assert_int_eq(zc_audit_configure(ZC_AUDIT_FILE, "/nonexistent/dir/audit.log"), 0);
    unlink(path);
}
END_TEST

int main(void)
{
    Suite *s;
    TCase *tc;
    int rc;

    zc_util_init();
    snprintf(zc_dir, sizeof(zc_dir), "%s/zc-live-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(zc_dir) == NULL)
        return 99;
    s = suite_create("zcrypto live stats");
    tc = tcase_create("live");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_live_threads_sum, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_live_private, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_live_reader_hostile, 0, (int)zc_nbackends);
    tcase_add_test(tc, test_audit_rate_limit);
    suite_add_tcase(s, tc);
    tc = tcase_create("fork");
    tcase_set_tags(tc, "fork");
    tcase_add_loop_test(tc, test_live_fork_own_segment, 0, (int)zc_nbackends);
    suite_add_tcase(s, tc);
    rc = zc_util_run_suite(s);
    rmdir(zc_dir);
    return rc;
}
