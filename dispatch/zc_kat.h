/* Known-answer self-test every backend runs before it may serve. */
#ifndef ZC_KAT_H
#define ZC_KAT_H

#include "zc_backend.h"

/* 1 if every algorithm in aead[] reproduces its vector, sealed in uneven
 * chunks and opened again. */
int zc_kat_run(const zc_aead_ops *const aead[ZC_ALG_COUNT]);

/* 1 if ops' batch path (msg_batch, must exist) reproduces the portable
 * backend's one-message results for a batch of mixed lengths, both ways. A
 * 0 switches the batch path off, never the backend. */
int zc_kat_batch(const zc_aead_ops *ops, zc_alg alg);

#endif
