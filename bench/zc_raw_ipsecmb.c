/*
 * zc_raw_ipsecmb: how far AES-256-GCM can go on this CPU, five ways in one
 * process, interleaved round by round, in place, 16 KiB by default:
 *  - the default provider through EVP (re-keyed per op like `openssl speed`),
 *  - zcrypto through EVP, the same way,
 *  - ipsec-mb called directly (the direct API and manager kind zcrypto's
 *    avx512 backend uses): how much of the library survives EVP,
 *  - AES-256 in counter mode alone, no GHASH, on the widest AES this CPU
 *    runs well (VAES on 256-bit vectors, 16 blocks in flight): a ceiling
 *    no AES-256-GCM can pass, since GCM does this work and GHASH on top,
 *  - the same plus only the carry-less multiplies GHASH cannot do without
 *    (three per block, Karatsuba, four blocks per 512-bit VPCLMULQDQ; no
 *    reduction, no byte reordering, so not a GHASH): a tighter ceiling
 *    where the multiplier shares the vector pipes with AES.
 * Prints each and its ratio to the default provider.
 *
 * usage: zc_raw_ipsecmb [--module-dir DIR] [--size BYTES] [--rounds N]
 * (the two ceilings are measured only for sizes that are multiples of 256)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <immintrin.h>
#include <intel-ipsec-mb.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#define ZR_ROUND_NS 200000000ull /* 0.2 s per way per round */

enum { ZR_DEFAULT, ZR_ZCRYPTO, ZR_RAW, ZR_CTR, ZR_CTR_CLMUL, ZR_WAYS };

typedef struct zr_run {
    size_t size;
    unsigned char *buf, key[32], iv[12], tag[16], sink[64];
    EVP_CIPHER_CTX *ctx[2]; /* default, zcrypto */
    IMB_MGR *mgr;
    struct gcm_key_data *gk;
    __m128i rk[15];
} zr_run;

static unsigned long long zr_now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

#define ZR_VAES_TARGET "avx2,vaes,aes,avx512f,avx512vl,vpclmulqdq"
#define ZR_VAES __attribute__((target(ZR_VAES_TARGET)))

/* In place, counter in the last four bytes (little-endian here: the
 * ceiling does not care which order the counter runs in). With clmul, the
 * 12 multiplies per 16 blocks GHASH needs at least, spread over the rounds,
 * into accumulators returned so the compiler keeps them. */
static ZR_VAES __attribute__((always_inline)) inline __m512i
zr_ctr_vaes_body(const __m128i rk[15], unsigned char *buf, size_t len, int clmul)
{
    __m256i ctr = _mm256_set_epi32(0, 0, 0, 1, 0, 0, 0, 0);
    const __m256i two = _mm256_set_epi32(0, 0, 0, 2, 0, 0, 0, 2);
    const __m512i h = _mm512_broadcast_i32x4(rk[7]);
    __m512i acc[3] = { _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512() };

    for (size_t off = 0; off + 256 <= len; off += 256) {
        __m256i s[8], k = _mm256_broadcastsi128_si256(rk[0]);

        /* Fully unrolled: a loop over the eight would keep them in memory. */
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++, ctr = _mm256_add_epi32(ctr, two))
            s[j] = _mm256_xor_si256(ctr, k);
#pragma GCC unroll 13
        for (int r = 1; r < 14; r++) {
            k = _mm256_broadcastsi128_si256(rk[r]);
#pragma GCC unroll 8
            for (int j = 0; j < 8; j++)
                s[j] = _mm256_aesenc_epi128(s[j], k);
            if (clmul && r <= 12) {
                __m512i d = _mm512_loadu_si512(buf + off + 64 * ((r - 1) / 3));

                acc[r % 3] = _mm512_xor_si512(acc[r % 3], _mm512_clmulepi64_epi128(
                                                  d, h, r % 3 == 1 ? 0x11 : 0x00));
            }
        }
        k = _mm256_broadcastsi128_si256(rk[14]);
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) {
            __m256i *p = (__m256i *)(buf + off + 32 * j);

            _mm256_storeu_si256(p, _mm256_xor_si256(_mm256_loadu_si256(p),
                                                    _mm256_aesenclast_epi128(s[j], k)));
        }
    }
    return _mm512_ternarylogic_epi64(acc[0], acc[1], acc[2], 0x96);
}

static ZR_VAES void zr_ctr_vaes(const __m128i rk[15], unsigned char *buf, size_t len,
                                unsigned char sink[64], int clmul)
{
    __m512i acc = clmul ? zr_ctr_vaes_body(rk, buf, len, 1) : zr_ctr_vaes_body(rk, buf, len, 0);

    _mm512_storeu_si512(sink, acc);
}

static int zr_op(zr_run *z, int way)
{
    struct gcm_context_data gc;
    int outl;

    switch (way) {
    case ZR_RAW:
        IMB_AES256_GCM_INIT_VAR_IV(z->mgr, z->gk, &gc, z->iv, sizeof(z->iv), NULL, 0);
        IMB_AES256_GCM_ENC_UPDATE(z->mgr, z->gk, &gc, z->buf, z->buf, z->size);
        IMB_AES256_GCM_ENC_FINALIZE(z->mgr, z->gk, &gc, z->tag, sizeof(z->tag));
        return 1;
    case ZR_CTR:
    case ZR_CTR_CLMUL:
        zr_ctr_vaes(z->rk, z->buf, z->size, z->sink, way == ZR_CTR_CLMUL);
        return 1;
    default:
        /* as `openssl speed -evp` does: same ctx, key and IV every op */
        return EVP_CipherInit_ex(z->ctx[way], NULL, NULL, z->key, z->iv, 1)
            && EVP_CipherUpdate(z->ctx[way], z->buf, &outl, z->buf, (int)z->size)
            && EVP_CipherFinal_ex(z->ctx[way], z->buf, &outl)
            && EVP_CIPHER_CTX_ctrl(z->ctx[way], EVP_CTRL_AEAD_GET_TAG, 16, z->tag);
    }
}

static EVP_CIPHER_CTX *zr_ctx(const char *props)
{
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", props);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

    if (cipher == NULL || ctx == NULL || !EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, 1)) {
        EVP_CIPHER_CTX_free(ctx);
        ctx = NULL;
    }
    EVP_CIPHER_free(cipher);
    return ctx;
}

int main(int argc, char **argv)
{
    static const char *const names[ZR_WAYS] = {
        "default provider via EVP", "zcrypto via EVP", "raw ipsec-mb (no EVP)",
        "AES-256-CTR alone, VAES", "AES-256-CTR + GHASH multiplies",
    };
    const char *moddir = getenv("ZC_MODULE_DIR") != NULL ? getenv("ZC_MODULE_DIR") : ".libs";
    static struct gcm_key_data gk __attribute__((aligned(64)));
    zr_run z = { .size = 16384, .key = { 1 }, .iv = { 2 }, .gk = &gk };
    double best[ZR_WAYS] = { 0 };
    int rounds = 10, have_ctr;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--module-dir") == 0)
            moddir = argv[i + 1];
        else if (strcmp(argv[i], "--size") == 0)
            z.size = strtoul(argv[i + 1], NULL, 0);
        else if (strcmp(argv[i], "--rounds") == 0)
            rounds = atoi(argv[i + 1]);
    }
    if ((z.mgr = alloc_mb_mgr(0)) == NULL || (z.buf = aligned_alloc(64, z.size + 64)) == NULL)
        return 1;
    init_mb_mgr_avx512(z.mgr);
    if (imb_get_errno(z.mgr) != 0) {
        printf("raw ipsec-mb: no AVX-512 manager on this CPU, nothing to compare\n");
        return 0;
    }
    memset(z.buf, 3, z.size);
    IMB_AES256_GCM_PRE(z.mgr, z.key, &gk);
    IMB_AES_KEYEXP_256(z.mgr, z.key, z.rk, (__m128i[15]){ { 0 } });
    /* The ceilings run whole 256-byte steps only. */
    have_ctr = __builtin_cpu_supports("vaes") && __builtin_cpu_supports("vpclmulqdq")
            && __builtin_cpu_supports("avx512vl") && z.size % 256 == 0;
    if (!OSSL_PROVIDER_set_default_search_path(NULL, moddir)
        || OSSL_PROVIDER_load(NULL, "zcrypto") == NULL || OSSL_PROVIDER_load(NULL, "default") == NULL
        || (z.ctx[ZR_DEFAULT] = zr_ctx("provider=default")) == NULL
        || (z.ctx[ZR_ZCRYPTO] = zr_ctx("provider=zcrypto")) == NULL) {
        fprintf(stderr, "zc_raw_ipsecmb: cannot load zcrypto from %s\n", moddir);
        return 1;
    }
    for (int r = 0; r < rounds; r++) {
        for (int way = 0; way < ZR_WAYS; way++) {
            unsigned long long t0, n, elapsed;

            if (way >= ZR_CTR && !have_ctr)
                continue;
            for (t0 = zr_now_ns(), n = 0; (elapsed = zr_now_ns() - t0) < ZR_ROUND_NS; n++)
                if (!zr_op(&z, way))
                    return 1;
            if ((double)n * z.size / (double)elapsed > best[way])
                best[way] = (double)n * z.size / (double)elapsed;
        }
    }
    printf("AES-256-GCM %zu B in place, best of %d interleaved rounds (MB/s, x default):\n",
           z.size, rounds);
    for (int way = 0; way < ZR_WAYS; way++)
        if (way < ZR_CTR || have_ctr)
            printf("  %-31s %7.0f  %5.2fx\n", names[way], best[way] * 1000,
                   best[way] / best[ZR_DEFAULT]);
    printf("zcrypto EVP / raw ipsec-mb: %.2f\n", best[ZR_ZCRYPTO] / best[ZR_RAW]);
    if (have_ctr)
        printf("3.5x the default would be %.0f MB/s; AES alone (no GHASH) reaches %.2fx, "
               "AES + GHASH's multiplies %.2fx\n", 3.5 * best[ZR_DEFAULT] * 1000,
               best[ZR_CTR] / best[ZR_DEFAULT], best[ZR_CTR_CLMUL] / best[ZR_DEFAULT]);
    OPENSSL_cleanse(z.rk, sizeof(z.rk));
    EVP_CIPHER_CTX_free(z.ctx[ZR_DEFAULT]);
    EVP_CIPHER_CTX_free(z.ctx[ZR_ZCRYPTO]);
    free_mb_mgr(z.mgr);
    free(z.buf);
    return 0;
}
