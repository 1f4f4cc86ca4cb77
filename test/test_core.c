/*
 * zcrypto core suite, every test on every backend this CPU runs: Wycheproof
 * (all 641 cases) against the expected results and the default provider,
 * a differential test on random inputs, libssl's TLS 1.2/1.3 param flows
 * interoperating with the default provider, bad input, re-keying, threads
 * (provider params and config: test_provider.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>
#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include "zc_core_util.h"

static const char *const zc_algs[] = { "AES-128-GCM", "AES-192-GCM", "AES-256-GCM",
                                       "ChaCha20-Poly1305" };
static OSSL_LIB_CTX *zc_ref;

/* ------------------------------------------------------------ Wycheproof */

static void zc_wycheproof_file(const char *backend, const char *file, const char *family)
{
    char path[4096];
    json_object *root, *groups, *num;
    OSSL_LIB_CTX *lc = zc_util_libctx(backend, NULL);
    int total = 0, beyond_cases = 0;

    ck_assert_ptr_nonnull(lc);
    snprintf(path, sizeof(path), "%s/test/vectors/%s", getenv("ZC_SRCDIR"), file);
    root = json_object_from_file(path);
    ck_assert_msg(root != NULL, "cannot read %s", path);
    ck_assert(json_object_object_get_ex(root, "testGroups", &groups));
    ck_assert(json_object_object_get_ex(root, "numberOfTests", &num));
    for (size_t g = 0; g < json_object_array_length(groups); g++) {
        json_object *grp = json_object_array_get_idx(groups, g), *tests, *ks;
        char alg[32];

        ck_assert(json_object_object_get_ex(grp, "tests", &tests));
        ck_assert(json_object_object_get_ex(grp, "keySize", &ks));
        if (strcmp(family, "gcm") == 0)
            snprintf(alg, sizeof(alg), "AES-%d-GCM", json_object_get_int(ks));
        else
            snprintf(alg, sizeof(alg), "ChaCha20-Poly1305");
        EVP_CIPHER *zc = zc_util_fetch(lc, alg, "zcrypto"), *df = zc_util_fetch(zc_ref, alg, "default");

        ck_assert_ptr_nonnull(zc);
        ck_assert_ptr_nonnull(df);
        for (size_t t = 0; t < json_object_array_length(tests); t++) {
            json_object *tc = json_object_array_get_idx(tests, t), *v;
            const char *f[6] = { "key", "iv", "aad", "msg", "ct", "tag" };
            unsigned char *b[6];
            size_t l[6];
            int id, valid, acceptable, zenc, denc, zdec, ddec, beyond;

            for (int i = 0; i < 6; i++) {
                ck_assert(json_object_object_get_ex(tc, f[i], &v));
                b[i] = zc_util_unhex(json_object_get_string(v), &l[i]);
            }
            json_object_object_get_ex(tc, "tcId", &v);
            id = json_object_get_int(v);
            json_object_object_get_ex(tc, "result", &v);
            valid = strcmp(json_object_get_string(v), "valid") == 0;
            acceptable = strcmp(json_object_get_string(v), "acceptable") == 0;

            unsigned char *zo = calloc(1, l[3] + l[4] + 16), *dout = calloc(1, l[3] + l[4] + 16);
            zc_aead_io zi = { .key = b[0], .iv = b[1], .ivlen = l[1], .aad = b[2], .aadlen = l[2],
                              .in = b[3], .inlen = l[3], .out = zo };
            zc_aead_io di = zi;

            di.out = dout;
            zenc = zc_util_aead(zc, 1, &zi);
            denc = zc_util_aead(df, 1, &di);
            /* GCM IVs over 1024 bits are valid GCM the default provider
             * refuses; zcrypto takes them (judged by the expected result). */
            beyond = strcmp(family, "gcm") == 0 && l[1] > 128 && !denc;
            ck_assert_msg(zenc == denc || (beyond && zenc),
                          "%s tc %d: encrypt accept differs (zcrypto %d, default %d)",
                          file, id, zenc, denc);
            if (beyond)
                beyond_cases++;
            if (zenc && l[5] == 16) {
                ck_assert_msg(beyond || (memcmp(zi.out, di.out, l[3]) == 0
                                         && memcmp(zi.tag_out, di.tag_out, 16) == 0),
                              "%s tc %d: encrypt differs from default", file, id);
                if (valid)
                    ck_assert_msg(memcmp(zi.out, b[4], l[4]) == 0 && memcmp(zi.tag_out, b[5], 16) == 0,
                                  "%s tc %d: wrong ciphertext or tag", file, id);
            }
            zc_aead_io zd = { .key = b[0], .iv = b[1], .ivlen = l[1], .aad = b[2], .aadlen = l[2],
                              .in = b[4], .inlen = l[4], .tag_in = b[5], .taglen = l[5], .out = zo };
            zc_aead_io dd = zd;

            dd.out = dout;
            zdec = zc_util_aead(zc, 0, &zd);
            ddec = zc_util_aead(df, 0, &dd);
            ck_assert_msg(zdec == ddec || beyond,
                          "%s tc %d: decrypt accept differs (zcrypto %d, default %d)",
                          file, id, zdec, ddec);
            if (valid)
                ck_assert_msg(zdec && memcmp(zo, b[3], l[3]) == 0, "%s tc %d: valid case rejected", file, id);
            else if (zdec)
                ck_assert_msg(acceptable, "%s tc %d: invalid case accepted", file, id);
            ERR_clear_error();
            free(zo), free(dout);
            for (int i = 0; i < 6; i++)
                free(b[i]);
            total++;
        }
        EVP_CIPHER_free(zc);
        EVP_CIPHER_free(df);
    }
    ck_assert_int_eq(total, json_object_get_int(num));
    fprintf(stderr, "%s on %s: %d cases (%d with IVs the default provider refuses)\n", file,
            backend, total, beyond_cases);
    ck_assert_uint_gt(zc_util_stat(lc, strcmp(family, "gcm") == 0 ? "AES-128-GCM" : "ChaCha20-Poly1305", "ops"), 0);
    json_object_put(root);
    OSSL_LIB_CTX_free(lc);
}

START_TEST(test_wycheproof_gcm)
{
    zc_wycheproof_file(zc_backends[_i], "aes_gcm_test.json", "gcm");
}
END_TEST

START_TEST(test_wycheproof_chacha)
{
    zc_wycheproof_file(zc_backends[_i], "chacha20_poly1305_test.json", "chacha");
}
END_TEST

/* ------------------------------------------------------------ NIST GCM, RFC 8439 */

START_TEST(test_known_vectors)
{
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);
    char path[4096], line[1024], f[8][700] = { { 0 } };
    static const char *const keys[8] = { "name", "alg", "key", "iv", "aad", "pt", "ct", "tag" };
    FILE *fp;
    int cases = 0;

    ck_assert_ptr_nonnull(lc);
    snprintf(path, sizeof(path), "%s/test/vectors/nist_gcm.txt", getenv("ZC_SRCDIR"));
    ck_assert_ptr_nonnull(fp = fopen(path, "r"));
    for (;;) {
        char *got = fgets(line, sizeof(line), fp);

        if (got != NULL && line[0] != '\n' && line[0] != '#') {
            line[strcspn(line, "\n")] = '\0';
            for (int k = 0; k < 8; k++)
                if (strncmp(line, keys[k], strlen(keys[k])) == 0 && line[strlen(keys[k])] == '=')
                    snprintf(f[k], sizeof(f[k]), "%s", line + strlen(keys[k]) + 1);
            continue;
        }
        if (f[0][0] != '\0') {
            unsigned char *b[6];
            size_t l[6];

            for (int k = 0; k < 6; k++)
                b[k] = zc_util_unhex(strcmp(f[k + 2], "-") == 0 ? "" : f[k + 2], &l[k]);
            unsigned char out[256], back[256];
            EVP_CIPHER *zc = zc_util_fetch(lc, f[1], "zcrypto"), *df = zc_util_fetch(zc_ref, f[1], "default");
            zc_aead_io e = { .key = b[0], .iv = b[1], .ivlen = l[1], .aad = b[2], .aadlen = l[2],
                             .in = b[3], .inlen = l[3], .out = out };
            zc_aead_io r = e;
            unsigned char rout[256];

            r.out = rout;
            ck_assert_msg(zc_util_aead(zc, 1, &e), "%s: encrypt failed", f[0]);
            ck_assert_msg(memcmp(out, b[4], l[4]) == 0 && memcmp(e.tag_out, b[5], 16) == 0,
                          "%s: wrong ciphertext or tag", f[0]);
            ck_assert_msg(zc_util_aead(df, 1, &r) && memcmp(rout, out, l[4]) == 0
                          && memcmp(r.tag_out, e.tag_out, 16) == 0, "%s: default disagrees", f[0]);
            zc_aead_io d = { .key = b[0], .iv = b[1], .ivlen = l[1], .aad = b[2], .aadlen = l[2],
                             .in = b[4], .inlen = l[4], .tag_in = b[5], .taglen = 16, .out = back };
            ck_assert_msg(zc_util_aead(zc, 0, &d) && memcmp(back, b[3], l[3]) == 0,
                          "%s: decrypt failed", f[0]);
            EVP_CIPHER_free(zc);
            EVP_CIPHER_free(df);
            for (int k = 0; k < 6; k++)
                free(b[k]);
            memset(f, 0, sizeof(f));
            cases++;
        }
        if (got == NULL)
            break;
    }
    fclose(fp);
    ck_assert_int_eq(cases, 14);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

/* ------------------------------------------------------------ differential */

static uint64_t zc_seed;

/* Feeds buf in random chunks through update (AAD when out is NULL). */
static int zc_chunked(EVP_CIPHER_CTX *ctx, unsigned char *out, const unsigned char *in, size_t len,
                      uint64_t *rs)
{
    size_t off = 0;
    int n;

    while (off < len) {
        size_t ch = 1 + zc_util_rand(rs) % (zc_util_rand(rs) % 4 == 0 ? 17 : 4096);

        if (ch > len - off)
            ch = len - off;
        if (!EVP_CipherUpdate(ctx, out == NULL ? NULL : out + off, &n, in + off, (int)ch))
            return 0;
        off += ch;
    }
    return 1;
}

static void zc_diff_run(const char *backend, int cases, size_t maxlen)
{
    OSSL_LIB_CTX *lc = zc_util_libctx(backend, NULL);
    uint64_t rs = zc_seed ^ (uint64_t)backend[0] << 56 ^ (uint64_t)backend[1] << 48;
    EVP_CIPHER *zc[4], *df[4];
    unsigned char *pt = malloc(65536), *c1 = malloc(65536 + 16), *c2 = malloc(65536 + 16);
    unsigned char *p2 = malloc(65536 + 16), key[32], iv[64], aad[64], t1[16], t2[16], t3[16];

    ck_assert_ptr_nonnull(lc);
    for (int a = 0; a < 4; a++) {
        zc[a] = zc_util_fetch(lc, zc_algs[a], "zcrypto");
        df[a] = zc_util_fetch(zc_ref, zc_algs[a], "default");
        ck_assert(zc[a] != NULL && df[a] != NULL);
    }
    for (int i = 0; i < cases; i++) {
        int a = (int)(zc_util_rand(&rs) % 4), n, inplace = zc_util_rand(&rs) % 2;
        size_t ivlen = a == 3 || zc_util_rand(&rs) % 3 ? 12 : 1 + zc_util_rand(&rs) % 64;
        size_t aadlen = zc_util_rand(&rs) % 65, r = zc_util_rand(&rs) % 10;
        size_t len = r < 4 ? zc_util_rand(&rs) % 65 : r < 8 ? zc_util_rand(&rs) % 2049
                                                            : zc_util_rand(&rs) % (maxlen + 1);
        size_t taglen = a == 3 ? 16 : 4 + zc_util_rand(&rs) % 13;
        EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new(), *y = EVP_CIPHER_CTX_new();

        for (size_t j = 0; j < 32; j++)
            key[j] = (unsigned char)zc_util_rand(&rs);
        for (size_t j = 0; j < 64; j++)
            iv[j] = (unsigned char)zc_util_rand(&rs), aad[j] = (unsigned char)zc_util_rand(&rs);
        for (size_t j = 0; j < len; j++)
            pt[j] = (unsigned char)zc_util_rand(&rs);

        /* Reference: default provider, one shot. */
        zc_aead_io ref = { .key = key, .iv = iv, .ivlen = ivlen, .aad = aad, .aadlen = aadlen,
                           .in = pt, .inlen = len, .out = c1 };
        ck_assert(zc_util_aead(df[a], 1, &ref));

        /* zcrypto: random chunks, maybe in place, maybe a copy mid-stream,
         * maybe a second message on the same ctx with the key kept. */
        int reuse = zc_util_rand(&rs) % 4 == 0;
        ck_assert(EVP_EncryptInit_ex(x, zc[a], NULL, NULL, NULL));
        if (ivlen != 12)
            ck_assert(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, (int)ivlen, NULL) > 0);
        ck_assert(EVP_EncryptInit_ex(x, NULL, NULL, key, reuse ? aad : iv));
        if (reuse) {
            /* A throwaway message first, then re-init with the IV only. */
            ck_assert(EVP_EncryptUpdate(x, c2, &n, pt, (int)(len < 100 ? len : 100)));
            ck_assert(EVP_EncryptFinal_ex(x, c2, &n));
            ck_assert(EVP_EncryptInit_ex(x, NULL, NULL, NULL, iv));
        }
        ck_assert(zc_chunked(x, NULL, aad, aadlen, &rs));
        if (inplace)
            memcpy(c2, pt, len);
        size_t half = len ? zc_util_rand(&rs) % len : 0;
        ck_assert(zc_chunked(x, c2, inplace ? c2 : pt, half, &rs));
        if (zc_util_rand(&rs) % 4 == 0) {
            ck_assert(EVP_CIPHER_CTX_copy(y, x));
            EVP_CIPHER_CTX_free(x);
            x = y;
            y = EVP_CIPHER_CTX_new();
        }
        ck_assert(zc_chunked(x, c2 + half, (inplace ? c2 : pt) + half, len - half, &rs));
        ck_assert(EVP_EncryptFinal_ex(x, c2 + len, &n));
        ck_assert(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, t1) > 0);
        ck_assert_msg(memcmp(c1, c2, len) == 0 && memcmp(t1, ref.tag_out, 16) == 0,
                      "seed %llu case %d: %s len %zu ivlen %zu aad %zu differs from default",
                      (unsigned long long)zc_seed, i, zc_algs[a], len, ivlen, aadlen);

        /* Decrypt with a (possibly truncated) tag; then tampered: both reject. */
        memcpy(t2, t1, 16);
        zc_aead_io zd = { .key = key, .iv = iv, .ivlen = ivlen, .aad = aad, .aadlen = aadlen,
                          .in = c2, .inlen = len, .tag_in = t2, .taglen = taglen, .out = p2 };
        ck_assert_msg(zc_util_aead(zc[a], 0, &zd) && memcmp(p2, pt, len) == 0,
                      "seed %llu case %d: decrypt failed", (unsigned long long)zc_seed, i);
        memcpy(t3, t1, 16);
        size_t bit = zc_util_rand(&rs) % ((len + taglen) * 8);
        if (bit / 8 < len)
            c2[bit / 8] ^= (unsigned char)(1 << (bit % 8));
        else
            t3[bit / 8 - len] ^= (unsigned char)(1 << (bit % 8));
        zd.tag_in = t3;
        zc_aead_io dd = zd;
        unsigned char *p3 = malloc(len + 16);
        dd.out = p3;
        ck_assert_msg(!zc_util_aead(zc[a], 0, &zd), "seed %llu case %d: tampered accepted",
                      (unsigned long long)zc_seed, i);
        ck_assert(!zc_util_aead(df[a], 0, &dd));
        ERR_clear_error();
        free(p3);
        EVP_CIPHER_CTX_free(x);
        EVP_CIPHER_CTX_free(y);
    }
    for (int a = 0; a < 4; a++) {
        ck_assert_uint_gt(zc_util_stat(lc, zc_algs[a], "ops"), 0);
        EVP_CIPHER_free(zc[a]);
        EVP_CIPHER_free(df[a]);
    }
    free(pt), free(c1), free(c2), free(p2);
    OSSL_LIB_CTX_free(lc);
}

START_TEST(test_differential)
{
    /* 20,000 cases per run in all, shared by the backends; the portable one
     * (constant time, slow) gets shorter messages. */
    int per = (int)((20000 + zc_nbackends - 1) / zc_nbackends);
    int portable = strcmp(zc_backends[_i], "portable") == 0;

    zc_diff_run(zc_backends[_i], per, portable ? 8192 : 65536);
}
END_TEST

/* ------------------------------------------------ ChaCha20 pass planning */

/*
 * ChaCha20-Poly1305 at the lengths where the mode's ChaCha20 plan changes
 * (zc_cp_start_blocks, zc_cp_crypt): a full-width pass (16 blocks on
 * AVX-512) with block 0 ahead of the data or block 0 riding in the first
 * pass (whole passes), passes straight to the output, the rest in one call,
 * the 4 KiB pass cap plus keystream already made. Each length one update
 * and several streamed splits mixing short and long updates, encrypt and
 * decrypt, in place and not, against the default provider.
 */
static const size_t zc_plan_lens[] = {
    1,    15,   16,   17,   63,   64,   65,   448,  449,  960,  961,  1008, 1009,
    1023, 1024, 1025, 1087, 1088, 1089, 1472, 2047, 2048, 2049, 4095, 4096, 4097,
    5119, 5120, 5121, 6143, 6144, 6145, 16383, 16384, 16385, 32769,
};

/* Update lengths for split s of a len-byte message (0 ends the list). */
static void zc_plan_split(int s, size_t len, size_t cuts[8])
{
    static const size_t first[] = { 0, 1, 17, 1024, 5, 1088 };
    size_t n = 0, off = 0;

    if (s == 6) { /* half and half */
        if (len / 2 > 0)
            cuts[n++] = len / 2;
        off = len / 2;
    } else if (s == 7) { /* short, long, short, rest */
        const size_t seq[] = { 3, 2048, 61 };

        for (int i = 0; i < 3 && off < len; i++) {
            size_t c = seq[i] < len - off ? seq[i] : len - off;

            cuts[n++] = c, off += c;
        }
    } else if (s > 0) {
        size_t c = first[s] < len ? first[s] : len;

        cuts[n++] = c, off += c;
        if (s == 4 && off < len) { /* 5, 16, 1000, rest */
            c = 16 < len - off ? 16 : len - off;
            cuts[n++] = c, off += c;
            c = 1000 < len - off ? 1000 : len - off;
            cuts[n++] = c, off += c;
        }
    }
    if (off < len)
        cuts[n++] = len - off;
    cuts[n] = 0;
}

START_TEST(test_chacha_plan)
{
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);
    EVP_CIPHER *zc = zc_util_fetch(lc, "ChaCha20-Poly1305", "zcrypto");
    EVP_CIPHER *df = zc_util_fetch(zc_ref, "ChaCha20-Poly1305", "default");
    size_t maxlen = 32769;
    unsigned char *pt = malloc(maxlen), *ct = malloc(maxlen), *buf = malloc(maxlen),
                  *out = malloc(maxlen);
    unsigned char key[32], iv[12], aad[5] = { 23, 3, 3, 0x12, 0x34 }, tag[16];
    uint64_t rs = zc_seed ^ 0x706c616eu;

    ck_assert(lc != NULL && zc != NULL && df != NULL && pt != NULL && ct != NULL && buf != NULL
              && out != NULL);
    for (size_t j = 0; j < 32; j++)
        key[j] = (unsigned char)zc_util_rand(&rs);
    for (size_t j = 0; j < maxlen; j++)
        pt[j] = (unsigned char)zc_util_rand(&rs);
    for (size_t l = 0; l < sizeof(zc_plan_lens) / sizeof(zc_plan_lens[0]); l++) {
        size_t len = zc_plan_lens[l];
        zc_aead_io ref = { .key = key, .iv = iv, .ivlen = 12, .aad = aad, .aadlen = 5,
                           .in = pt, .inlen = len, .out = ct };

        for (size_t j = 0; j < 12; j++)
            iv[j] = (unsigned char)zc_util_rand(&rs);
        ck_assert(zc_util_aead(df, 1, &ref));
        for (int s = 0; s < 8; s++)
            for (int enc = 0; enc <= 1; enc++)
                for (int inplace = 0; inplace <= 1; inplace++) {
                    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
                    const unsigned char *src = enc ? pt : ct;
                    unsigned char *dst = inplace ? buf : out;
                    size_t cuts[8], off = 0;
                    int n;

                    memcpy(buf, src, len);
                    zc_plan_split(s, len, cuts);
                    ck_assert(x != NULL && EVP_CipherInit_ex(x, zc, NULL, key, iv, enc));
                    if (!enc)
                        ck_assert(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16,
                                                      ref.tag_out) > 0);
                    ck_assert(EVP_CipherUpdate(x, NULL, &n, aad, 5));
                    for (int c = 0; cuts[c] != 0; off += cuts[c], c++)
                        ck_assert(EVP_CipherUpdate(x, dst + off, &n,
                                                   (inplace ? buf : src) + off,
                                                   (int)cuts[c]));
                    ck_assert_msg(EVP_CipherFinal_ex(x, dst + len, &n),
                                  "%s: len %zu split %d %s%s: tag rejected", zc_backends[_i],
                                  len, s, enc ? "enc" : "dec", inplace ? " in place" : "");
                    if (enc)
                        ck_assert(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, tag) > 0);
                    ck_assert_msg(memcmp(dst, enc ? ct : pt, len) == 0
                                      && (!enc || memcmp(tag, ref.tag_out, 16) == 0),
                                  "%s: len %zu split %d %s%s differs from default",
                                  zc_backends[_i], len, s, enc ? "enc" : "dec",
                                  inplace ? " in place" : "");
                    EVP_CIPHER_CTX_free(x);
                }
    }
    free(pt), free(ct), free(buf), free(out);
    EVP_CIPHER_free(zc);
    EVP_CIPHER_free(df);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

/* ------------------------------------------------------------ TLS flows */

/* TLS 1.2 as libssl 3.0 drives it: one in-place update per record. */
static EVP_CIPHER_CTX *zc_tls12_ctx(EVP_CIPHER *c, int enc, const unsigned char *key,
                                    const unsigned char *iv, int gcm)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();

    ck_assert(EVP_CipherInit_ex(x, c, NULL, key, gcm ? NULL : iv, enc));
    if (gcm)
        ck_assert(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IV_FIXED, 4, (void *)iv) > 0);
    return x;
}

static int zc_tls12_record(EVP_CIPHER_CTX *x, int enc, int gcm, uint64_t seq, unsigned char *buf,
                           size_t plen, int *outl)
{
    unsigned char aad[13];
    size_t reclen = (gcm ? 8 : 0) + plen + 16;
    size_t field = enc ? plen + (gcm ? 8 : 0) : reclen;

    for (int i = 0; i < 8; i++)
        aad[i] = (unsigned char)(seq >> (56 - 8 * i));
    aad[8] = 23, aad[9] = 3, aad[10] = 3;
    aad[11] = (unsigned char)(field >> 8), aad[12] = (unsigned char)field;
    if (EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_TLS1_AAD, 13, aad) != 16)
        return 0;
    return EVP_CipherUpdate(x, buf, outl, buf, (int)reclen);
}

static void zc_tls12_flow(OSSL_LIB_CTX *lc, int a)
{
    int gcm = a != 3;
    unsigned char key[32], iv[12], buf[3000], pt[3000];
    EVP_CIPHER *zc = zc_util_fetch(lc, zc_algs[a], "zcrypto");
    EVP_CIPHER *df = zc_util_fetch(zc_ref, zc_algs[a], "default");

    for (int i = 0; i < 32; i++)
        key[i] = (unsigned char)(i * 7 + a);
    for (int i = 0; i < 12; i++)
        iv[i] = (unsigned char)(i * 13 + 1);
    /* zcrypto seals, default opens; then the other way round. */
    for (int dir = 0; dir < 2; dir++) {
        EVP_CIPHER_CTX *e = zc_tls12_ctx(dir ? df : zc, 1, key, iv, gcm);
        EVP_CIPHER_CTX *d = zc_tls12_ctx(dir ? zc : df, 0, key, iv, gcm);

        for (uint64_t seq = 0; seq < 6; seq++) {
            size_t plen = (size_t)(seq * 523 % 2900), off = gcm ? 8 : 0;
            int outl;

            for (size_t j = 0; j < plen; j++)
                pt[j] = (unsigned char)(j + seq);
            memcpy(buf + off, pt, plen);
            ck_assert(zc_tls12_record(e, 1, gcm, seq, buf, plen, &outl));
            ck_assert_int_eq(outl, (int)(off + plen + 16));
            if (seq == 5) {
                /* Tampered record: rejected, plaintext area wiped. */
                buf[off + plen + 3] ^= 1;
                ck_assert(!zc_tls12_record(d, 0, gcm, seq, buf, plen, &outl));
                if (dir == 1)
                    for (size_t j = 0; j < plen; j++)
                        ck_assert_msg(buf[off + j] == 0, "plaintext not wiped at %zu", j);
                ERR_clear_error();
                continue;
            }
            ck_assert(zc_tls12_record(d, 0, gcm, seq, buf, plen, &outl));
            ck_assert_int_eq(outl, (int)plen);
            ck_assert(memcmp(buf + off, pt, plen) == 0);
        }
        EVP_CIPHER_CTX_free(e);
        EVP_CIPHER_CTX_free(d);
    }
    EVP_CIPHER_free(zc);
    EVP_CIPHER_free(df);
}

/* TLS 1.3: key once (after ivlen), per record IV only, AAD update, tag. */
static void zc_tls13_flow(OSSL_LIB_CTX *lc, int a)
{
    unsigned char key[32] = { 3 }, iv[12] = { 9 }, nonce[12], hdr[5] = { 23, 3, 3, 0, 0 };
    unsigned char buf[2100], pt[2100], tag[16];
    EVP_CIPHER *c[2] = { zc_util_fetch(lc, zc_algs[a], "zcrypto"),
                         zc_util_fetch(zc_ref, zc_algs[a], "default") };

    for (int dir = 0; dir < 2; dir++) {
        EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new(), *d = EVP_CIPHER_CTX_new();
        EVP_CIPHER_CTX *x[2] = { e, d };

        for (int k = 0; k < 2; k++) {
            ck_assert(EVP_CipherInit_ex(x[k], c[(dir + k) % 2], NULL, NULL, NULL, k == 0));
            ck_assert(EVP_CIPHER_CTX_ctrl(x[k], EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) > 0);
            ck_assert(EVP_CipherInit_ex(x[k], NULL, NULL, key, NULL, k == 0));
        }
        for (uint64_t seq = 0; seq < 5; seq++) {
            size_t plen = (size_t)(seq * 499 % 2000) + 1;
            int n;

            memcpy(nonce, iv, 12);
            for (int i = 0; i < 8; i++)
                nonce[11 - i] ^= (unsigned char)(seq >> (8 * i));
            for (size_t j = 0; j < plen; j++)
                pt[j] = (unsigned char)(j * 3 + seq);
            memcpy(buf, pt, plen);
            hdr[3] = (unsigned char)((plen + 16) >> 8), hdr[4] = (unsigned char)(plen + 16);
            ck_assert(EVP_CipherInit_ex(e, NULL, NULL, NULL, nonce, 1));
            ck_assert(EVP_CipherUpdate(e, NULL, &n, hdr, 5));
            ck_assert(EVP_CipherUpdate(e, buf, &n, buf, (int)plen));
            ck_assert(EVP_CipherFinal_ex(e, buf + n, &n) && n == 0);
            ck_assert(EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_AEAD_GET_TAG, 16, tag) > 0);
            if (seq == 4)
                tag[0] ^= 0x80;
            ck_assert(EVP_CipherInit_ex(d, NULL, NULL, NULL, nonce, 0));
            ck_assert(EVP_CIPHER_CTX_ctrl(d, EVP_CTRL_AEAD_SET_TAG, 16, tag) > 0);
            ck_assert(EVP_CipherUpdate(d, NULL, &n, hdr, 5));
            ck_assert(EVP_CipherUpdate(d, buf, &n, buf, (int)plen));
            if (seq == 4) {
                ck_assert(!EVP_CipherFinal_ex(d, buf + n, &n));
                ERR_clear_error();
            } else {
                ck_assert(EVP_CipherFinal_ex(d, buf + n, &n));
                ck_assert(memcmp(buf, pt, plen) == 0);
            }
        }
        EVP_CIPHER_CTX_free(e);
        EVP_CIPHER_CTX_free(d);
    }
    EVP_CIPHER_free(c[0]);
    EVP_CIPHER_free(c[1]);
}

START_TEST(test_tls_flows)
{
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);

    ck_assert_ptr_nonnull(lc);
    for (int a = 0; a < 4; a++) {
        uint64_t before = zc_util_stat(lc, zc_algs[a], "ops");

        zc_tls12_flow(lc, a);
        zc_tls13_flow(lc, a);
        ck_assert_uint_gt(zc_util_stat(lc, zc_algs[a], "ops"), before);
        ck_assert_uint_gt(zc_util_stat(lc, zc_algs[a], "tag_failures"), 0);
    }
    OSSL_LIB_CTX_free(lc);
}
END_TEST

/* ------------------------------------------------------------ bad input */

START_TEST(test_bad_input)
{
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);
    unsigned char key[32] = { 1 }, iv[16] = { 2 }, buf[64] = { 0 }, tag[17] = { 0 };
    int n;

    ck_assert_ptr_nonnull(lc);
    for (int a = 0; a < 4; a++) {
        EVP_CIPHER *c = zc_util_fetch(lc, zc_algs[a], "zcrypto");
        EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
        int gcm = a != 3;

#define ZC_EXPECT_FAIL(expr, what)                                                  \
        do {                                                                        \
            ERR_clear_error();                                                      \
            ck_assert_msg((expr) <= 0, "%s: %s accepted", zc_algs[a], what);        \
            ck_assert_msg(zc_util_last_error_is_zcrypto(), "%s: %s: no zcrypto error", \
                          zc_algs[a], what);                                        \
        } while (0)

        ck_assert(EVP_EncryptInit_ex(x, c, NULL, NULL, NULL));
        /* Found by fuzz/fuzz_evp (fuzz/regress/): before any IV there is
         * none to report (GCM encrypt drew one here; the default fails),
         * and ChaCha20-Poly1305 TLS AAD needs the nonce it XORs into. */
        if (gcm) {
            unsigned char got[16];
            OSSL_PARAM p[2] = { OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_IV, got,
                                                                  sizeof(got)),
                                OSSL_PARAM_END };

            ZC_EXPECT_FAIL(EVP_CIPHER_CTX_get_params(x, p), "IV asked before any IV");
        } else {
            unsigned char aad13[13] = { [12] = 32 };

            ZC_EXPECT_FAIL(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_TLS1_AAD, 13, aad13),
                           "TLS AAD before the nonce");
        }
        ZC_EXPECT_FAIL(EVP_CIPHER_CTX_set_key_length(x, 20), "wrong key length");
        ZC_EXPECT_FAIL(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 0, NULL), "ivlen 0");
        if (gcm) {
            /* Any GCM IV length >= 1 is taken, up to where its bit count
             * would overflow 64 bits. */
            size_t huge = SIZE_MAX;
            OSSL_PARAM ivp[2] = { OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &huge), OSSL_PARAM_END };

            ZC_EXPECT_FAIL(EVP_CIPHER_CTX_set_params(x, ivp), "ivlen SIZE_MAX");
        } else {
            ZC_EXPECT_FAIL(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 13, NULL), "ivlen 13");
        }
        ZC_EXPECT_FAIL(EVP_EncryptUpdate(x, buf, &n, buf, 16), "update without key");
        ck_assert(EVP_EncryptInit_ex(x, NULL, NULL, key, iv));
        ZC_EXPECT_FAIL(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, tag), "tag before final");
        ZC_EXPECT_FAIL(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, tag), "set tag on encrypt");
        ck_assert(EVP_EncryptUpdate(x, buf, &n, buf, 16));
        ZC_EXPECT_FAIL(EVP_EncryptUpdate(x, NULL, &n, buf, 4), "AAD after data");
        ck_assert(EVP_EncryptFinal_ex(x, buf, &n));
        ZC_EXPECT_FAIL(EVP_EncryptUpdate(x, buf, &n, buf, 16), "update after final");
        ZC_EXPECT_FAIL(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 17, tag), "get tag 17");

        EVP_CIPHER_CTX_free(x);
        x = EVP_CIPHER_CTX_new();
        ck_assert(EVP_DecryptInit_ex(x, c, NULL, key, iv));
        ZC_EXPECT_FAIL(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 17, tag), "set tag 17");
        ZC_EXPECT_FAIL(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 0, tag), "set tag 0");
        ck_assert(EVP_DecryptUpdate(x, buf, &n, buf, 16));
        ZC_EXPECT_FAIL(EVP_DecryptFinal_ex(x, buf, &n), "decrypt final without tag");
        ck_assert(EVP_DecryptInit_ex(x, NULL, NULL, NULL, iv));
        ck_assert(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, tag) > 0);
        ck_assert(EVP_DecryptUpdate(x, buf, &n, buf, 16));
        ZC_EXPECT_FAIL(EVP_DecryptFinal_ex(x, buf, &n), "wrong tag");
        /* Malformed TLS AAD (length below the tag). */
        unsigned char aad[13] = { 0 };
        aad[12] = 3;
        ZC_EXPECT_FAIL(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_TLS1_AAD, 13, aad), "short TLS AAD");
        ZC_EXPECT_FAIL(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_TLS1_AAD, 12, aad), "12-byte TLS AAD");
        ck_assert_uint_gt(zc_util_stat(lc, zc_algs[a], "tag_failures"), 0);
        EVP_CIPHER_CTX_free(x);
        EVP_CIPHER_free(c);
    }
    OSSL_LIB_CTX_free(lc);
}
END_TEST

/* ------------------------------------------------------------ re-key, threads */

START_TEST(test_rekey_same_key)
{
    /* openssl speed re-keys every op; only a new key may be expanded again. */
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);
    unsigned char key[32] = { 5 }, key2[32] = { 6 }, iv[12] = { 7 }, buf[64] = { 0 }, tag[16];
    int n;

    ck_assert_ptr_nonnull(lc);
    for (int a = 0; a < 4; a++) {
        EVP_CIPHER *c = zc_util_fetch(lc, zc_algs[a], "zcrypto");
        EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
        uint64_t before = zc_util_stat(lc, zc_algs[a], "key_setups");

        ck_assert(EVP_EncryptInit_ex(x, c, NULL, key, iv));
        for (int i = 0; i < 1000; i++) {
            ck_assert(EVP_CipherInit_ex(x, NULL, NULL, key, iv, 1));
            ck_assert(EVP_EncryptUpdate(x, buf, &n, buf, sizeof(buf)));
            ck_assert(EVP_EncryptFinal_ex(x, buf, &n));
            ck_assert(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, tag) > 0);
        }
        ck_assert_uint_eq(zc_util_stat(lc, zc_algs[a], "key_setups") - before, 1);
        /* A different key is expanded, and the result is that key's. */
        ck_assert(EVP_CipherInit_ex(x, NULL, NULL, key2, iv, 1));
        ck_assert_uint_eq(zc_util_stat(lc, zc_algs[a], "key_setups") - before, 2);
        EVP_CIPHER_CTX_free(x);
        EVP_CIPHER_free(c);
    }
    OSSL_LIB_CTX_free(lc);
}
END_TEST

typedef struct zc_thread_arg {
    OSSL_LIB_CTX *lc;
    int alg, failures;
} zc_thread_arg;

/* Each thread seals and opens on its own contexts (and, for ipsec-mb, its
 * own lazily created manager) and checks against the default provider. */
static void *zc_thread_work(void *p)
{
    zc_thread_arg *t = p;
    EVP_CIPHER *zc = zc_util_fetch(t->lc, zc_algs[t->alg], "zcrypto");
    EVP_CIPHER *df = zc_util_fetch(zc_ref, zc_algs[t->alg], "default");
    unsigned char key[32], iv[12], pt[1500], c1[1500], c2[1500], back[1500];
    uint64_t rs = (uint64_t)t->alg * 977 + 1;

    for (int i = 0; i < 300; i++) {
        size_t len = zc_util_rand(&rs) % sizeof(pt);

        for (size_t j = 0; j < 32; j++)
            key[j] = (unsigned char)zc_util_rand(&rs);
        for (size_t j = 0; j < 12; j++)
            iv[j] = (unsigned char)zc_util_rand(&rs);
        for (size_t j = 0; j < len; j++)
            pt[j] = (unsigned char)j;
        zc_aead_io a = { .key = key, .iv = iv, .ivlen = 12, .in = pt, .inlen = len, .out = c1 };
        zc_aead_io b = a;

        b.out = c2;
        if (!zc_util_aead(zc, 1, &a) || !zc_util_aead(df, 1, &b)
            || memcmp(c1, c2, len) != 0 || memcmp(a.tag_out, b.tag_out, 16) != 0) {
            t->failures++;
            continue;
        }
        zc_aead_io d = { .key = key, .iv = iv, .ivlen = 12, .in = c1, .inlen = len,
                         .tag_in = a.tag_out, .taglen = 16, .out = back };
        if (!zc_util_aead(zc, 0, &d) || memcmp(back, pt, len) != 0)
            t->failures++;
    }
    EVP_CIPHER_free(zc);
    EVP_CIPHER_free(df);
    /* Thread stop releases this thread's backend state (IMB_MGR). */
    OPENSSL_thread_stop_ex(t->lc);
    return NULL;
}

START_TEST(test_threads)
{
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);
    pthread_t th[4];
    zc_thread_arg args[4];

    ck_assert_ptr_nonnull(lc);
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < 4; k++) {
            args[k] = (zc_thread_arg){ lc, k, 0 };
            ck_assert_int_eq(pthread_create(&th[k], NULL, zc_thread_work, &args[k]), 0);
        }
        for (int k = 0; k < 4; k++) {
            pthread_join(th[k], NULL);
            ck_assert_msg(args[k].failures == 0, "%s: %d failures in a thread", zc_algs[k],
                          args[k].failures);
        }
    }
    OSSL_LIB_CTX_free(lc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("zcrypto core");
    TCase *tc = tcase_create("all backends");
    const char *seed = getenv("ZC_TEST_SEED");
    int rc;

    zc_util_init();
    zc_ref = zc_util_default_libctx();
    zc_seed = seed != NULL ? strtoull(seed, NULL, 0) : (uint64_t)time(NULL);
    fprintf(stderr, "differential seed: %llu (replay with ZC_TEST_SEED)\n", (unsigned long long)zc_seed);
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_wycheproof_gcm, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_wycheproof_chacha, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_known_vectors, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_tls_flows, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_bad_input, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_rekey_same_key, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_threads, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_differential, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_chacha_plan, 0, (int)zc_nbackends);
    suite_add_tcase(s, tc);
    rc = zc_util_run_suite(s);
    OSSL_LIB_CTX_free(zc_ref);
    return rc;
}
