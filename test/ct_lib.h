/*
 * Shared by the constant-time programs (test/ct_check.c under valgrind,
 * test/ct_timing.c natively): zcrypto loaded from $ZC_MODULE_DIR with one
 * backend in a library context of its own, and the backends it offers.
 */
#ifndef ZC_CT_LIB_H
#define ZC_CT_LIB_H

#include <openssl/crypto.h>

/* default + zcrypto with "backend = BACKEND" and the config lines EXTRA
 * (may be ""); exits 2 when zcrypto does not load. */
OSSL_LIB_CTX *zc_ct_libctx(const char *backend, const char *extra);
/* Prints the backends zcrypto offers on this CPU (as seen by this process:
 * under valgrind, valgrind's CPU); 0 on success. */
int zc_ct_list_backends(void);

#endif
