/*
 * zc_bench: zcrypto against OpenSSL's default provider, through EVP, in one
 * process and one library context. Both providers run the same cells (alg x
 * mode x direction x size) in alternating batches, so the noise of a shared
 * machine lands on both alike and the ratio stays meaningful.
 */
#ifndef ZC_BENCH_H
#define ZC_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#define ZB_KEY_MAX 32
#define ZB_IV_LEN 12
#define ZB_AAD_LEN 13           /* a TLS 1.2 record header */
#define ZB_TAG_LEN 16

typedef enum zb_prov { ZB_ZCRYPTO = 0, ZB_DEFAULT, ZB_PROV_COUNT } zb_prov;
typedef enum zb_mode { ZB_ONESHOT = 0, ZB_STREAM, ZB_MODE_COUNT } zb_mode;

const char *zb_prov_name(zb_prov prov);
const char *zb_mode_name(zb_mode mode);

/* One provider's view of a cell, with what it has done so far. */
typedef struct zb_side {
    zb_prov prov;
    EVP_CIPHER *cipher;
    EVP_CIPHER_CTX *ctx;
    unsigned char *out;
    unsigned char tag[ZB_TAG_LEN];      /* encrypting: the last tag */
    /*
     * What zcrypto's stats must have counted: ops are successful finals;
     * bytes are every successful data update, whether or not its message
     * was finished (warm-up streams are never finished, a refused tag
     * fails only at final).
     */
    uint64_t finals;
    uint64_t update_bytes;
} zb_side;

/* One measured configuration; inputs are shared by both providers. */
typedef struct zb_cell {
    const char *alg;
    zb_mode mode;
    int enc;
    int rekey;                  /* one-shot: pass the key on every init */
    size_t size;
    size_t keylen;
    unsigned char key[ZB_KEY_MAX];
    unsigned char iv[ZB_IV_LEN];
    unsigned char aad[ZB_AAD_LEN];
    unsigned char *plain;
    unsigned char *in;          /* plain (encrypt) or its ciphertext (decrypt) */
    unsigned char tag[ZB_TAG_LEN];  /* one-shot decrypt: the tag of in */
    size_t stream_updates;      /* updates per stream batch */
    unsigned char stream_tag[ZB_TAG_LEN];   /* tag after stream_updates x in */
    zb_side side[ZB_PROV_COUNT];
} zb_cell;

/* ---- zc_bench_ops.c: the EVP operations ---- */

/* Draws key/IV/AAD/data, fetches nothing; sides must hold their ciphers. */
int zb_cell_setup(zb_cell *c);
void zb_cell_cleanup(zb_cell *c);

/* A whole message: init (IV, key if rekey), AAD, data, final, tag. */
int zb_oneshot(const zb_cell *c, zb_side *s);
/* Streaming: one init and AAD, then `size`-byte updates, then the final. */
int zb_stream_begin(const zb_cell *c, zb_side *s);
int zb_stream_update(const zb_cell *c, zb_side *s);
int zb_stream_end(const zb_cell *c, zb_side *s);

/* Sets stream_updates and the tag a decrypting stream of that length needs. */
int zb_cell_set_stream_updates(zb_cell *c, size_t updates);

/*
 * Runs the cell's operation once on both providers and compares the output
 * byte for byte (and, decrypting, that a flipped tag is refused by both).
 * Returns 1 when zcrypto agrees with the default provider.
 */
int zb_cell_verify(zb_cell *c);

/* ---- zc_bench_run.c: timing ---- */

typedef struct zb_result {
    size_t ops;                 /* operations (one-shot) or updates (stream) timed */
    size_t batch;               /* operations per timed sample (1: per-op timing) */
    double mbps;                /* bytes / total timed ns, in MB/s (10^6) */
    double best_mbps;           /* the fastest single round's MB/s */
    double p50_ns, p99_ns, mean_ns;     /* per operation */
} zb_result;

typedef struct zb_timing {
    double seconds;             /* timed work per provider per cell (approx.) */
    size_t rounds;              /* alternations of the two providers */
    size_t min_samples;
    double group_ns;            /* target duration of one timed sample */
    double clock_ns;            /* cost of one clock read pair, subtracted */
} zb_timing;

/* Measures the cost of reading the clock, to subtract it from samples. */
double zb_clock_overhead_ns(void);
uint64_t zb_now_ns(void);

/* Times the cell on both providers, interleaved; res[prov] gets the figures. */
int zb_cell_measure(zb_cell *c, const zb_timing *t, zb_result res[ZB_PROV_COUNT]);

#endif
