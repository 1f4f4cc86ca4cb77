/* What provider/ needs from ciphers/: the algorithm table. */
#ifndef ZC_CIPHERS_H
#define ZC_CIPHERS_H

#include <openssl/core.h>

const OSSL_ALGORITHM *zc_ciphers_algorithms(void);

#endif
