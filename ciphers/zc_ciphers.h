/* What provider/ needs from ciphers/: the algorithm table. */
#ifndef ZC_CIPHERS_H
#define ZC_CIPHERS_H

#include <stddef.h>
#include <openssl/core.h>
#include "zc_backend.h"

/*
 * Fills out with the algorithms whose served[] flag is set, in the default
 * provider's names, and a terminator; returns how many.
 */
size_t zc_ciphers_select(const int served[ZC_ALG_COUNT], OSSL_ALGORITHM out[ZC_ALG_COUNT + 1]);

#endif
