/* The RDSEED seed source (OSSL_OP_RAND), see zc_seed.c. */
#ifndef ZC_SEED_H
#define ZC_SEED_H

#include <openssl/core.h>

/* The algorithm table, or NULL where the CPU has no RDSEED. */
const OSSL_ALGORITHM *zc_seed_algorithms(void);

#endif
