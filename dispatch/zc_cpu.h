/*
 * What this CPU offers zcrypto and OpenSSL's default provider alike, reduced
 * to the classes that decide which of the two is faster (dispatch/zc_serve.c).
 * On x86, ZC_X86CAP (a comma-separated list of features to hide: avx512,
 * vaes, gfni, avx2, avx, movbe, aesni, rdseed) makes the CPU look like an older one, for tests and
 * for measuring each class on one machine; it can only hide, never add.
 */
#ifndef ZC_CPU_H
#define ZC_CPU_H

enum {
    ZC_CPU_AESNI  = 1u << 0,    /* AES-NI + PCLMULQDQ (+ SSE4.1) */
    ZC_CPU_AVX    = 1u << 1,
    ZC_CPU_AVX2   = 1u << 2,
    ZC_CPU_AVX512 = 1u << 3,    /* F, VL, BW, DQ */
    ZC_CPU_VAES   = 1u << 4,    /* VAES + VPCLMULQDQ */
    ZC_CPU_IFMA   = 1u << 5,    /* AVX512-IFMA */
    ZC_CPU_MOVBE  = 1u << 6,    /* OpenSSL's AVX AES-GCM needs it */
    ZC_CPU_RDSEED = 1u << 7,    /* the RDSEED seed source (provider/zc_seed.c) */
    ZC_CPU_ARM_CE = 1u << 8,    /* ARMv8 AES + PMULL + ASIMD */
    /* GFNI + SHA-NI: with VAES, what ipsec-mb 2's AVX2 manager needs to run
     * its VAES code (IMB_CPUFLAGS_AVX2_T2); Zen 3 has VAES without GFNI. */
    ZC_CPU_GFNI_SHA = 1u << 9,
    /* AMD family 19h (Zen 3, Zen 4): with AVX-512 it is Zen 4, whose
     * 512-bit ops run as two 256-bit halves, unlike Intel's and Zen 5's. */
    ZC_CPU_AMD_F19H = 1u << 10,
};

typedef enum zc_cpu_class {
    ZC_CPU_CLASS_X86_VAES512 = 0, /* AVX-512 + VAES: Ice Lake+, Zen 4/5 */
    ZC_CPU_CLASS_X86_VAES256,     /* AVX2 + VAES, no AVX-512: Zen 3, Alder Lake, Sierra Forest */
    ZC_CPU_CLASS_X86_AVX512,      /* AVX-512 without VAES: Skylake-SP, Cascade Lake */
    ZC_CPU_CLASS_X86_AVX2,        /* AVX2 + AES-NI: Haswell..Coffee Lake, Zen 1/2 */
    ZC_CPU_CLASS_X86_AVX,         /* AES-NI + AVX, no MOVBE: Sandy/Ivy Bridge */
    ZC_CPU_CLASS_X86_AVX_MOVBE,   /* AES-NI + AVX + MOVBE, no AVX2: AMD Jaguar/Puma */
    ZC_CPU_CLASS_X86_SSE,         /* AES-NI without AVX: Westmere, Atom */
    ZC_CPU_CLASS_X86_NOAES,       /* no AES-NI */
    ZC_CPU_CLASS_ARM_CE,          /* ARMv8 with crypto extensions */
    ZC_CPU_CLASS_ARM_NOCE,
    ZC_CPU_CLASS_OTHER,
    ZC_CPU_CLASS_COUNT
} zc_cpu_class;

/* ZC_CPU_* bits present (and not hidden); computed once. */
unsigned zc_cpu_features(void);
zc_cpu_class zc_cpu_class_get(void);
const char *zc_cpu_class_name(zc_cpu_class cls);

#endif
