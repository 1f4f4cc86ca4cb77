/*
 * The four ipsec-mb backends. Activation takes a reference on the arch's
 * manager registry, checks ipsec-mb's own start-up self-test and runs our
 * known answers through this thread's manager; any failure switches the
 * backend off.
 */
#include "config.h"

#include <stdio.h>
#include "zc_imb_internal.h"
#include "zc_kat.h"
#ifdef ZC_HAVE_X86_AVX512
#include "zc_x86_internal.h"

/*
 * Our own ChaCha20-Poly1305 replaces ipsec-mb's where AVX2 or AVX-512 runs:
 * ipsec-mb 1.3's costs ~150 ns per update call, and on AVX2 its Poly1305
 * is scalar (0.68x the default provider from 1 KiB, measured with the
 * default provider held to AVX2 too).
 */
ZC_CHACHAPOLY_MODE_OPS(zc_x86_chachapoly_avx512, zc_x86_chachapoly_avx512_prims)
ZC_CHACHAPOLY_MODE_OPS(zc_x86_chachapoly_avx2, zc_x86_chachapoly_avx2_prims)
#define ZC_AVX512_CHACHAPOLY (&zc_x86_chachapoly_avx512)
#define ZC_AVX512_CHACHAPOLY_DESC "; ChaCha20-Poly1305: zcrypto AVX-512 (IFMA Poly1305 where present)"
#define ZC_AVX2_CHACHAPOLY (&zc_x86_chachapoly_avx2)
#define ZC_AVX2_CHACHAPOLY_DESC "; ChaCha20-Poly1305: zcrypto AVX2"
#else
#define ZC_AVX512_CHACHAPOLY (&zc_imb_chachapoly_ops[ZC_IMB_AVX512])
#define ZC_AVX512_CHACHAPOLY_DESC ""
#define ZC_AVX2_CHACHAPOLY (&zc_imb_chachapoly_ops[ZC_IMB_AVX2])
#define ZC_AVX2_CHACHAPOLY_DESC ""
#endif

static int zc_imb_activate(zc_imb_arch arch, const zc_aead_ops *const aead[ZC_ALG_COUNT])
{
    IMB_MGR *m;

    if (!zc_imb_arch_available(arch) || !zc_imb_arch_acquire(arch))
        return 0;
    if ((m = zc_imb_mgr_get(arch)) == NULL)
        goto fail;
    if ((m->features & IMB_FEATURE_SELF_TEST) && !(m->features & IMB_FEATURE_SELF_TEST_PASS))
        goto fail;
    if (!zc_kat_run(aead))
        goto fail;
    return 1;
fail:
    zc_imb_arch_release(arch);
    return 0;
}

/* The library actually loaded may be newer than the header built against. */
static void zc_imb_detail(zc_imb_arch arch, char *buf, size_t len)
{
    snprintf(buf, len, "ipsec-mb %s running %s code", imb_get_version_str(),
             zc_imb_arch_type(arch));
}

#define ZC_IMB_BACKEND(sym, arch, id_, name_, desc, chachapoly)                 \
    static int sym##_available(void) { return zc_imb_arch_available(arch); }   \
    static int sym##_activate(void);                                           \
    static void sym##_release(void) { zc_imb_arch_release(arch); }             \
    static void sym##_detail(char *buf, size_t len) { zc_imb_detail(arch, buf, len); } \
    const zc_backend sym = {                                                   \
        .id = (id_), .name = (name_), .description = (desc),                  \
        .available = sym##_available, .activate = sym##_activate,              \
        .detail = sym##_detail,                                                \
        .thread_stop = zc_imb_thread_stop, .release = sym##_release,           \
        .aead = {                                                              \
            [ZC_ALG_AES_128_GCM] = &zc_imb_gcm128_ops[arch],                   \
            [ZC_ALG_AES_192_GCM] = &zc_imb_gcm192_ops[arch],                   \
            [ZC_ALG_AES_256_GCM] = &zc_imb_gcm256_ops[arch],                   \
            [ZC_ALG_CHACHA20_POLY1305] = (chachapoly),                         \
        },                                                                     \
    };                                                                         \
    static int sym##_activate(void) { return zc_imb_activate(arch, sym.aead); }

ZC_IMB_BACKEND(zc_backend_imb_sse, ZC_IMB_SSE, ZC_BACKEND_SSE, "sse",
               "Intel ipsec-mb " IMB_VERSION_STR ", SSE manager",
               &zc_imb_chachapoly_ops[ZC_IMB_SSE])
#if HAVE_DECL_INIT_MB_MGR_AVX
ZC_IMB_BACKEND(zc_backend_imb_avx, ZC_IMB_AVX, ZC_BACKEND_AVX, "avx",
               "Intel ipsec-mb " IMB_VERSION_STR ", AVX manager",
               &zc_imb_chachapoly_ops[ZC_IMB_AVX])
#endif
ZC_IMB_BACKEND(zc_backend_imb_avx2, ZC_IMB_AVX2, ZC_BACKEND_AVX2, "avx2",
               "Intel ipsec-mb " IMB_VERSION_STR ", AVX2 manager" ZC_AVX2_CHACHAPOLY_DESC,
               ZC_AVX2_CHACHAPOLY)
ZC_IMB_BACKEND(zc_backend_imb_avx512, ZC_IMB_AVX512, ZC_BACKEND_AVX512, "avx512",
               "Intel ipsec-mb " IMB_VERSION_STR ", AVX-512 manager (VAES where present)"
               ZC_AVX512_CHACHAPOLY_DESC, ZC_AVX512_CHACHAPOLY)
