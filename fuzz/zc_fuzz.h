/*
 * Shared by the libFuzzer harnesses: zcrypto (one library context per
 * backend) next to the default provider, a reader over the fuzz input, a
 * deterministic RAND so random IVs match between the two, and the
 * differential checks that abort on any difference.
 */
#ifndef ZC_FUZZ_H
#define ZC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/core.h>
#include <openssl/evp.h>

#define ZC_FUZZ_NALGS 4
#define ZC_FUZZ_CHACHA 3    /* index of ChaCha20-Poly1305 in zc_fuzz_alg_names */
extern const char *const zc_fuzz_alg_names[ZC_FUZZ_NALGS];

/* One provider's view: its library context and the four ciphers. */
typedef struct zc_fuzz_side {
    const char *name;           /* backend name, or "default" */
    OSSL_LIB_CTX *lc;
    EVP_CIPHER *cipher[ZC_FUZZ_NALGS];
    /* zcrypto sides: the provider's context and each cipher's dispatch
     * table, for calls past EVP (fuzz_pipe: EVP stops at 32 pipes). */
    void *provctx;
    const OSSL_DISPATCH *impl[ZC_FUZZ_NALGS];
} zc_fuzz_side;

/* Consumed front to back; past the end every read gives zeros. */
typedef struct zc_fuzz_in {
    const uint8_t *p;
    size_t n;
} zc_fuzz_in;

/*
 * Loads the default provider and zcrypto from $ZC_MODULE_DIR, once per
 * backend this CPU runs (or only $ZC_FUZZ_BACKEND), and installs the
 * deterministic RAND. zc_fuzz.c's LLVMFuzzerInitialize calls it: libFuzzer
 * only counts coverage of modules loaded before fuzzing starts.
 */
void zc_fuzz_setup(void);
/* ZC_FUZZ_TRACE set: the harnesses print each operation and both results. */
extern int zc_fuzz_trace;
zc_fuzz_side *zc_fuzz_default(void);
/* The zcrypto side for this input: its first byte picks the backend. */
zc_fuzz_side *zc_fuzz_pick(zc_fuzz_in *in);
/* Function id of zcrypto side s's cipher alg; aborts when it has none. */
const OSSL_DISPATCH *zc_fuzz_dispatch(const zc_fuzz_side *s, int alg, int id);

uint8_t zc_fuzz_u8(zc_fuzz_in *in);
uint16_t zc_fuzz_u16(zc_fuzz_in *in);
/* len bytes of input into buf (zeros past the end). */
void zc_fuzz_bytes(zc_fuzz_in *in, void *buf, size_t len);

/* Restarts the RAND stream: call with the same seed before each side. */
void zc_fuzz_rand_reset(uint64_t seed);

/* Aborts, printing what differed (the input is kept by libFuzzer). */
void zc_fuzz_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
#define ZC_FUZZ_SAME(what, z, d)                                               \
    do {                                                                       \
        if ((z) != (d))                                                        \
            zc_fuzz_fail("%s: zcrypto %lld, default %lld", (what),             \
                         (long long)(z), (long long)(d));                      \
    } while (0)
void zc_fuzz_same_bytes(const char *what, const void *z, const void *d, size_t len);

/* The reason text of the newest error on the queue ("" if none). */
const char *zc_fuzz_last_reason(void);
/* 1 if reason (from zc_fuzz_last_reason) is zcrypto's and starts with want. */
int zc_fuzz_reason_is(const char *reason, const char *want);

#endif
