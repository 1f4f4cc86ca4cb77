/*
 * Constant-time check, run under valgrind memcheck by test/ct_check.sh
 * (ctgrind's method): key, plaintext and tag are marked undefined, so
 * memcheck reports every conditional jump and every memory index that
 * depends on them. One backend per run (argv[1]); for each algorithm: key
 * setup, encrypt (streaming and a TLS 1.2 record), decrypt with the right
 * and a wrong tag (the tag comparison), at lengths crossing the backends'
 * block and wide-path boundaries. Results are declassified only to be
 * compared with the default provider's after the secret work is done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/memcheck.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include "ct_lib.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static const char *const algs[] = { "AES-128-GCM", "AES-192-GCM", "AES-256-GCM",
                                    "ChaCha20-Poly1305" };
static const size_t lens[] = { 0, 1, 15, 16, 17, 64, 255, 256, 1000, 4100 };

/* One streaming message; the caller has marked what is secret. */
static int aead(EVP_CIPHER *c, int enc, const unsigned char *key, const unsigned char *iv,
                const unsigned char *in, size_t len, unsigned char *out, unsigned char *tag)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    static const unsigned char aad[13] = "ct-check-aad";
    int n, ok;

    ok = ctx != NULL && EVP_CipherInit_ex(ctx, c, NULL, key, iv, enc)
         && (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag) > 0)
         && EVP_CipherUpdate(ctx, NULL, &n, aad, sizeof(aad))
         && EVP_CipherUpdate(ctx, out, &n, in, (int)len)
         && EVP_CipherFinal_ex(ctx, out + n, &n)
         && (!enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) > 0);
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* A TLS 1.2 record (the one-shot path): [explicit nonce | data | tag]. */
static int tls_record(EVP_CIPHER *c, int gcm, int enc, const unsigned char *key,
                      const unsigned char *iv, unsigned char *rec, size_t len)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    unsigned char aad[13] = { 0, 0, 0, 0, 0, 0, 0, 1, 0x17, 3, 3 };
    size_t total = (gcm ? 8 : 0) + len + 16, alen = total - (enc ? 16 : 0);
    int ok;

    aad[11] = (unsigned char)(alen >> 8);
    aad[12] = (unsigned char)alen;
    ok = ctx != NULL && EVP_CipherInit_ex(ctx, c, NULL, key, gcm ? NULL : iv, enc)
         && (!gcm || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IV_FIXED, 4, (void *)iv) > 0)
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_TLS1_AAD, 13, aad) > 0
         && EVP_Cipher(ctx, rec, rec, (unsigned int)total) >= 0;  /* -1: failure */
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--list") == 0)
        return zc_ct_list_backends();
    OSSL_LIB_CTX *lc = zc_ct_libctx(argc > 1 ? argv[1] : "portable", ""), *dl = OSSL_LIB_CTX_new();
    static unsigned char key[32], iv[12], pt[4100], ct[4100], ref[4100], back[4100];
    static unsigned char rec[4100 + 24], tag[16], rtag[16];
    int bad = 0;

    if (dl == NULL || OSSL_PROVIDER_load(dl, "default") == NULL)
        abort();
    for (size_t a = 0; a < 4; a++) {
        EVP_CIPHER *z = EVP_CIPHER_fetch(lc, algs[a], "provider=zcrypto");
        EVP_CIPHER *d = EVP_CIPHER_fetch(dl, algs[a], "provider=default");
        int gcm = a < 3;

        if (z == NULL || d == NULL)
            abort();
        for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            size_t len = lens[l];

            for (size_t i = 0; i < sizeof(key); i++)
                key[i] = (unsigned char)(i * 29 + len + a);
            for (size_t i = 0; i < len; i++)
                pt[i] = (unsigned char)(i * 13 + 7);
            memset(iv, (int)l, sizeof(iv));
            /* Reference first, on defined data. */
            if (!aead(d, 1, key, iv, pt, len, ref, rtag))
                abort();
            /* Encrypt: key setup and the data path see only secrets. */
            SECRET(key, sizeof(key));
            SECRET(pt, len);
            if (!aead(z, 1, key, iv, pt, len, ct, tag)) {
                fprintf(stderr, "ct_check: %s encrypt %zu failed\n", algs[a], len);
                bad = 1;
            }
            PUBLIC(ct, len);
            PUBLIC(tag, sizeof(tag));
            if (memcmp(ct, ref, len) != 0 || memcmp(tag, rtag, 16) != 0)
                bad = 1, fprintf(stderr, "ct_check: %s %zu differs from default\n", algs[a], len);
            /* Decrypt with the right tag, then a wrong one: the tag and the
             * recovered plaintext are secret, the verdict public. */
            SECRET(tag, sizeof(tag));
            if (!aead(z, 0, key, iv, ct, len, back, tag))
                bad = 1, fprintf(stderr, "ct_check: %s decrypt %zu failed\n", algs[a], len);
            PUBLIC(tag, sizeof(tag));
            tag[len % 16] ^= 1;
            SECRET(tag, sizeof(tag));
            if (aead(z, 0, key, iv, ct, len, back, tag))
                bad = 1, fprintf(stderr, "ct_check: %s wrong tag accepted\n", algs[a]);
            /* A TLS 1.2 record each way. */
            memset(rec, 0, sizeof(rec));
            memcpy(rec + (gcm ? 8 : 0), pt, len);
            if (!tls_record(z, gcm, 1, key, iv, rec, len))
                bad = 1, fprintf(stderr, "ct_check: %s TLS encrypt %zu failed\n", algs[a], len);
            PUBLIC(rec, sizeof(rec));
            if (!tls_record(z, gcm, 0, key, iv, rec, len))
                bad = 1, fprintf(stderr, "ct_check: %s TLS decrypt %zu failed\n", algs[a], len);
            PUBLIC(key, sizeof(key));
            PUBLIC(pt, len);
            PUBLIC(rec, sizeof(rec));
            if (memcmp(rec + (gcm ? 8 : 0), pt, len) != 0)
                bad = 1, fprintf(stderr, "ct_check: %s TLS round trip %zu differs\n", algs[a], len);
        }
        EVP_CIPHER_free(z);
        EVP_CIPHER_free(d);
    }
    OSSL_LIB_CTX_free(lc);
    OSSL_LIB_CTX_free(dl);
    printf("ct_check: %s: %s\n", argc > 1 ? argv[1] : "portable", bad ? "FAILED" : "done");
    return bad;
}
