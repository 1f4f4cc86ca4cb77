#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <openssl/err.h>
#include "zc_err.h"
#include "zc_audit.h"

static OSSL_FUNC_core_new_error_fn *zc_core_new_error;
static OSSL_FUNC_core_set_error_debug_fn *zc_core_set_error_debug;
static OSSL_FUNC_core_vset_error_fn *zc_core_vset_error;

/* Every string starts with "zcrypto" so a log line names its origin. */
static const OSSL_ITEM zc_reason_strings[] = {
    { ZC_R_INVALID_KEY_LENGTH, "zcrypto: invalid key length" },
    { ZC_R_INVALID_IV_LENGTH, "zcrypto: invalid IV length" },
    { ZC_R_INVALID_TAG_LENGTH, "zcrypto: invalid tag length" },
    { ZC_R_TAG_NOT_SET, "zcrypto: tag not set before decrypt final" },
    { ZC_R_TAG_NOT_READY, "zcrypto: tag not available (encrypt final not done)" },
    { ZC_R_TAG_NOT_NEEDED, "zcrypto: tag can only be set when decrypting" },
    { ZC_R_TAG_MISMATCH, "zcrypto: tag mismatch (authentication failed)" },
    { ZC_R_KEY_NOT_SET, "zcrypto: key not set" },
    { ZC_R_IV_NOT_SET, "zcrypto: IV not set" },
    { ZC_R_MESSAGE_FINISHED, "zcrypto: message already finished; re-init with a new IV" },
    { ZC_R_AAD_AFTER_DATA, "zcrypto: AAD given after data" },
    { ZC_R_OUTPUT_TOO_SMALL, "zcrypto: output buffer too small" },
    { ZC_R_MESSAGE_TOO_LONG, "zcrypto: message exceeds the algorithm's length limit" },
    { ZC_R_INVALID_TLS_AAD, "zcrypto: invalid TLS AAD" },
    { ZC_R_INVALID_TLS_RECORD, "zcrypto: invalid TLS record" },
    { ZC_R_TOO_MANY_RECORDS, "zcrypto: too many TLS records under one key" },
    { ZC_R_IV_GEN_NOT_ARMED, "zcrypto: IV generation not armed (set the fixed IV and key first)" },
    { ZC_R_BAD_PARAMETER, "zcrypto: bad parameter" },
    { ZC_R_BACKEND_FAILURE, "zcrypto: backend operation failed" },
    { ZC_R_MALLOC_FAILURE, "zcrypto: out of memory" },
    { ZC_R_RAND_FAILURE, "zcrypto: random generation failed" },
    { ZC_R_INVALID_CONFIG, "zcrypto: invalid configuration" },
    { ZC_R_BACKEND_UNAVAILABLE, "zcrypto: backend not available on this machine" },
    { ZC_R_SELF_TEST_FAILED, "zcrypto: backend self-test failed" },
    { ZC_R_STATS_WRITE_FAILED, "zcrypto: could not write the stats file" },
    { ZC_R_SEED_EXHAUSTED, "zcrypto: RDSEED gave no entropy (retries exhausted)" },
    { ZC_R_HEALTH_TEST_FAILED, "zcrypto: entropy health test failed; seed source in error state" },
    { ZC_R_SEED_NOT_READY, "zcrypto: seed source not instantiated or in error state" },
    { ZC_R_INVALID_PIPELINE, "zcrypto: invalid pipeline call" },
    { 0, NULL }
};

void zc_err_bind(const OSSL_DISPATCH *in)
{
    for (; in->function_id != 0; in++) {
        switch (in->function_id) {
        case OSSL_FUNC_CORE_NEW_ERROR:
            zc_core_new_error = OSSL_FUNC_core_new_error(in);
            break;
        case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
            zc_core_set_error_debug = OSSL_FUNC_core_set_error_debug(in);
            break;
        case OSSL_FUNC_CORE_VSET_ERROR:
            zc_core_vset_error = OSSL_FUNC_core_vset_error(in);
            break;
        default:
            break;
        }
    }
}

const OSSL_ITEM *zc_err_reason_strings(void)
{
    return zc_reason_strings;
}

void zc_err_raise(const OSSL_CORE_HANDLE *handle, const char *file, int line,
                  const char *func, zc_reason reason, const char *fmt, ...)
{
    va_list ap;

    /* Without the upcalls (or a handle) there is no queue to report to. */
    if (handle == NULL || zc_core_new_error == NULL || zc_core_vset_error == NULL)
        return;
    zc_core_new_error(handle);
    if (zc_core_set_error_debug != NULL)
        zc_core_set_error_debug(handle, file, line, func);
    va_start(ap, fmt);
    zc_core_vset_error(handle, ERR_PACK(0, 0, reason), fmt, ap);
    va_end(ap);
}

void zc_err_fatal(const OSSL_CORE_HANDLE *handle, const char *file, int line,
                  const char *func, zc_reason reason, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    zc_err_raise(handle, file, line, func, reason, "%s", msg);
    fprintf(stderr, "zcrypto: provider not loaded: %s\n", msg);
    zc_audit_event("provider not loaded", "%s", msg);
}
