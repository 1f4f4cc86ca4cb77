/*
 * Private to the ipsec-mb backends. The four backends (sse, avx, avx2,
 * avx512) share all code; they differ only in which manager kind builds keys
 * and runs operations. ipsec-mb managers are not thread-safe and are large,
 * so each thread gets one per arch, created lazily.
 */
#ifndef ZC_IMB_INTERNAL_H
#define ZC_IMB_INTERNAL_H

#include <stdint.h>
#include <intel-ipsec-mb.h>
#include "zc_backend.h"

typedef enum zc_imb_arch {
    ZC_IMB_SSE = 0,
    ZC_IMB_AVX,
    ZC_IMB_AVX2,
    ZC_IMB_AVX512,
    ZC_IMB_ARCH_COUNT
} zc_imb_arch;

/* zc_imb_mgr.c */
int zc_imb_arch_available(zc_imb_arch arch);
/* ipsec-mb's IMB_FEATURE_* bits for this CPU. */
uint64_t zc_imb_features(void);
/* ipsec-mb's name of the code type arch runs here ("AVX512_T2", ...). */
const char *zc_imb_arch_type(zc_imb_arch arch);
/* 1 if arch's manager runs ipsec-mb's VAES code on this CPU (2.x: its type
 * 2 and up; 1.3: only the AVX-512 manager has any). */
int zc_imb_arch_runs_vaes(zc_imb_arch arch);
/* The calling thread's manager for arch, created on first use; NULL if it
 * cannot be created. Lock-free after the first call. */
IMB_MGR *zc_imb_mgr_get(zc_imb_arch arch);
int zc_imb_arch_acquire(zc_imb_arch arch);
void zc_imb_arch_release(zc_imb_arch arch);
void zc_imb_thread_stop(void);

/* zc_imb_aead.c: the ops tables, shared by every arch. */
extern const zc_aead_ops zc_imb_gcm128_ops[ZC_IMB_ARCH_COUNT];
extern const zc_aead_ops zc_imb_gcm192_ops[ZC_IMB_ARCH_COUNT];
extern const zc_aead_ops zc_imb_gcm256_ops[ZC_IMB_ARCH_COUNT];
extern const zc_aead_ops zc_imb_chachapoly_ops[ZC_IMB_ARCH_COUNT];

#endif
