/*
 * "RDSEED": a seed source (OSSL_OP_RAND) for OpenSSL's DRBGs, selected with
 *   [random]  seed = RDSEED  seed_properties = provider=zcrypto
 * It has no parent and hands out RDSEED output checked by the continuous
 * health tests of SP 800-90B 4.4 (provider/zc_health.c) after a start-up
 * test at instantiation (4.3). It fails closed: a failed test puts the
 * context in the error state (every later request fails until it is
 * instantiated again), raises a zcrypto error and hands out nothing; so
 * does RDSEED staying empty for ZC_RDSEED_TRIES attempts on one draw.
 *
 * Fallback rules: none. No RDRAND (DRBG output, not an entropy source) and
 * no operating-system source behind it: a deployment that wants a fallback
 * keeps OpenSSL's own SEED-SRC. Registered only where the CPU has RDSEED
 * (ZC_X86CAP=rdseed hides it, for tests).
 *
 * How OpenSSL drives it (3.0 and 3.5 alike, providers/implementations/rands/
 * drbg.c and crypto/rand/rand_lib.c): the primary DRBG is created with this
 * context as its parent, which makes EVP call enable_locking on us; to
 * seed, the DRBG takes our lock, reads our strength (it must be at least
 * its own, 256), calls get_seed and later clear_seed. EVP_RAND_generate
 * on this context takes the same lock.
 *
 * Test hook: ZC_TEST_RDSEED_FAULT=rct|apt|exhausted (read with
 * secure_getenv) replaces, after the start-up test, RDSEED's output with a
 * stuck value, a two-valued pattern, or "no data". It can only make the
 * source refuse: output produced while it is set is never handed out, even
 * if the health tests were to miss it.
 */
#define _GNU_SOURCE /* secure_getenv */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/evp.h> /* EVP_RAND_STATE_* */
#include <openssl/crypto.h>
#include <openssl/params.h>
#include "zc_provider.h"
#include "zc_err.h"
#include "zc_health.h"
#include "zc_rdseed.h"
#include "zc_seed.h"

#define ZC_SEED_STRENGTH    256
#define ZC_SEED_MAX_REQUEST 4096

typedef enum zc_seed_fault {
    ZC_FAULT_NONE = 0,
    ZC_FAULT_RCT,
    ZC_FAULT_APT,
    ZC_FAULT_EXHAUSTED
} zc_seed_fault;

typedef struct zc_seed_ctx {
    zc_provctx *provctx;
    CRYPTO_RWLOCK *lock;        /* once enable_locking was called */
    int state;                  /* EVP_RAND_STATE_* */
    zc_seed_fault fault;
    int started;                /* start-up test passed: faults may apply */
    zc_health health;
} zc_seed_ctx;

static zc_seed_fault zc_seed_fault_from_env(void)
{
    const char *v = secure_getenv("ZC_TEST_RDSEED_FAULT");

    if (v == NULL)
        return ZC_FAULT_NONE;
    if (strcmp(v, "rct") == 0)
        return ZC_FAULT_RCT;
    if (strcmp(v, "apt") == 0)
        return ZC_FAULT_APT;
    if (strcmp(v, "exhausted") == 0)
        return ZC_FAULT_EXHAUSTED;
    return ZC_FAULT_NONE;
}

static void *zc_seed_newctx(void *provctx, void *parent, const OSSL_DISPATCH *parent_dispatch)
{
    zc_provctx *pc = provctx;
    zc_seed_ctx *ctx;

    if (parent != NULL) {
        ZC_raise(pc->handle, ZC_R_BAD_PARAMETER, "RDSEED is a seed source: it takes no parent");
        return NULL;
    }
    if ((ctx = OPENSSL_zalloc(sizeof(*ctx))) == NULL) {
        ZC_raise(pc->handle, ZC_R_MALLOC_FAILURE, "RDSEED context");
        return NULL;
    }
    ctx->provctx = pc;
    ctx->state = EVP_RAND_STATE_UNINITIALISED;
    ctx->fault = zc_seed_fault_from_env();
    zc_health_init(&ctx->health);
    return ctx;
}

static void zc_seed_freectx(void *vctx)
{
    zc_seed_ctx *ctx = vctx;

    if (ctx == NULL)
        return;
    CRYPTO_THREAD_lock_free(ctx->lock);
    OPENSSL_clear_free(ctx, sizeof(*ctx));
}

/* The test hook's replacement of what RDSEED gave (see the file comment). */
static void zc_seed_apply_fault(const zc_seed_ctx *ctx, unsigned char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = ctx->fault == ZC_FAULT_RCT ? 0xa5 : (i & 1) ? 0xc3 : 0x5a;
}

static void zc_seed_fail(zc_seed_ctx *ctx, zc_health_result r)
{
    zc_seed_stats *st = &ctx->provctx->stats.seed;

    ctx->state = EVP_RAND_STATE_ERROR;
    __atomic_fetch_add(r == ZC_HEALTH_RCT_FAILED ? &st->rct_failures : &st->apt_failures, 1,
                       __ATOMIC_RELAXED);
    ZC_raise(ctx->provctx->handle, ZC_R_HEALTH_TEST_FAILED, "RDSEED: SP 800-90B %s",
             zc_health_name(r));
}

/* len bytes into out, health tested; on any failure out is wiped. */
static int zc_seed_draw(zc_seed_ctx *ctx, unsigned char *out, size_t len)
{
    zc_seed_stats *st = &ctx->provctx->stats.seed;
    uint64_t retries = 0;
    zc_health_result r;
    int ok;

    if (ctx->started && ctx->fault == ZC_FAULT_EXHAUSTED) {
        OPENSSL_cleanse(out, len);
        retries = ZC_RDSEED_TRIES;
        ok = 0;
    } else {
        ok = zc_rdseed_fill(out, len, &retries);
    }
    __atomic_fetch_add(&st->retries, retries, __ATOMIC_RELAXED);
    if (!ok) {
        __atomic_fetch_add(&st->exhausted, 1, __ATOMIC_RELAXED);
        ZC_raise(ctx->provctx->handle, ZC_R_SEED_EXHAUSTED,
                 "RDSEED: no data in %d attempts for one 64-bit draw", ZC_RDSEED_TRIES);
        return 0;
    }
    if (ctx->started && ctx->fault != ZC_FAULT_NONE)
        zc_seed_apply_fault(ctx, out, len);
    if ((r = zc_health_feed(&ctx->health, out, len)) != ZC_HEALTH_OK) {
        OPENSSL_cleanse(out, len);
        zc_seed_fail(ctx, r);
        return 0;
    }
    if (ctx->started && ctx->fault != ZC_FAULT_NONE) {
        /* Injected data is never output, caught or not. */
        OPENSSL_cleanse(out, len);
        ctx->state = EVP_RAND_STATE_ERROR;
        ZC_raise(ctx->provctx->handle, ZC_R_SEED_NOT_READY,
                 "RDSEED: test fault injected but not caught by the health tests");
        return 0;
    }
    return 1;
}

static int zc_seed_instantiate(void *vctx, unsigned int strength, int prediction_resistance,
                               const unsigned char *pstr, size_t pstr_len,
                               const OSSL_PARAM params[])
{
    zc_seed_ctx *ctx = vctx;
    unsigned char startup[ZC_HEALTH_STARTUP_SAMPLES];
    int ok;

    if (strength > ZC_SEED_STRENGTH) {
        ZC_raise(ctx->provctx->handle, ZC_R_BAD_PARAMETER,
                 "RDSEED: strength %u asked, %d offered", strength, ZC_SEED_STRENGTH);
        return 0;
    }
    /* SP 800-90B 4.3: the start-up test, from a fresh test state. */
    zc_health_init(&ctx->health);
    ctx->started = 0;
    ctx->state = EVP_RAND_STATE_UNINITIALISED;
    ok = zc_seed_draw(ctx, startup, sizeof(startup));
    OPENSSL_cleanse(startup, sizeof(startup));
    if (!ok)
        return 0;
    ctx->started = 1;
    ctx->state = EVP_RAND_STATE_READY;
    return 1;
}

static int zc_seed_uninstantiate(void *vctx)
{
    zc_seed_ctx *ctx = vctx;

    zc_health_init(&ctx->health);
    ctx->started = 0;
    ctx->state = EVP_RAND_STATE_UNINITIALISED;
    return 1;
}

static int zc_seed_ready(zc_seed_ctx *ctx)
{
    if (ctx->state == EVP_RAND_STATE_READY)
        return 1;
    ZC_raise(ctx->provctx->handle, ZC_R_SEED_NOT_READY, "RDSEED: %s",
             ctx->state == EVP_RAND_STATE_ERROR ? "error state (a health test failed)"
                                                : "not instantiated");
    return 0;
}

static int zc_seed_generate(void *vctx, unsigned char *out, size_t outlen, unsigned int strength,
                            int prediction_resistance, const unsigned char *adin,
                            size_t adin_len)
{
    zc_seed_ctx *ctx = vctx;
    zc_seed_stats *st = &ctx->provctx->stats.seed;

    if (!zc_seed_ready(ctx)) {
        OPENSSL_cleanse(out, outlen);
        return 0;
    }
    if (strength > ZC_SEED_STRENGTH) {
        ZC_raise(ctx->provctx->handle, ZC_R_BAD_PARAMETER,
                 "RDSEED: strength %u asked, %d offered", strength, ZC_SEED_STRENGTH);
        return 0;
    }
    if (!zc_seed_draw(ctx, out, outlen))
        return 0;
    __atomic_fetch_add(&st->requests, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&st->bytes, outlen, __ATOMIC_RELAXED);
    return 1;
}

static int zc_seed_reseed(void *vctx, int prediction_resistance, const unsigned char *ent,
                          size_t ent_len, const unsigned char *adin, size_t adin_len)
{
    return zc_seed_ready(vctx);
}

/* A seed of at least min_len bytes carrying `entropy` bits (8 per byte). */
static size_t zc_seed_get_seed(void *vctx, unsigned char **pout, int entropy, size_t min_len,
                               size_t max_len, int prediction_resistance,
                               const unsigned char *adin, size_t adin_len)
{
    zc_seed_ctx *ctx = vctx;
    size_t need = entropy > 0 ? ((size_t)entropy + 7) / 8 : 0;
    unsigned char *p;

    if (need < min_len)
        need = min_len;
    if (need == 0 || need > max_len) {
        ZC_raise(ctx->provctx->handle, ZC_R_BAD_PARAMETER,
                 "RDSEED: seed of %zu bytes asked within %zu..%zu", need, min_len, max_len);
        return 0;
    }
    if ((p = OPENSSL_secure_malloc(need)) == NULL) {
        ZC_raise(ctx->provctx->handle, ZC_R_MALLOC_FAILURE, "RDSEED seed of %zu bytes", need);
        return 0;
    }
    if (!zc_seed_generate(ctx, p, need, 0, prediction_resistance, adin, adin_len)) {
        OPENSSL_secure_clear_free(p, need);
        return 0;
    }
    *pout = p;
    return need;
}

static void zc_seed_clear_seed(void *vctx, unsigned char *out, size_t outlen)
{
    OPENSSL_secure_clear_free(out, outlen);
}

static int zc_seed_enable_locking(void *vctx)
{
    zc_seed_ctx *ctx = vctx;

    if (ctx->lock == NULL && (ctx->lock = CRYPTO_THREAD_lock_new()) == NULL) {
        ZC_raise(ctx->provctx->handle, ZC_R_MALLOC_FAILURE, "RDSEED lock");
        return 0;
    }
    return 1;
}

static int zc_seed_lock(void *vctx)
{
    zc_seed_ctx *ctx = vctx;

    return ctx->lock == NULL || CRYPTO_THREAD_write_lock(ctx->lock);
}

static void zc_seed_unlock(void *vctx)
{
    zc_seed_ctx *ctx = vctx;

    if (ctx->lock != NULL)
        CRYPTO_THREAD_unlock(ctx->lock);
}

static const OSSL_PARAM *zc_seed_gettable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM known[] = {
        OSSL_PARAM_int(OSSL_RAND_PARAM_STATE, NULL),
        OSSL_PARAM_uint(OSSL_RAND_PARAM_STRENGTH, NULL),
        OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST, NULL),
        OSSL_PARAM_END
    };

    return known;
}

static int zc_seed_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    zc_seed_ctx *ctx = vctx;
    OSSL_PARAM *p;

    if ((p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STATE)) != NULL
        && !OSSL_PARAM_set_int(p, ctx->state))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STRENGTH)) != NULL
        && !OSSL_PARAM_set_uint(p, ZC_SEED_STRENGTH))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_MAX_REQUEST)) != NULL
        && !OSSL_PARAM_set_size_t(p, ZC_SEED_MAX_REQUEST))
        return 0;
    return 1;
}

/* Nothing secret outlives a call: buffers and the context are wiped. */
static int zc_seed_verify_zeroization(void *vctx)
{
    return 1;
}

static const OSSL_DISPATCH zc_seed_functions[] = {
    { OSSL_FUNC_RAND_NEWCTX, (void (*)(void))zc_seed_newctx },
    { OSSL_FUNC_RAND_FREECTX, (void (*)(void))zc_seed_freectx },
    { OSSL_FUNC_RAND_INSTANTIATE, (void (*)(void))zc_seed_instantiate },
    { OSSL_FUNC_RAND_UNINSTANTIATE, (void (*)(void))zc_seed_uninstantiate },
    { OSSL_FUNC_RAND_GENERATE, (void (*)(void))zc_seed_generate },
    { OSSL_FUNC_RAND_RESEED, (void (*)(void))zc_seed_reseed },
    { OSSL_FUNC_RAND_GET_SEED, (void (*)(void))zc_seed_get_seed },
    { OSSL_FUNC_RAND_CLEAR_SEED, (void (*)(void))zc_seed_clear_seed },
    { OSSL_FUNC_RAND_ENABLE_LOCKING, (void (*)(void))zc_seed_enable_locking },
    { OSSL_FUNC_RAND_LOCK, (void (*)(void))zc_seed_lock },
    { OSSL_FUNC_RAND_UNLOCK, (void (*)(void))zc_seed_unlock },
    { OSSL_FUNC_RAND_GETTABLE_CTX_PARAMS, (void (*)(void))zc_seed_gettable_ctx_params },
    { OSSL_FUNC_RAND_GET_CTX_PARAMS, (void (*)(void))zc_seed_get_ctx_params },
    { OSSL_FUNC_RAND_VERIFY_ZEROIZATION, (void (*)(void))zc_seed_verify_zeroization },
    { 0, NULL }
};

static const OSSL_ALGORITHM zc_seed_algs[] = {
    { "RDSEED", "provider=zcrypto", zc_seed_functions,
      "x86 RDSEED seed source with SP 800-90B continuous health tests" },
    { NULL, NULL, NULL, NULL }
};

const OSSL_ALGORITHM *zc_seed_algorithms(void)
{
    return zc_rdseed_available() ? zc_seed_algs : NULL;
}
