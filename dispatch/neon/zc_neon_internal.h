/*
 * Private to the ARM backend. AArch64 little-endian only (configure
 * enables it for host aarch64): AES-GCM on the ARMv8 crypto extensions,
 * ChaCha20 on NEON, Poly1305 in 64-bit scalar code from dispatch/mode/.
 */
#ifndef ZC_NEON_INTERNAL_H
#define ZC_NEON_INTERNAL_H

#include <stddef.h>
#include "zc_mode.h"

/* zc_neon_gcm.c */
extern const zc_gcm_prims zc_neon_gcm_prims;
int zc_neon_gcm_key_setup(void *key_state, const unsigned char *key, size_t keylen);

/* zc_neon_chacha.c */
void zc_neon_chacha20(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                      unsigned char *out, const unsigned char *in, size_t nblocks);

#endif
