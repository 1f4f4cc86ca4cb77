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

#include "zc_cpu.h"
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
    unsigned long imb_min;              /* ipsec-mb IMB_VERSION_NUM at least */
    unsigned cpu_need;                  /* ZC_CPU_* features the rule needs (0: none) */
    int serve;
    const char *why;
} zc_serve_rule;

#ifdef ZC_IMB_VERSION_NUM
#define ZC_IMB_BUILT ZC_IMB_VERSION_NUM
#else
#define ZC_IMB_BUILT 0UL
#endif
#define ZC_IMB_2_0 0x20000UL

/*
 * Record shape, 16 B..16 KiB, 3-9 passes per cell (bench/cpu_classes.sh,
 * 2026-12-02, Zen 4 posing as each class; 2026-12-03, an Intel Xeon with
 * AVX-512 + VAES + AMX posing as each class, 2 passes under load 3-5;
 * README "What auto serves"). A rule serves only where both hosts had it
 * faster.
 * "At par" cells (median >= 1.00 with single passes a few percent below)
 * count as not slower; a median below 1.00 at any size withholds the
 * algorithm.
 */
static const zc_serve_rule zc_serve_rules[] = {
    /* Never by default: chosen explicitly, for tests or by a user who wants them. */
    { ZC_B(PORTABLE), ZC_ANY_ALG, ZC_ANY_CLASS, ZC_OSSL_ANY, 0, 0, 0,
      "portable C is far slower than the default provider's assembly" },
    { ZC_B(NEON), ZC_ANY_ALG, ZC_ANY_CLASS, ZC_OSSL_ANY, 0, 0, 0,
      "not measured faster on ARM hardware: the default provider's ARMv8 assembly is at least as fast" },

    /* AVX-512 with VAES (Ice Lake and later, Zen 4/5). */
    { ZC_B(AVX512), ZC_AES, ZC_C(VAES512), 0, ZC_OSSL_3_1, 0, 0, 1,
      "1.7-2.0x up to 256 B, 1.9-3.0x from 1420 B: OpenSSL before 3.1 has no VAES AES-GCM" },
    /* Zen 4 (AMD family 19h with AVX-512), 2026-12-04, 3 passes, OpenSSL
     * 3.5.9, ipsec-mb 2.0, after the one-call record path (msg_first):
     * every cell above 1.00 in every pass. Before it, the quiet host (load
     * 0.5, 5 passes, 2026-12-02) had us at 0.90-1.03x at 16-256 B. */
    { ZC_B(AVX512), ZC_AES, ZC_C(VAES512), ZC_OSSL_3_1, ~0UL, 0, ZC_CPU_AMD_F19H, 1,
      "Zen 4: 1.05-1.17x at 16-256 B, 1.18-1.35x at 512-1420 B, 1.03-1.15x from 4 KiB" },
    /* Elsewhere (Intel, measured before that path; Zen 5, not measured). */
    { ZC_B(AVX512), ZC_AES, ZC_C(VAES512), ZC_OSSL_3_1, ~0UL, 0, 0, 0,
      "below the default's VAES AVX-512 AES-GCM on Intel Xeon (0.92-0.99x at 16-256 B, 0.75-0.87x at 16 KiB); Zen 5 not measured" },
    { ZC_B(AVX512), ZC_CP, ZC_C(VAES512), 0, ZC_OSSL_3_1, 0, 0, 1,
      "1.6-1.8x up to 64 B, 1.1-1.4x at 256-1420 B, at par from 4 KiB" },
    { ZC_B(AVX512), ZC_CP, ZC_C(VAES512), ZC_OSSL_3_1, ~0UL, 0, 0, 1,
      "1.6-1.8x up to 64 B, 1.3-1.5x at 256-1420 B, 1.02-1.21x from 4 KiB" },

    /* AVX2, no AVX-512; with or without VAES. */
    { ZC_B(AVX2), ZC_AES, ZC_C(VAES256), 0, ZC_OSSL_3_1, 0, 0, 1,
      "1.35-2.2x up to 256 B, 1.6-1.8x at 1420 B, 1.4-2.2x from 4 KiB (our VAES AVX2 bulk loop from 1 KiB) against the default on AVX" },
    { ZC_B(AVX2), ZC_AES, ZC_C(AVX2), 0, ZC_OSSL_3_1, 0, 0, 1,
      "1.3-1.5x up to 256 B, 1.04-1.2x from 1420 B against the default on AVX" },
    /* Intel only since vzeroupper follows every ipsec-mb call
     * (dispatch/ipsecmb/zc_imb_aead.c): before, 0.34-0.82x at 64-1420 B. */
    { ZC_B(AVX2), ZC_AES, ZC_C(VAES256), ZC_OSSL_3_1, ~0UL, ZC_IMB_2_0, ZC_CPU_GFNI_SHA, 1,
      "ipsec-mb 2's VAES AVX2 code against the default on AVX2: 1.1x at 16-64 B to 2.0-2.2x at 16 KiB on Zen 4; 1.0-1.24x at 16-64 B, 1.1-1.4x at 256 B, 1.5-1.95x from 1420 B on Intel Xeon" },
    /* VAES without GFNI (Zen 3): ipsec-mb 2's AVX2 manager runs its Type 1
     * code, AES-NI on 128-bit vectors; zcrypto's own VAES kernel takes up to
     * 480 B and from 1 KiB (bench/cpu_classes.sh on a real Zen 3, OpenSSL
     * 3.5.9, ipsec-mb 2.0, 2-3 passes, 2026-12-03): still below 1 in some
     * passes from 16 B to 1 KiB (the README has the table). The reasons stay
     * short: three of them share the 1 KiB buildinfo and policy JSON. */
    { ZC_B(AVX2), ZC_AES, ZC_C(VAES256), ZC_OSSL_3_1, ~0UL, ZC_IMB_2_0, 0, 0,
      "without GFNI (Zen 3): 0.89-1.15x at 16 B-1 KiB, 1.65-1.86x at 16 KiB with zcrypto's own VAES code" },
    { ZC_B(AVX2), ZC_AES, ZC_C(AVX2) | ZC_C(VAES256), ZC_OSSL_3_1, ~0UL, 0, 0, 0,
      "not measured against OpenSSL 3.1+ without VAES code in ipsec-mb" },
    { ZC_B(AVX2), ZC_CP, ZC_ANY_CLASS, ZC_OSSL_ANY, 0, 0, 0,
      "0.72-0.92x from 1420 B (Zen 3): the default's AVX2 ChaCha20 and Poly1305 are faster" },

    /* AES-NI with AVX but no AVX2 (Sandy/Ivy Bridge; with MOVBE: Jaguar), or
     * SSE only: ipsec-mb 1.x's AVX and SSE managers, 2.x's SSE manager. */
    { ZC_B(AVX), ZC_AES, ZC_C(AVX) | ZC_C(AVX_MOVBE), 0, ZC_OSSL_3_1, 0, 0, 1,
      "1.2-1.75x at every size (with MOVBE, against the default's AVX code: at par at 16 KiB)" },
    { ZC_B(SSE), ZC_AES, ZC_C(SSE), 0, ZC_OSSL_3_1, 0, 0, 1,
      "1.1-1.65x at every size against the default on SSE" },
    { ZC_B(SSE), ZC_AES, ZC_C(AVX) | ZC_C(SSE), ZC_OSSL_3_1, ~0UL, ZC_IMB_2_0, 0, 0,
      "ipsec-mb 2's SSE code: 1.02-1.46x on Zen 4 but 0.93-0.99x at 64 B on Intel Xeon (posing as AVX or SSE)" },
    { ZC_B(AVX) | ZC_B(SSE), ZC_AES, ZC_ANY_CLASS, ZC_OSSL_3_1, ~0UL, 0, 0, 0,
      "not measured against OpenSSL 3.1+ with this ipsec-mb or CPU" },
    { ZC_B(AVX) | ZC_B(SSE), ZC_CP, ZC_ANY_CLASS, ZC_OSSL_ANY, 0, 0, 0,
      "0.92-0.99x from 4 KiB: ipsec-mb's ChaCha20-Poly1305 against the default's" },
};

zc_serve_verdict zc_serve_decide(zc_backend_id backend, zc_alg alg, zc_cpu_class cls,
                                 unsigned long ossl_version)
{
    for (size_t i = 0; i < sizeof(zc_serve_rules) / sizeof(zc_serve_rules[0]); i++) {
        const zc_serve_rule *r = &zc_serve_rules[i];

        if ((r->backends >> backend & 1) && (r->algs >> alg & 1) && (r->classes >> cls & 1)
            && ossl_version >= r->ossl_min && ossl_version < r->ossl_max
            && ZC_IMB_BUILT >= r->imb_min && (zc_cpu_features() & r->cpu_need) == r->cpu_need)
            return (zc_serve_verdict){ r->serve, r->why };
    }
    return (zc_serve_verdict){ 0, "not measured faster than the default provider on this kind of CPU" };
}
