/*
 * The algorithms zcrypto offers, under the default provider's names, aliases
 * and OIDs, with property "provider=zcrypto" (3.0 adds none by itself).
 */
#include "config.h"

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include "internal.h"
#include "zc_ciphers.h"

#define ZC_KIND(sym, alg_, family_, keylen_)                                   \
    static const zc_aead_kind sym##_kind = { (alg_), (family_), (keylen_) };   \
    static void *sym##_newctx(void *provctx)                                   \
    {                                                                          \
        return zc_aead_newctx(provctx, &sym##_kind);                           \
    }                                                                          \
    static int sym##_get_params(OSSL_PARAM params[])                           \
    {                                                                          \
        return zc_aead_get_alg_params(&sym##_kind, params);                    \
    }

ZC_KIND(zc_aes128gcm, ZC_ALG_AES_128_GCM, ZC_FAMILY_GCM, 16)
ZC_KIND(zc_aes192gcm, ZC_ALG_AES_192_GCM, ZC_FAMILY_GCM, 24)
ZC_KIND(zc_aes256gcm, ZC_ALG_AES_256_GCM, ZC_FAMILY_GCM, 32)
ZC_KIND(zc_chachapoly, ZC_ALG_CHACHA20_POLY1305, ZC_FAMILY_CHACHA_POLY, 32)

#define ZC_FN(id, fn) { (id), (void (*)(void))(fn) }
/* OpenSSL 3.5+: batches of packets under one key (EVP_CIPHER_can_pipeline). */
#ifdef ZC_HAVE_PIPELINE
#define ZC_PIPELINE_FNS                                                        \
        ZC_FN(OSSL_FUNC_CIPHER_PIPELINE_ENCRYPT_INIT, zc_pipe_einit),          \
        ZC_FN(OSSL_FUNC_CIPHER_PIPELINE_DECRYPT_INIT, zc_pipe_dinit),          \
        ZC_FN(OSSL_FUNC_CIPHER_PIPELINE_UPDATE, zc_pipe_update),               \
        ZC_FN(OSSL_FUNC_CIPHER_PIPELINE_FINAL, zc_pipe_final),
#else
#define ZC_PIPELINE_FNS
#endif
#define ZC_DISPATCH(sym, gettable_ctx, settable_ctx)                           \
    static const OSSL_DISPATCH sym##_functions[] = {                           \
        ZC_FN(OSSL_FUNC_CIPHER_NEWCTX, sym##_newctx),                          \
        ZC_FN(OSSL_FUNC_CIPHER_FREECTX, zc_aead_freectx),                      \
        ZC_FN(OSSL_FUNC_CIPHER_DUPCTX, zc_aead_dupctx),                        \
        ZC_FN(OSSL_FUNC_CIPHER_ENCRYPT_INIT, zc_aead_einit),                   \
        ZC_FN(OSSL_FUNC_CIPHER_DECRYPT_INIT, zc_aead_dinit),                   \
        ZC_FN(OSSL_FUNC_CIPHER_UPDATE, zc_aead_update),                        \
        ZC_FN(OSSL_FUNC_CIPHER_FINAL, zc_aead_final),                          \
        ZC_FN(OSSL_FUNC_CIPHER_CIPHER, zc_aead_cipher),                        \
        ZC_FN(OSSL_FUNC_CIPHER_GET_PARAMS, sym##_get_params),                  \
        ZC_FN(OSSL_FUNC_CIPHER_GETTABLE_PARAMS, zc_aead_gettable_params),      \
        ZC_FN(OSSL_FUNC_CIPHER_GET_CTX_PARAMS, zc_aead_get_ctx_params),        \
        ZC_FN(OSSL_FUNC_CIPHER_SET_CTX_PARAMS, zc_aead_set_ctx_params),        \
        ZC_FN(OSSL_FUNC_CIPHER_GETTABLE_CTX_PARAMS, gettable_ctx),             \
        ZC_FN(OSSL_FUNC_CIPHER_SETTABLE_CTX_PARAMS, settable_ctx),             \
        ZC_PIPELINE_FNS                                                        \
        { 0, NULL }                                                            \
    };

ZC_DISPATCH(zc_aes128gcm, zc_aead_gettable_ctx_params, zc_aead_settable_ctx_params)
ZC_DISPATCH(zc_aes192gcm, zc_aead_gettable_ctx_params, zc_aead_settable_ctx_params)
ZC_DISPATCH(zc_aes256gcm, zc_aead_gettable_ctx_params, zc_aead_settable_ctx_params)
ZC_DISPATCH(zc_chachapoly, zc_chacha_gettable_ctx_params, zc_chacha_settable_ctx_params)

#define ZC_PROPS "provider=zcrypto"

static const struct {
    zc_alg alg;
    OSSL_ALGORITHM def;
} zc_cipher_algorithms[] = {
    { ZC_ALG_AES_256_GCM, { "AES-256-GCM:id-aes256-GCM:2.16.840.1.101.3.4.1.46", ZC_PROPS,
                            zc_aes256gcm_functions, "zcrypto AES-256-GCM" } },
    { ZC_ALG_AES_192_GCM, { "AES-192-GCM:id-aes192-GCM:2.16.840.1.101.3.4.1.26", ZC_PROPS,
                            zc_aes192gcm_functions, "zcrypto AES-192-GCM" } },
    { ZC_ALG_AES_128_GCM, { "AES-128-GCM:id-aes128-GCM:2.16.840.1.101.3.4.1.6", ZC_PROPS,
                            zc_aes128gcm_functions, "zcrypto AES-128-GCM" } },
    { ZC_ALG_CHACHA20_POLY1305, { "ChaCha20-Poly1305", ZC_PROPS, zc_chachapoly_functions,
                                  "zcrypto ChaCha20-Poly1305" } },
};

size_t zc_ciphers_select(const int served[ZC_ALG_COUNT], OSSL_ALGORITHM out[ZC_ALG_COUNT + 1])
{
    size_t n = 0;

    for (size_t i = 0; i < sizeof(zc_cipher_algorithms) / sizeof(zc_cipher_algorithms[0]); i++)
        if (served[zc_cipher_algorithms[i].alg])
            out[n++] = zc_cipher_algorithms[i].def;
    out[n] = (OSSL_ALGORITHM){ NULL, NULL, NULL, NULL };
    return n;
}
