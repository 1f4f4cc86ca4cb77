/*
 * The measurement table behind `backend = auto`. Each rule names backends,
 * algorithms, CPU classes and a range of OpenSSL versions; the first rule
 * that matches decides. Anything no rule covers is left to the default
 * provider: a path we have not measured faster is not offered.
 *
 * Figures: TLS record shape (key once, per record IV, 13-byte AAD, one
 * in-place update, tag), zcrypto / default provider held to the same CPU
 * features (OPENSSL_ia32cap), same process, best of interleaved rounds, 16 B
 * to 16 KiB; bench/cpu_classes.sh measures them, README.md has the tables.
 * OpenSSL 3.1 brought the default provider VAES AVX-512 AES-GCM; from there
 * on we hold to what was measured on 3.5.
 */
#include "config.h"

#include "zc_serve.h"

#define ZC_B(x) (1u << ZC_BACKEND_##x)
#define ZC_C(x) (1u << ZC_CPU_CLASS_X86_##x)
#define ZC_AES ((1u << ZC_ALG_AES_128_GCM) | (1u << ZC_ALG_AES_192_GCM) \
                | (1u << ZC_ALG_AES_256_GCM))
#define ZC_CP (1u << ZC_ALG_CHACHA20_POLY1305)
#define ZC_ANY_ALG (ZC_AES | ZC_CP)
#define ZC_ANY_CLASS (~0u)
#define ZC_OSSL_3_1 0x30100000UL
#define ZC_OSSL_ANY 0UL, ~0UL

typedef struct zc_serve_rule {
    unsigned backends, algs, classes;
    unsigned long ossl_min, ossl_max;   /* [min, max) */
    int serve;
    const char *why;
} zc_serve_rule;

static const zc_serve_rule zc_serve_rules[] = {
    /* Never by default: chosen explicitly, for tests or by a user who wants them. */
    { ZC_B(PORTABLE), ZC_ANY_ALG, ZC_ANY_CLASS, ZC_OSSL_ANY, 0,
      "portable C is far slower than the default provider's assembly" },
    { ZC_B(NEON), ZC_ANY_ALG, ZC_ANY_CLASS, ZC_OSSL_ANY, 0,
      "not measured faster on ARM hardware: the default provider's ARMv8 assembly is at least as fast" },

    /* AVX-512 with VAES (Ice Lake and later, Zen 4/5). */
    { ZC_B(AVX512), ZC_AES, ZC_C(VAES512), 0, ZC_OSSL_3_1, 1,
      "1.9-3.1x: OpenSSL before 3.1 has no VAES AES-GCM" },
    { ZC_B(AVX512), ZC_AES, ZC_C(VAES512), ZC_OSSL_3_1, ~0UL, 0,
      "the default's VAES AVX-512 AES-GCM is faster for short records (0.82x at 64 B)" },
    { ZC_B(AVX512), ZC_CP, ZC_C(VAES512), 0, ZC_OSSL_3_1, 1,
      "1.5-2.2x up to 256 B, 0.98-1.09x from 1 KiB" },
    { ZC_B(AVX512), ZC_CP, ZC_C(VAES512), ZC_OSSL_3_1, ~0UL, 0,
      "0.97x at 16 KiB against OpenSSL 3.5's default" },

    /* AVX2 (with or without VAES), no AVX-512. */
    { ZC_B(AVX2), ZC_AES, ZC_C(AVX2) | ZC_C(VAES256), ZC_OSSL_ANY, 1,
      "1.0-2.4x the default held to AVX2" },
    { ZC_B(AVX2), ZC_CP, ZC_C(AVX2) | ZC_C(VAES256), ZC_OSSL_ANY, 0,
      "0.74-0.78x from 1 KiB: the default's AVX2 ChaCha20 is faster" },
};

zc_serve_verdict zc_serve_decide(zc_backend_id backend, zc_alg alg, zc_cpu_class cls,
                                 unsigned long ossl_version)
{
    for (size_t i = 0; i < sizeof(zc_serve_rules) / sizeof(zc_serve_rules[0]); i++) {
        const zc_serve_rule *r = &zc_serve_rules[i];

        if ((r->backends >> backend & 1) && (r->algs >> alg & 1) && (r->classes >> cls & 1)
            && ossl_version >= r->ossl_min && ossl_version < r->ossl_max)
            return (zc_serve_verdict){ r->serve, r->why };
    }
    return (zc_serve_verdict){ 0, "not measured faster than the default provider on this CPU class" };
}
