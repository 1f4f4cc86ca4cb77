/* The portable backend's primitive tables, framed by dispatch/mode/. */
#ifndef ZC_PORTABLE_AEAD_H
#define ZC_PORTABLE_AEAD_H

#include <stddef.h>
#include "zc_mode.h"

extern const zc_gcm_prims zc_gcm_portable_prims;
extern const zc_chachapoly_prims zc_chachapoly_portable_prims;

/* Expands the AES key (keylen selects 128/192/256) and derives H. */
int zc_gcm_portable_key_setup(void *key_state, const unsigned char *key, size_t keylen);

#endif
