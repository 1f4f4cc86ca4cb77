/*
 * zc_raw_ipsecmb: AES-256-GCM through zcrypto (EVP, re-keyed per op like
 * `openssl speed`) against ipsec-mb called directly (the same direct API
 * and manager kind zcrypto's avx512 backend uses), in place, interleaved
 * in one process; prints both and the ratio: how much of the library's
 * own speed survives the trip through EVP and the provider.
 *
 * usage: zc_raw_ipsecmb [--module-dir DIR] [--size BYTES] [--rounds N]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <intel-ipsec-mb.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#define ZR_ROUND_NS 200000000ull /* 0.2 s per side per round */

static unsigned long long zr_now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *moddir = getenv("ZC_MODULE_DIR") != NULL ? getenv("ZC_MODULE_DIR") : ".libs";
    size_t size = 16384;
    int rounds = 10;
    static unsigned char key[32] = { 1 }, iv[12] = { 2 };
    unsigned char tag[16], *buf;
    static struct gcm_key_data gk __attribute__((aligned(64)));
    struct gcm_context_data gc;
    double best_raw = 0, best_evp = 0;
    IMB_MGR *m;
    EVP_CIPHER *cipher;
    EVP_CIPHER_CTX *ctx;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--module-dir") == 0)
            moddir = argv[i + 1];
        else if (strcmp(argv[i], "--size") == 0)
            size = strtoul(argv[i + 1], NULL, 0);
        else if (strcmp(argv[i], "--rounds") == 0)
            rounds = atoi(argv[i + 1]);
    }
    if ((m = alloc_mb_mgr(0)) == NULL || (buf = aligned_alloc(64, size + 64)) == NULL)
        return 1;
    init_mb_mgr_avx512(m);
    if (imb_get_errno(m) != 0) {
        printf("raw ipsec-mb: no AVX-512 manager on this CPU, nothing to compare\n");
        return 0;
    }
    memset(buf, 3, size);
    IMB_AES256_GCM_PRE(m, key, &gk);
    if (!OSSL_PROVIDER_set_default_search_path(NULL, moddir)
        || OSSL_PROVIDER_load(NULL, "zcrypto") == NULL || OSSL_PROVIDER_load(NULL, "default") == NULL
        || (cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", "provider=zcrypto")) == NULL
        || (ctx = EVP_CIPHER_CTX_new()) == NULL
        || !EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, 1)) {
        fprintf(stderr, "zc_raw_ipsecmb: cannot load zcrypto from %s\n", moddir);
        return 1;
    }
    for (int r = 0; r < rounds; r++) {
        unsigned long long t0, n;
        int outl;

        for (t0 = zr_now_ns(), n = 0; zr_now_ns() - t0 < ZR_ROUND_NS; n++) {
            IMB_AES256_GCM_INIT_VAR_IV(m, &gk, &gc, iv, sizeof(iv), NULL, 0);
            IMB_AES256_GCM_ENC_UPDATE(m, &gk, &gc, buf, buf, size);
            IMB_AES256_GCM_ENC_FINALIZE(m, &gk, &gc, tag, sizeof(tag));
        }
        if ((double)n * size / (double)(zr_now_ns() - t0) > best_raw)
            best_raw = (double)n * size / (double)(zr_now_ns() - t0);
        for (t0 = zr_now_ns(), n = 0; zr_now_ns() - t0 < ZR_ROUND_NS; n++)
            /* as `openssl speed -evp` does: same ctx, key and IV every op */
            if (!EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, 1)
                || !EVP_CipherUpdate(ctx, buf, &outl, buf, (int)size)
                || !EVP_CipherFinal_ex(ctx, buf, &outl)
                || !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag))
                return 1;
        if ((double)n * size / (double)(zr_now_ns() - t0) > best_evp)
            best_evp = (double)n * size / (double)(zr_now_ns() - t0);
    }
    printf("AES-256-GCM %zu B in place, best of %d interleaved rounds: raw ipsec-mb %.0f MB/s,"
           " zcrypto via EVP %.0f MB/s, EVP/raw %.2f\n",
           size, rounds, best_raw * 1000, best_evp * 1000, best_evp / best_raw);
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
    free_mb_mgr(m);
    free(buf);
    return 0;
}
