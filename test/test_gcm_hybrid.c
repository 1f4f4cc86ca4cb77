/*
 * The AES-GCM hybrid of the ipsec-mb backends (dispatch/ipsecmb/zc_imb_aead.c):
 * zcrypto's own x86 kernel below a size, ipsec-mb above, picked per
 * message from the first update's length. Every case is checked against
 * the default provider on every backend: lengths on both sides of each
 * boundary in the kernel (one fused pass, the pending buffer, the
 * one-reduction group of 32 blocks) and of the hybrid threshold; streaming
 * that starts short and grows long; one byte at a time; IVs other than 96
 * bits; AAD that does and does not fit the kernel's pending buffer; TLS 1.2
 * records (the one-shot path); decrypt with a good and a damaged tag.
 * The bulk kernels (a stitched loop over groups of 16 or 32 blocks, then
 * the rest with the length block) get every length from 0 to 2112 and 6144 to 6700 bytes
 * in one update, in place and not, and long messages in random chunkings
 * that cut groups anywhere. And no backend returns with dirty ymm/zmm
 * upper halves (test_hybrid_upper_clean).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include "zc_core_util.h"

static OSSL_LIB_CTX *zc_ref;

static const size_t zc_lens[] = {
    0, 1, 15, 16, 17, 31, 48, 63, 64, 65, 100, 127, 128, 129, 160, 223, 224, 225, 255, 256, 257,
    288, 352, 416,
    447, 448, 449, 463, 464, 465, 479, 480, 481, 495, 496, 497, 511, 512, 513, 527,
    1008, 1011, 1023, 1024, 1025, 1419, 1420, 1535, 1536, 1537, 2047, 2048, 4095, 4096, 4097,
    8209, 16383, 16384, 16400,
};
static const size_t zc_ivlens[] = { 12, 1, 8, 16, 60, 128 };
static const size_t zc_aadlens[] = { 13, 0, 5, 64, 65, 300 };

enum { ZC_ONE_UPDATE, ZC_BYTES, ZC_SHORT_THEN_LONG, ZC_RANDOM, ZC_RANDOM_GROUPS, ZC_LONG_THEN_RANDOM,
       ZC_CHUNKINGS };

/* The next update's length under a chunking, at offset off of len bytes. */
static size_t zc_chunk(int how, size_t off, size_t len, uint64_t *rs)
{
    size_t left = len - off, n;

    switch (how) {
    case ZC_BYTES:
        n = 1;
        break;
    case ZC_SHORT_THEN_LONG:
        /* Below the threshold at the start (the message takes our kernel),
         * then far above it. */
        n = off == 0 ? 7 : off == 7 ? 3000 : left;
        break;
    case ZC_RANDOM:
        n = 1 + (size_t)(zc_util_rand(rs) % (zc_util_rand(rs) % 2 ? 40 : 1500));
        break;
    case ZC_RANDOM_GROUPS:
        /* Around whole groups of the bulk loops (256 and 512 bytes) and
         * their multiples, a few bytes either side, or a few bytes alone. */
        n = zc_util_rand(rs) % 3 == 0 ? 1 + (size_t)(zc_util_rand(rs) % 17)
                                      : 256 * (1 + (size_t)(zc_util_rand(rs) % 12))
                                            + (size_t)(zc_util_rand(rs) % 5) - 2;
        break;
    case ZC_LONG_THEN_RANDOM:
        /* A first update long enough for every bulk loop (the message
         * takes it), then more data after the pass that left a final hash. */
        n = off == 0 ? 6200 + (size_t)(zc_util_rand(rs) % 1500)
                     : 1 + (size_t)(zc_util_rand(rs) % (zc_util_rand(rs) % 2 ? 40 : 1100));
        break;
    default:
        n = left;
        break;
    }
    return n < left ? n : left;
}

/* One message through EVP in the given chunking; 1 if every step succeeded. */
static int zc_run(EVP_CIPHER *c, int enc, const unsigned char *key, const unsigned char *iv,
                  size_t ivlen, const unsigned char *aad, size_t aadlen, unsigned char *out,
                  const unsigned char *in, size_t len, unsigned char tag[16], int how,
                  uint64_t *rs)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int ok = x != NULL, n;
    size_t off = 0;

    ok = ok && EVP_CipherInit_ex(x, c, NULL, NULL, NULL, enc)
         && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, (int)ivlen, NULL) > 0
         && EVP_CipherInit_ex(x, NULL, NULL, key, iv, enc);
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, tag) > 0;
    if (ok && aadlen > 0)
        ok = EVP_CipherUpdate(x, NULL, &n, aad, (int)aadlen);
    while (ok && off < len) {
        size_t k = zc_chunk(how, off, len, rs);

        ok = EVP_CipherUpdate(x, out + off, &n, in + off, (int)k) && (size_t)n == k;
        off += k;
    }
    ok = ok && EVP_CipherFinal_ex(x, out + len, &n);
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, tag) > 0;
    EVP_CIPHER_CTX_free(x);
    return ok;
}

static void zc_fill(unsigned char *p, size_t n, uint64_t *rs)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)zc_util_rand(rs);
}

START_TEST(test_hybrid_streams)
{
    static const char *const algs[] = { "AES-128-GCM", "AES-192-GCM", "AES-256-GCM" };
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);
    size_t max = 16400 + 16;
    unsigned char key[32], iv[128], aad[300], want_tag[16], tag[16];
    unsigned char *pt = malloc(max), *ct = malloc(max), *out = malloc(max);
    uint64_t rs = 0x9e3779b97f4a7c15ull + (uint64_t)_i;
    int cases = 0;

    ck_assert_ptr_nonnull(lc);
    ck_assert(pt != NULL && ct != NULL && out != NULL);
    for (int a = 0; a < 3; a++) {
        EVP_CIPHER *zc = zc_util_fetch(lc, algs[a], "zcrypto");
        EVP_CIPHER *df = zc_util_fetch(zc_ref, algs[a], "default");

        ck_assert(zc != NULL && df != NULL);
        for (size_t li = 0; li < sizeof(zc_lens) / sizeof(zc_lens[0]); li++) {
            size_t len = zc_lens[li];
            /* IVs and AAD sizes rotate with the length, so each length
             * meets several of them across the three key sizes. */
            size_t ivlen = zc_ivlens[(li + (size_t)a) % 6], aadlen = zc_aadlens[(li * 5 + (size_t)a) % 6];

            /* Byte-at-a-time only where it crosses the kernel's boundaries. */
            for (int how = 0; how < ZC_CHUNKINGS; how++) {
                if ((how == ZC_BYTES && len > 1100) || (how == ZC_RANDOM_GROUPS && len < 500)
                    || (how == ZC_LONG_THEN_RANDOM && len < 7000))
                    continue;
                zc_fill(key, sizeof(key), &rs);
                zc_fill(iv, ivlen, &rs);
                zc_fill(aad, aadlen, &rs);
                zc_fill(pt, len, &rs);
                ck_assert(zc_run(df, 1, key, iv, ivlen, aad, aadlen, ct, pt, len, want_tag,
                                 ZC_ONE_UPDATE, &rs));
                /* Seal in place, as TLS does. */
                memcpy(out, pt, len);
                ck_assert_msg(zc_run(zc, 1, key, iv, ivlen, aad, aadlen, out, out, len, tag, how,
                                     &rs), "%s seal len %zu iv %zu aad %zu chunking %d",
                              algs[a], len, ivlen, aadlen, how);
                ck_assert_msg(memcmp(out, ct, len) == 0 && memcmp(tag, want_tag, 16) == 0,
                              "%s seal differs: len %zu iv %zu aad %zu chunking %d on %s",
                              algs[a], len, ivlen, aadlen, how, zc_backends[_i]);
                memcpy(out, ct, len);
                ck_assert_msg(zc_run(zc, 0, key, iv, ivlen, aad, aadlen, out, out, len, want_tag,
                                     how, &rs), "%s open len %zu iv %zu aad %zu chunking %d",
                              algs[a], len, ivlen, aadlen, how);
                ck_assert(memcmp(out, pt, len) == 0);
                want_tag[len % 16] ^= 0x20;
                ck_assert(!zc_run(zc, 0, key, iv, ivlen, aad, aadlen, out, ct, len, want_tag, how,
                                  &rs));
                ERR_clear_error();
                cases++;
            }
        }
        EVP_CIPHER_free(zc);
        EVP_CIPHER_free(df);
    }
    ck_assert_int_gt(cases, 500);
    ck_assert_uint_gt(zc_util_stat(lc, "AES-256-GCM", "ops"), 0);
    free(pt), free(ct), free(out);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

/*
 * Every length 0..2112 and 6144..6700 (past where the avx512 backend
 * takes its bulk loop: a group's worth of tails) in one update (the record shape), the key size
 * rotating with the length, in place for seal and open and, every third
 * length, out of place too; checked against the default provider.
 */
START_TEST(test_hybrid_sweep)
{
    static const char *const algs[] = { "AES-128-GCM", "AES-192-GCM", "AES-256-GCM" };
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);
    EVP_CIPHER *zc[3], *df[3];
    enum { MAXLEN = 6700 };
    unsigned char key[32], iv[12], aad[13], want_tag[16], tag[16];
    unsigned char *pt = malloc(MAXLEN + 16), *ct = malloc(MAXLEN + 16), *out = malloc(MAXLEN + 16);
    uint64_t rs = 0x2545f4914f6cdd1dull + (uint64_t)_i;

    ck_assert(lc != NULL && pt != NULL && ct != NULL && out != NULL);
    for (int a = 0; a < 3; a++) {
        zc[a] = zc_util_fetch(lc, algs[a], "zcrypto");
        df[a] = zc_util_fetch(zc_ref, algs[a], "default");
        ck_assert(zc[a] != NULL && df[a] != NULL);
    }
    for (size_t len = 0; len <= MAXLEN; len = len == 2112 ? 6144 : len + 1) {
        int a = (int)(len % 3);

        zc_fill(key, sizeof(key), &rs);
        zc_fill(iv, sizeof(iv), &rs);
        zc_fill(aad, sizeof(aad), &rs);
        zc_fill(pt, len, &rs);
        ck_assert(zc_run(df[a], 1, key, iv, 12, aad, 13, ct, pt, len, want_tag, ZC_ONE_UPDATE, &rs));
        for (int inplace = 1; inplace >= (len % 3 == 0 ? 0 : 1); inplace--) {
            unsigned char *src = inplace ? out : pt;

            memcpy(out, pt, len);
            memset(tag, 0, sizeof(tag));
            ck_assert_msg(zc_run(zc[a], 1, key, iv, 12, aad, 13, out, src, len, tag, ZC_ONE_UPDATE, &rs)
                          && memcmp(out, ct, len) == 0 && memcmp(tag, want_tag, 16) == 0,
                          "%s seal of %zu bytes %s differs on %s", algs[a], len,
                          inplace ? "in place" : "out of place", zc_backends[_i]);
            memcpy(out, ct, len);
            ck_assert_msg(zc_run(zc[a], 0, key, iv, 12, aad, 13, out, inplace ? out : ct, len,
                                 want_tag, ZC_ONE_UPDATE, &rs)
                          && memcmp(out, pt, len) == 0,
                          "%s open of %zu bytes %s fails on %s", algs[a], len,
                          inplace ? "in place" : "out of place", zc_backends[_i]);
        }
    }
    for (int a = 0; a < 3; a++)
        EVP_CIPHER_free(zc[a]), EVP_CIPHER_free(df[a]);
    free(pt), free(ct), free(out);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

/* TLS 1.2 records: one in-place update each (zcrypto's one-shot path). */
static int zc_tls12(EVP_CIPHER *c, int enc, const unsigned char *key, const unsigned char *fixed,
                    uint64_t seq, unsigned char *buf, size_t plen)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    unsigned char aad[13];
    size_t field = enc ? plen + 8 : plen + 24;
    int ok = x != NULL, outl = 0;

    for (int i = 0; i < 8; i++)
        aad[i] = (unsigned char)(seq >> (56 - 8 * i));
    aad[8] = 23, aad[9] = 3, aad[10] = 3;
    aad[11] = (unsigned char)(field >> 8), aad[12] = (unsigned char)field;
    ok = ok && EVP_CipherInit_ex(x, c, NULL, key, NULL, enc)
         && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IV_FIXED, 4, (void *)fixed) > 0;
    /* Decrypt takes the explicit nonce from the record; encrypt makes it. */
    ok = ok && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_TLS1_AAD, 13, aad) == 16
         && EVP_CipherUpdate(x, buf, &outl, buf, (int)(plen + 24))
         && (size_t)outl == (enc ? plen + 24 : plen);
    EVP_CIPHER_CTX_free(x);
    return ok;
}

START_TEST(test_hybrid_tls12)
{
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);
    EVP_CIPHER *zc = zc_util_fetch(lc, "AES-256-GCM", "zcrypto");
    EVP_CIPHER *df = zc_util_fetch(zc_ref, "AES-256-GCM", "default");
    unsigned char key[32], fixed[4] = { 1, 2, 3, 4 }, buf[4200], pt[4200];
    uint64_t rs = 77 + (uint64_t)_i;

    ck_assert(lc != NULL && zc != NULL && df != NULL);
    zc_fill(key, sizeof(key), &rs);
    /* The listed lengths, then every 37th from 500 (the bulk loop's). */
    for (size_t li = 0, nl = sizeof(zc_lens) / sizeof(zc_lens[0]); li < nl + 97; li++) {
        size_t plen = li < nl ? zc_lens[li] : 500 + 37 * (li - nl);

        if (plen > 4096)
            continue;
        for (int dir = 0; dir < 2; dir++) {
            zc_fill(pt, plen, &rs);
            memcpy(buf + 8, pt, plen);
            ck_assert(zc_tls12(dir ? df : zc, 1, key, fixed, li, buf, plen));
            ck_assert_msg(zc_tls12(dir ? zc : df, 0, key, fixed, li, buf, plen),
                          "TLS 1.2 record of %zu bytes, sealed by %s", plen, dir ? "default" : "zcrypto");
            ck_assert(memcmp(buf + 8, pt, plen) == 0);
        }
    }
    EVP_CIPHER_free(zc);
    EVP_CIPHER_free(df);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

/*
 * What the ipsec-mb backends leave in the vector registers. XGETBV(1)
 * reads XINUSE: bit 2 = upper halves of ymm0-15 in use, bit 6 = upper 256
 * bits of zmm0-15. Left set by a backend, every legacy-SSE instruction the
 * application runs next pays for the mixed state on Intel (ipsec-mb 2.0's
 * VAES AVX2 GCM returns without vzeroupper: 0.34x of the default at 64 B).
 * -1 where the CPU cannot say.
 */
static int zc_upper_state(void)
{
#if defined(__x86_64__)
    unsigned a, b, c, d, lo, hi;

    __asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    if (!(c >> 27 & 1))                      /* OSXSAVE */
        return -1;
    __asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(1));
    if (!(a >> 2 & 1))                       /* XGETBV with ECX = 1 */
        return -1;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(1));
    (void)hi;
    return (int)(lo & 0x44u);
#else
    return -1;
#endif
}

/* After every EVP call into zcrypto (key setup, AAD, data, final, tag) the
 * ymm/zmm upper state is clean, on every backend, for each algorithm and a
 * short, a record-sized and a long message. */
START_TEST(test_hybrid_upper_clean)
{
    static const char *const algs[] = { "AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305" };
    static const size_t lens[] = { 64, 1420, 16384 };
    OSSL_LIB_CTX *lc = zc_util_libctx(zc_backends[_i], NULL);
    unsigned char key[32] = { 9 }, iv[12] = { 3 }, aad[13] = { 5 }, tag[16], buf[16384];
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n, st;

    ck_assert(lc != NULL && ctx != NULL);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    /* The sanitizer runtimes' own routines (interceptors, shadow memory
     * updates) leave ymm/zmm state behind even around the portable
     * backend: the check belongs to the uninstrumented builds, where make
     * check runs it on both platforms. */
    fprintf(stderr, "upper-state check: not run in a sanitizer build\n");
    goto end;
#endif
    if (zc_upper_state() < 0) {
        fprintf(stderr, "upper-state check: XGETBV(1) not available on this CPU\n");
        goto end;
    }
    memset(buf, 0x5a, sizeof(buf));
    for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
        EVP_CIPHER *c = zc_util_fetch(lc, algs[a], "zcrypto");

        ck_assert_ptr_nonnull(c);
        for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            for (int enc = 1; enc >= 0; enc--) {
                const char *step[] = { "init with key", "AAD", "data", "final", "tag" };
                int ok[5];

                ok[0] = EVP_CipherInit_ex(ctx, c, NULL, key, iv, enc);
                ok[0] &= (st = zc_upper_state()) == 0 ? 1 : 0;
                ck_assert_msg(ok[0], "%s %s on %s: XINUSE 0x%x after %s", algs[a],
                              enc ? "enc" : "dec", zc_backends[_i], st, step[0]);
                if (!enc)
                    ck_assert(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag) > 0);
                ok[1] = EVP_CipherUpdate(ctx, NULL, &n, aad, sizeof(aad));
                st = zc_upper_state();
                ck_assert_msg(ok[1] && st == 0, "%s on %s: XINUSE 0x%x after %s", algs[a],
                              zc_backends[_i], st, step[1]);
                ok[2] = EVP_CipherUpdate(ctx, buf, &n, buf, (int)lens[l]);
                st = zc_upper_state();
                ck_assert_msg(ok[2] && st == 0, "%s %zu B %s on %s: XINUSE 0x%x after %s",
                              algs[a], lens[l], enc ? "enc" : "dec", zc_backends[_i], st,
                              step[2]);
                ok[3] = EVP_CipherFinal_ex(ctx, buf + lens[l], &n);
                st = zc_upper_state();
                ck_assert_msg(ok[3] && st == 0, "%s %zu B %s on %s: XINUSE 0x%x after %s",
                              algs[a], lens[l], enc ? "enc" : "dec", zc_backends[_i], st,
                              step[3]);
                if (enc) {
                    ok[4] = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) > 0;
                    st = zc_upper_state();
                    ck_assert_msg(ok[4] && st == 0, "%s on %s: XINUSE 0x%x after %s",
                                  algs[a], zc_backends[_i], st, step[4]);
                }
            }
        }
        EVP_CIPHER_free(c);
    }
end:
    EVP_CIPHER_CTX_free(ctx);
    OSSL_LIB_CTX_free(lc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("zcrypto AES-GCM hybrid");
    TCase *tc = tcase_create("all backends");
    int rc;

    zc_util_init();
    zc_ref = zc_util_default_libctx();
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_hybrid_streams, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_hybrid_tls12, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_hybrid_sweep, 0, (int)zc_nbackends);
    tcase_add_loop_test(tc, test_hybrid_upper_clean, 0, (int)zc_nbackends);
    suite_add_tcase(s, tc);
    rc = zc_util_run_suite(s);
    OSSL_LIB_CTX_free(zc_ref);
    return rc;
}
