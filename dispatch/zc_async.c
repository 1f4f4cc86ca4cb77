/*
 * The scheduler seam with no offload engine behind it yet: every request
 * runs inline on the calling thread, inside an ASYNC job or not. The config
 * keys are parsed and kept so a later engine changes no interface, and the
 * counters say honestly that nothing was offloaded.
 */
#include "config.h"

#include <openssl/async.h>
#include <openssl/crypto.h>
#include "zc_async.h"

struct zc_async {
    zc_async_config cfg;
    zc_async_stats stats;
};

void zc_async_config_defaults(zc_async_config *cfg)
{
    cfg->enabled = 1;
    cfg->min_bytes = 4096;
    cfg->batch_max = 16;
    cfg->batch_timeout_us = 20;
    cfg->op_timeout_us = 100000;
    cfg->offload_threads = 1;
}

zc_async *zc_async_new(const zc_async_config *cfg, const zc_backend *backend)
{
    zc_async *as = OPENSSL_zalloc(sizeof(*as));

    if (as != NULL)
        as->cfg = *cfg;
    return as;
}

void zc_async_free(zc_async *as)
{
    OPENSSL_free(as);
}

int zc_async_msg_update(zc_async *as, zc_async_handle **slot,
                        const zc_aead_ops *ops, const void *key_state,
                        void *msg_state, unsigned char *out,
                        const unsigned char *in, size_t len, int enc,
                        int urgent)
{
    return ops->msg_update(key_state, msg_state, out, in, len, enc);
}

void zc_async_cancel(zc_async_handle **slot)
{
    /* Nothing is ever in flight. */
    *slot = NULL;
}

void zc_async_get_stats(const zc_async *as, zc_async_stats *out)
{
    *out = as->stats;
}

void zc_async_test_stall(zc_async *as, int stalled)
{
}
