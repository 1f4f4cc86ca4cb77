/*
 * AES-GCM IV lengths on every backend: 1..320 bytes and a few far longer.
 * The default provider stops at 128 bytes (1024 bits); GCM itself allows
 * up to 2^64 - 1 bits and Wycheproof has valid 257-byte cases, so zcrypto
 * accepts any length >= 1. The judge is a reference GCM written here from
 * SP 800-38D (a bitwise GHASH over the default provider's AES-ECB): it must
 * equal the default provider wherever the default accepts (that checks the
 * reference), and zcrypto must equal it everywhere — one update, split
 * updates, in place, a copied context, decrypt, a damaged tag, the IV read
 * back, and IV lengths changed on a live context.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include "zc_core_util.h"

static OSSL_LIB_CTX *zc_ref;

/* ------------------------------------------------------------ reference GCM */

/* X * Y in GF(2^128), GCM's bit order (SP 800-38D, 6.3), one bit at a time. */
static void zc_gf_mul(unsigned char x[16], const unsigned char y[16])
{
    unsigned char z[16] = { 0 }, v[16];

    memcpy(v, y, 16);
    for (int i = 0; i < 128; i++) {
        if (x[i / 8] & (0x80 >> (i % 8)))
            for (int j = 0; j < 16; j++)
                z[j] ^= v[j];
        int lsb = v[15] & 1;

        for (int j = 15; j > 0; j--)
            v[j] = (unsigned char)((v[j] >> 1) | (v[j - 1] << 7));
        v[0] >>= 1;
        if (lsb)
            v[0] ^= 0xe1;
    }
    memcpy(x, z, 16);
}

/* y = GHASH_H(y, data zero-padded to whole blocks). */
static void zc_ghash(unsigned char y[16], const unsigned char h[16], const unsigned char *d, size_t n)
{
    for (size_t off = 0; off < n; off += 16) {
        size_t k = n - off < 16 ? n - off : 16;

        for (size_t j = 0; j < k; j++)
            y[j] ^= d[off + j];
        zc_gf_mul(y, h);
    }
}

static void zc_put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (56 - 8 * i));
}

static void zc_aes_block(EVP_CIPHER_CTX *ecb, unsigned char out[16], const unsigned char in[16])
{
    int n;

    ck_assert(EVP_EncryptUpdate(ecb, out, &n, in, 16) && n == 16);
}

/* GCM encrypt of one message (SP 800-38D, 7.1). */
static void zc_ref_gcm(size_t keylen, const unsigned char *key, const unsigned char *iv, size_t ivlen,
                       const unsigned char *aad, size_t aadlen, const unsigned char *pt, size_t len,
                       unsigned char *ct, unsigned char tag[16])
{
    static const char *const ecbs[] = { "AES-128-ECB", "AES-192-ECB", "AES-256-ECB" };
    EVP_CIPHER *c = EVP_CIPHER_fetch(zc_ref, ecbs[(keylen - 16) / 8], "provider=default");
    EVP_CIPHER_CTX *ecb = EVP_CIPHER_CTX_new();
    unsigned char zero[16] = { 0 }, h[16], j0[16] = { 0 }, cb[16], ks[16], lens[16] = { 0 };

    ck_assert(c != NULL && ecb != NULL && EVP_EncryptInit_ex(ecb, c, NULL, key, NULL));
    EVP_CIPHER_CTX_set_padding(ecb, 0);
    zc_aes_block(ecb, h, zero);
    if (ivlen == 12) {
        memcpy(j0, iv, 12);
        j0[15] = 1;
    } else {
        zc_ghash(j0, h, iv, ivlen);
        zc_put64(lens + 8, (uint64_t)ivlen * 8);
        zc_ghash(j0, h, lens, 16);
    }
    memcpy(cb, j0, 16);
    for (size_t off = 0; off < len; off += 16) {
        /* inc32: only the low 32 bits count, wrapping. */
        for (int j = 15; j >= 12; j--)
            if (++cb[j] != 0)
                break;
        zc_aes_block(ecb, ks, cb);
        for (size_t j = 0; j < 16 && off + j < len; j++)
            ct[off + j] = pt[off + j] ^ ks[j];
    }
    memset(tag, 0, 16);
    zc_ghash(tag, h, aad, aadlen);
    zc_ghash(tag, h, ct, len);
    zc_put64(lens, (uint64_t)aadlen * 8);
    zc_put64(lens + 8, (uint64_t)len * 8);
    zc_ghash(tag, h, lens, 16);
    zc_aes_block(ecb, ks, j0);
    for (int j = 0; j < 16; j++)
        tag[j] ^= ks[j];
    EVP_CIPHER_CTX_free(ecb);
    EVP_CIPHER_free(c);
}

/* ------------------------------------------------------------ EVP runs */

static void zc_fill(unsigned char *p, size_t n, uint64_t *rs)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)zc_util_rand(rs);
}

/* A context with key and IV set (ivlen first, as EVP needs). */
static EVP_CIPHER_CTX *zc_open(EVP_CIPHER *c, int enc, const unsigned char *key,
                               const unsigned char *iv, size_t ivlen)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();

    if (x != NULL && EVP_CipherInit_ex(x, c, NULL, NULL, NULL, enc)
        && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, (int)ivlen, NULL) > 0
        && EVP_CipherInit_ex(x, NULL, NULL, key, iv, enc))
        return x;
    EVP_CIPHER_CTX_free(x);
    return NULL;
}

/* AAD, then the data in two updates split at cut, final, tag. */
static int zc_feed(EVP_CIPHER_CTX *x, int enc, const unsigned char *aad, size_t aadlen,
                   unsigned char *out, const unsigned char *in, size_t len, size_t cut,
                   unsigned char tag[16])
{
    int n, ok = 1;

    if (!enc)
        ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, tag) > 0;
    if (ok && aadlen > 0)
        ok = EVP_CipherUpdate(x, NULL, &n, aad, (int)aadlen);
    if (ok && cut > 0)
        ok = EVP_CipherUpdate(x, out, &n, in, (int)cut) && (size_t)n == cut;
    if (ok && len > cut)
        ok = EVP_CipherUpdate(x, out + cut, &n, in + cut, (int)(len - cut)) && (size_t)n == len - cut;
    ok = ok && EVP_CipherFinal_ex(x, out + len, &n);
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, tag) > 0;
    return ok;
}

static int zc_seal(EVP_CIPHER *c, const unsigned char *key, const unsigned char *iv, size_t ivlen,
                   const unsigned char *aad, size_t aadlen, unsigned char *out,
                   const unsigned char *in, size_t len, size_t cut, unsigned char tag[16])
{
    EVP_CIPHER_CTX *x = zc_open(c, 1, key, iv, ivlen);
    int ok = x != NULL && zc_feed(x, 1, aad, aadlen, out, in, len, cut, tag);

    EVP_CIPHER_CTX_free(x);
    return ok;
}

#define ZC_MAX_LEN 600

/* IV lengths: every one from 1 to 320, then a few far past any block. */
static size_t zc_ivlen_at(size_t i)
{
    static const size_t far[] = { 511, 512, 1000, 4097 };

    return i < 320 ? i + 1 : far[i - 320];
}

START_TEST(test_iv_lengths)
{
    static const char *const algs[] = { "AES-128-GCM", "AES-192-GCM", "AES-256-GCM" };
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);
    unsigned char key[32], aad[40], pt[ZC_MAX_LEN], want[ZC_MAX_LEN], out[ZC_MAX_LEN + 16];
    unsigned char tag[16], want_tag[16], *iv = malloc(4097), *back = malloc(4097);
    uint64_t rs = 0x51ed2701u + (uint64_t)_i;
    int beyond = 0, matched_default = 0;

    ck_assert(lc != NULL && iv != NULL && back != NULL);
    for (size_t i = 0; i < 324; i++) {
        size_t ivlen = zc_ivlen_at(i), a = i % 3, keylen = 16 + 8 * a;
        size_t len = (size_t)(zc_util_rand(&rs) % ZC_MAX_LEN), aadlen = (size_t)(zc_util_rand(&rs) % 40);
        size_t cut = len ? (size_t)(zc_util_rand(&rs) % (len + 1)) : 0;
        EVP_CIPHER *zc = zc_util_fetch(lc, algs[a], "zcrypto"), *df = zc_util_fetch(zc_ref, algs[a], "default");
        int dok;

        ck_assert(zc != NULL && df != NULL);
        zc_fill(key, keylen, &rs);
        zc_fill(iv, ivlen, &rs);
        zc_fill(aad, aadlen, &rs);
        zc_fill(pt, len, &rs);
        zc_ref_gcm(keylen, key, iv, ivlen, aad, aadlen, pt, len, want, want_tag);

        /* Where the default accepts, the reference must be it. */
        dok = zc_seal(df, key, iv, ivlen, aad, aadlen, out, pt, len, cut, tag);
        ERR_clear_error();
        if (ivlen <= 128)
            ck_assert_msg(dok, "the default provider refused a %zu-byte IV", ivlen);
        if (dok) {
            ck_assert_msg(memcmp(out, want, len) == 0 && memcmp(tag, want_tag, 16) == 0,
                          "reference GCM differs from the default provider, ivlen %zu", ivlen);
            matched_default++;
        } else {
            beyond++;
        }

        /* zcrypto, split updates. */
        memset(out, 0, sizeof(out));
        ck_assert_msg(zc_seal(zc, key, iv, ivlen, aad, aadlen, out, pt, len, cut, tag),
                      "%s refused a %zu-byte IV on %s", algs[a], ivlen, zc_backends[_i]);
        ck_assert_msg(memcmp(out, want, len) == 0 && memcmp(tag, want_tag, 16) == 0,
                      "%s ivlen %zu len %zu cut %zu aad %zu differs on %s", algs[a], ivlen, len,
                      cut, aadlen, zc_backends[_i]);

        /* In place, one update, through a copied context whose IV is read back. */
        EVP_CIPHER_CTX *x = zc_open(zc, 1, key, iv, ivlen), *y = EVP_CIPHER_CTX_new();
        OSSL_PARAM p[2] = { OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_IV, back, ivlen), OSSL_PARAM_END };

        ck_assert(x != NULL && y != NULL && EVP_CIPHER_CTX_copy(y, x));
        EVP_CIPHER_CTX_free(x);
        ck_assert_int_eq(EVP_CIPHER_CTX_get_iv_length(y), (int)ivlen);
        ck_assert(EVP_CIPHER_CTX_get_params(y, p) && memcmp(back, iv, ivlen) == 0);
        memcpy(out, pt, len);
        ck_assert(zc_feed(y, 1, aad, aadlen, out, out, len, len, tag));
        ck_assert(memcmp(out, want, len) == 0 && memcmp(tag, want_tag, 16) == 0);
        /* Re-init with the key kept and the same IV: the same message again. */
        ck_assert(EVP_CipherInit_ex(y, NULL, NULL, NULL, iv, 1));
        ck_assert(zc_feed(y, 1, aad, aadlen, out, pt, len, cut, tag));
        ck_assert(memcmp(out, want, len) == 0 && memcmp(tag, want_tag, 16) == 0);
        EVP_CIPHER_CTX_free(y);

        /* Open, then a damaged tag. */
        x = zc_open(zc, 0, key, iv, ivlen);
        ck_assert(x != NULL && zc_feed(x, 0, aad, aadlen, out, want, len, cut, want_tag));
        ck_assert(memcmp(out, pt, len) == 0);
        EVP_CIPHER_CTX_free(x);
        want_tag[ivlen % 16] ^= 1;
        x = zc_open(zc, 0, key, iv, ivlen);
        ck_assert(x != NULL && !zc_feed(x, 0, aad, aadlen, out, want, len, cut, want_tag));
        EVP_CIPHER_CTX_free(x);
        ERR_clear_error();
        EVP_CIPHER_free(zc);
        EVP_CIPHER_free(df);
    }
    ck_assert_int_ge(matched_default, 128);
    fprintf(stderr, "%s: %d IV lengths matched the default provider, %d it refuses matched the reference\n",
            zc_backends[_i], matched_default, beyond);
    ck_assert_uint_gt(zc_util_stat(lc, "AES-192-GCM", "ops"), 0);
    free(iv), free(back);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

/* One context whose IV length goes short -> long -> short -> longer. */
START_TEST(test_iv_length_changes)
{
    static const size_t seq[] = { 12, 300, 1, 129, 128, 4097, 16, 65536, 257 };
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);
    EVP_CIPHER *zc = zc_util_fetch(lc, "AES-256-GCM", "zcrypto");
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    unsigned char key[32], *iv = malloc(65536), pt[100], want[100], out[116], tag[16], want_tag[16];
    uint64_t rs = 99 + (uint64_t)_i;

    ck_assert(lc != NULL && zc != NULL && x != NULL && iv != NULL);
    zc_fill(key, 32, &rs);
    zc_fill(pt, sizeof(pt), &rs);
    ck_assert(EVP_EncryptInit_ex(x, zc, NULL, key, NULL));
    for (size_t s = 0; s < sizeof(seq) / sizeof(seq[0]); s++) {
        zc_fill(iv, seq[s], &rs);
        zc_ref_gcm(32, key, iv, seq[s], pt, 7, pt, sizeof(pt), want, want_tag);
        ck_assert(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, (int)seq[s], NULL) > 0);
        ck_assert(EVP_EncryptInit_ex(x, NULL, NULL, NULL, iv));
        ck_assert_msg(zc_feed(x, 1, pt, 7, out, pt, sizeof(pt), 33, tag), "ivlen %zu", seq[s]);
        ck_assert_msg(memcmp(out, want, sizeof(pt)) == 0 && memcmp(tag, want_tag, 16) == 0,
                      "ivlen %zu after a change, on %s", seq[s], zc_backends[_i]);
    }
    /* Zero stays refused, and so does anything past the 64 KiB bound
     * (one ivlen setting must not reserve gigabytes), with a zcrypto reason. */
    ck_assert(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 0, NULL) <= 0);
    ck_assert(zc_util_last_error_is_zcrypto());
    ERR_clear_error();
    ck_assert(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 65537, NULL) <= 0);
    ck_assert(zc_util_last_error_is_zcrypto());
    ERR_clear_error();
    ck_assert(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 1 << 30, NULL) <= 0);
    ck_assert(zc_util_last_error_is_zcrypto());
    ERR_clear_error();
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(zc);
    free(iv);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("zcrypto AES-GCM IV lengths");
    TCase *tc = tcase_create("all backends");
    int rc;

    zc_util_init();
    zc_ref = zc_util_default_libctx();
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_iv_lengths, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_iv_length_changes, 0, (int)zc_nbackends);
    suite_add_tcase(s, tc);
    rc = zc_util_run_suite(s);
    OSSL_LIB_CTX_free(zc_ref);
    return rc;
}
