#define _GNU_SOURCE /* secure_getenv */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__aarch64__)
#include <sys/auxv.h>
#elif defined(__x86_64__)
#include <cpuid.h>
#endif
#include "zc_cpu.h"

static const char *const zc_cpu_class_names[ZC_CPU_CLASS_COUNT] = {
    [ZC_CPU_CLASS_X86_VAES512] = "x86-avx512-vaes",
    [ZC_CPU_CLASS_X86_VAES256] = "x86-avx2-vaes",
    [ZC_CPU_CLASS_X86_AVX512] = "x86-avx512",
    [ZC_CPU_CLASS_X86_AVX2] = "x86-avx2",
    [ZC_CPU_CLASS_X86_AVX] = "x86-avx",
    [ZC_CPU_CLASS_X86_AVX_MOVBE] = "x86-avx-movbe",
    [ZC_CPU_CLASS_X86_SSE] = "x86-sse",
    [ZC_CPU_CLASS_X86_NOAES] = "x86-noaes",
    [ZC_CPU_CLASS_ARM_CE] = "arm-crypto-ext",
    [ZC_CPU_CLASS_ARM_NOCE] = "arm-no-crypto-ext",
    [ZC_CPU_CLASS_OTHER] = "other",
};

static unsigned zc_cpu_bits;
static pthread_once_t zc_cpu_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__)
/* Hiding a feature hides what needs it too (no AVX2 code without AVX...). */
static unsigned zc_cpu_x86_hidden(void)
{
    static const struct { const char *name; unsigned bits; } names[] = {
        { "avx512", ZC_CPU_AVX512 | ZC_CPU_IFMA },
        { "vaes", ZC_CPU_VAES },
        { "gfni", ZC_CPU_GFNI_SHA },
        { "avx2", ZC_CPU_AVX2 | ZC_CPU_AVX512 | ZC_CPU_VAES | ZC_CPU_IFMA | ZC_CPU_GFNI_SHA },
        { "avx", ZC_CPU_AVX | ZC_CPU_AVX2 | ZC_CPU_AVX512 | ZC_CPU_VAES | ZC_CPU_IFMA
                     | ZC_CPU_GFNI_SHA },
        { "movbe", ZC_CPU_MOVBE },
        { "aesni", ~(unsigned)ZC_CPU_RDSEED }, /* every SIMD path */
        { "rdseed", ZC_CPU_RDSEED },
    };
    const char *env = secure_getenv("ZC_X86CAP");
    unsigned hide = 0;

    while (env != NULL && *env != '\0') {
        size_t n = strcspn(env, ",");

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strlen(names[i].name) == n && strncmp(env, names[i].name, n) == 0)
                hide |= names[i].bits;
        env += n + (env[n] == ',');
    }
    return hide;
}
#endif

static void zc_cpu_detect(void)
{
    unsigned f = 0;

#if defined(__x86_64__)
    unsigned a, b, c, d;

    __builtin_cpu_init();
    if (__builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul")
        && __builtin_cpu_supports("sse4.1"))
        f |= ZC_CPU_AESNI;
    if ((f & ZC_CPU_AESNI) && __builtin_cpu_supports("avx"))
        f |= ZC_CPU_AVX;
    /* MOVBE, RDSEED, VAES and VPCLMULQDQ from CPUID itself: clang 14's
     * __builtin_cpu_supports does not know them (the fuzz build uses clang). */
    if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_MOVBE))
        f |= ZC_CPU_MOVBE;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 18)))   /* RDSEED */
        f |= ZC_CPU_RDSEED;
    if ((f & ZC_CPU_AVX) && __builtin_cpu_supports("avx2"))
        f |= ZC_CPU_AVX2;
    if ((f & ZC_CPU_AVX2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
        f |= ZC_CPU_AVX512;
    if ((f & ZC_CPU_AVX2) && __get_cpuid_count(7, 0, &a, &b, &c, &d)
        && (c & (1u << 9)) && (c & (1u << 10)))     /* VAES, VPCLMULQDQ */
        f |= ZC_CPU_VAES;
    if ((f & ZC_CPU_AVX2) && __get_cpuid_count(7, 0, &a, &b, &c, &d)
        && (c & (1u << 8)) && (b & (1u << 29)))     /* GFNI, SHA-NI */
        f |= ZC_CPU_GFNI_SHA;
    if ((f & ZC_CPU_AVX512) && __builtin_cpu_supports("avx512ifma"))
        f |= ZC_CPU_IFMA;
    if (__get_cpuid(0, &a, &b, &c, &d) && b == 0x68747541u && d == 0x69746e65u
        && c == 0x444d4163u && __get_cpuid(1, &a, &b, &c, &d)
        && ((a >> 8) & 0xf) + ((a >> 20) & 0xff) == 0x19)   /* "AuthenticAMD", family 19h */
        f |= ZC_CPU_AMD_F19H;
    f &= ~zc_cpu_x86_hidden();
#elif defined(__aarch64__)
    /* Linux arm64 <asm/hwcap.h>: ASIMD bit 1, AES bit 3, PMULL bit 4. */
    unsigned long need = (1UL << 1) | (1UL << 3) | (1UL << 4);
    unsigned long caps = getauxval(AT_HWCAP);
    const char *mask = secure_getenv("ZC_ARMCAP");

    if (mask != NULL && *mask != '\0') {
        char *end;
        unsigned long m = strtoul(mask, &end, 0);

        if (*end == '\0')
            caps &= m;
    }
    if ((caps & need) == need)
        f |= ZC_CPU_ARM_CE;
#endif
    zc_cpu_bits = f;
}

unsigned zc_cpu_features(void)
{
    pthread_once(&zc_cpu_once, zc_cpu_detect);
    return zc_cpu_bits;
}

zc_cpu_class zc_cpu_class_get(void)
{
    unsigned f = zc_cpu_features();

#if defined(__x86_64__)
    if (!(f & ZC_CPU_AESNI))
        return ZC_CPU_CLASS_X86_NOAES;
    if ((f & ZC_CPU_AVX512) && (f & ZC_CPU_VAES))
        return ZC_CPU_CLASS_X86_VAES512;
    if (f & ZC_CPU_AVX512)
        return ZC_CPU_CLASS_X86_AVX512;
    if ((f & ZC_CPU_AVX2) && (f & ZC_CPU_VAES))
        return ZC_CPU_CLASS_X86_VAES256;
    if (f & ZC_CPU_AVX2)
        return ZC_CPU_CLASS_X86_AVX2;
    if (f & ZC_CPU_AVX)
        return (f & ZC_CPU_MOVBE) ? ZC_CPU_CLASS_X86_AVX_MOVBE : ZC_CPU_CLASS_X86_AVX;
    return ZC_CPU_CLASS_X86_SSE;
#elif defined(__aarch64__)
    return (f & ZC_CPU_ARM_CE) ? ZC_CPU_CLASS_ARM_CE : ZC_CPU_CLASS_ARM_NOCE;
#else
    (void)f;
    return ZC_CPU_CLASS_OTHER;
#endif
}

const char *zc_cpu_class_name(zc_cpu_class cls)
{
    return (unsigned)cls < ZC_CPU_CLASS_COUNT ? zc_cpu_class_names[cls] : "?";
}
