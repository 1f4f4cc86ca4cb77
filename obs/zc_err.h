/*
 * zcrypto's errors: our own reason codes and strings, raised through the
 * core's error upcalls so they land on the application's error queue with a
 * "zcrypto" reason text. A leaf utility: every layer may raise.
 */
#ifndef ZC_ERR_H
#define ZC_ERR_H

#include <openssl/core.h>
#include <openssl/core_dispatch.h>

typedef enum zc_reason {
    ZC_R_NONE = 0,
    ZC_R_INVALID_KEY_LENGTH = 1,
    ZC_R_INVALID_IV_LENGTH,
    ZC_R_INVALID_TAG_LENGTH,
    ZC_R_TAG_NOT_SET,
    ZC_R_TAG_NOT_READY,
    ZC_R_TAG_NOT_NEEDED,
    ZC_R_TAG_MISMATCH,
    ZC_R_KEY_NOT_SET,
    ZC_R_IV_NOT_SET,
    ZC_R_MESSAGE_FINISHED,
    ZC_R_AAD_AFTER_DATA,
    ZC_R_OUTPUT_TOO_SMALL,
    ZC_R_MESSAGE_TOO_LONG,
    ZC_R_INVALID_TLS_AAD,
    ZC_R_INVALID_TLS_RECORD,
    ZC_R_TOO_MANY_RECORDS,
    ZC_R_IV_GEN_NOT_ARMED,
    ZC_R_BAD_PARAMETER,
    ZC_R_BACKEND_FAILURE,
    ZC_R_MALLOC_FAILURE,
    ZC_R_RAND_FAILURE,
    ZC_R_INVALID_CONFIG,
    ZC_R_BACKEND_UNAVAILABLE,
    ZC_R_SELF_TEST_FAILED,
    ZC_R_STATS_WRITE_FAILED,
    ZC_R_SEED_EXHAUSTED,
    ZC_R_HEALTH_TEST_FAILED,
    ZC_R_SEED_NOT_READY,
    ZC_R_INVALID_PIPELINE,
    ZC_R_MAX
} zc_reason;

/* Captures the core's error upcalls; called once from OSSL_provider_init. */
void zc_err_bind(const OSSL_DISPATCH *in);
const OSSL_ITEM *zc_err_reason_strings(void);

void zc_err_raise(const OSSL_CORE_HANDLE *handle, const char *file, int line,
                  const char *func, zc_reason reason, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/*
 * For errors that stop the provider from loading. OpenSSL 3.0 drops the
 * error queue of a provider activated from openssl.cnf and carries on
 * without it, so the message also goes to stderr: a misconfiguration must
 * be visible, never a silent fallback to the default provider.
 */
void zc_err_fatal(const OSSL_CORE_HANDLE *handle, const char *file, int line,
                  const char *func, zc_reason reason, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
#define ZC_fatal(handle, reason, ...)                                       \
    zc_err_fatal((handle), OPENSSL_FILE, OPENSSL_LINE, OPENSSL_FUNC,        \
                 (reason), __VA_ARGS__)

/* handle: the provider's core handle (provctx->handle). */
#define ZC_raise(handle, reason, ...)                                       \
    zc_err_raise((handle), OPENSSL_FILE, OPENSSL_LINE, OPENSSL_FUNC,        \
                 (reason), __VA_ARGS__)

#endif
