/*
 * Pipeline API fuzzer (OpenSSL 3.5+, EVP_CipherPipeline*): the input is
 * decoded into a sequence of pipeline calls on one context, through EVP or
 * straight through zcrypto's dispatch table (the only way past EVP's 32
 * pipes to zcrypto's 64, and to a pipe count that differs between calls):
 * inits (enc/dec, key or none, a wrong key length, 0..64 pipes and more,
 * IV lengths, NULL IVs), AAD updates in fuzzed chunks, the data update
 * (per-pipe lengths, in place or not, NULL buffers, short outputs), tags
 * set (right, corrupted, fuzzed; lengths 0..18, NULL pointers, the wrong
 * param type) and read, final, the one-message API on a pipelined context
 * (refused; after an init with an IV one message equal to the default's),
 * context copies. A pipe of length 0 may pass NULL buffers (zcrypto(7)).
 *
 * The default provider has no pipelines, so the oracle is a model of
 * zcrypto(7) PIPELINES plus the default's one-packet results: the model
 * says whether each call must succeed or be refused; every pipe's output
 * and tag must equal the default's init/IV/AAD/update/final of that packet
 * alone; a decrypt final must fail exactly when the default rejects some
 * pipe's tag, naming the first such pipe and the count, with those pipes
 * zeroed and the others holding their plaintext; a refused call must raise
 * a zcrypto error and write nothing (outputs, bytes past them, tags), and
 * leave the batch where it was (the model carries on from there). EVP's own
 * refusals (over 32 pipes, no cipher, NULL outl/inl) and its reset of a ctx
 * re-initialised with a cipher (numpipes then reads 0, zcrypto(7)) are
 * part of the model. Any difference aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include "zc_fuzz.h"

#if OPENSSL_VERSION_NUMBER < 0x30500000L
#error "fuzz_pipe needs OpenSSL 3.5's pipeline cipher API; fuzz/build.sh skips it before 3.5"
#endif

#define ZC_PMAX    64           /* zcrypto's pipe limit, zcrypto(7) */
#define ZC_EVPMAX  32           /* EVP_MAX_PIPES: EVP refuses more */
#define ZC_ARR     (ZC_PMAX + 8)
#define ZC_MAXLEN  20000        /* one pipe's data: past the 1 KiB lane limit */
#define ZC_TOTAL   (160 * 1024) /* one batch's data */
#define ZC_MAXAAD  1024
#define ZC_SLACK   32           /* past each output: must stay untouched */
#define ZC_MAX_OPS 24
#define ZC_FILL    0xa5

enum { ZC_OFF, ZC_READY, ZC_SEALED, ZC_DONE };
enum { ZC_OP_INIT, ZC_OP_AAD, ZC_OP_DATA, ZC_OP_SET_TAGS, ZC_OP_GET_TAGS, ZC_OP_FINAL,
       ZC_OP_ONE_MSG, ZC_OP_COPY, ZC_OP_N };

/* zcrypto's dispatch functions for one algorithm (direct calls). */
typedef struct zc_disp {
    void *provctx;
    OSSL_FUNC_cipher_newctx_fn *newctx;
    OSSL_FUNC_cipher_freectx_fn *freectx;
    OSSL_FUNC_cipher_dupctx_fn *dupctx;
    OSSL_FUNC_cipher_encrypt_init_fn *einit1;   /* the one-message API */
    OSSL_FUNC_cipher_update_fn *update;
    OSSL_FUNC_cipher_final_fn *final1;
    OSSL_FUNC_cipher_get_ctx_params_fn *get;
    OSSL_FUNC_cipher_set_ctx_params_fn *set;
    OSSL_FUNC_cipher_pipeline_encrypt_init_fn *einit;
    OSSL_FUNC_cipher_pipeline_decrypt_init_fn *dinit;
    OSSL_FUNC_cipher_pipeline_update_fn *pupdate;
    OSSL_FUNC_cipher_pipeline_final_fn *pfinal;
} zc_disp;

/*
 * What zcrypto(7) says the context holds. The provider-side fields follow
 * zc_aead_pipe.c's contract, the EVP ones OpenSSL 3.5's evp_enc.c.
 */
typedef struct zc_model {
    int evp, alg;
    int has_cipher;             /* EVP: the ctx holds a cipher */
    size_t evp_n;               /* EVP: its ctx->numpipes, what it passes on */
    int key_set, pipelined;     /* pipelined: a pipeline init succeeded */
    int phase, enc, tags_set, tag_ready;
    size_t n, ivlen, taglen, keylen;
    unsigned char key[32];
    unsigned char iv[ZC_ARR][128];
    unsigned char aad[ZC_ARR][ZC_MAXAAD];
    size_t aadlen[ZC_ARR], len[ZC_ARR];
    unsigned char want[ZC_ARR][16];     /* decrypt: the tags set */
    unsigned char ref_tag[ZC_ARR][16];  /* encrypt: the default's; decrypt: the right one */
} zc_model;

/* One data update's buffers; the last successful one stays live. */
typedef struct zc_set {
    unsigned char data[ZC_ARR][ZC_MAXLEN];          /* the input */
    unsigned char out[ZC_ARR][ZC_MAXLEN + ZC_SLACK];
    unsigned char ref[ZC_ARR][ZC_MAXLEN];           /* the default's output */
    size_t len[ZC_ARR];
    int inplace;
} zc_set;

typedef struct zc_run {
    EVP_CIPHER_CTX *x;          /* EVP */
    void *pctx;                 /* direct */
    zc_disp d;
    EVP_CIPHER *cipher, *dcipher;
    char what[128];
} zc_run;

static zc_model zc_m;
static zc_set zc_sets[2];
static int zc_live;
static unsigned char zc_tagbuf[ZC_ARR][16];
static EVP_CIPHER_CTX *zc_dref;
static uint64_t zc_prng;

static uint64_t zc_rand64(void)
{
    uint64_t z = (zc_prng += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void zc_rand_fill(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)zc_rand64();
}

/* ------------------------------------------------ zcrypto's dispatch */

#define ZC_FN(acc, id) acc(zc_fuzz_dispatch(s, alg, (id)))

static void zc_disp_get(zc_disp *d, const zc_fuzz_side *s, int alg)
{
    d->provctx = s->provctx;
    d->newctx = ZC_FN(OSSL_FUNC_cipher_newctx, OSSL_FUNC_CIPHER_NEWCTX);
    d->freectx = ZC_FN(OSSL_FUNC_cipher_freectx, OSSL_FUNC_CIPHER_FREECTX);
    d->dupctx = ZC_FN(OSSL_FUNC_cipher_dupctx, OSSL_FUNC_CIPHER_DUPCTX);
    d->einit1 = ZC_FN(OSSL_FUNC_cipher_encrypt_init, OSSL_FUNC_CIPHER_ENCRYPT_INIT);
    d->update = ZC_FN(OSSL_FUNC_cipher_update, OSSL_FUNC_CIPHER_UPDATE);
    d->final1 = ZC_FN(OSSL_FUNC_cipher_final, OSSL_FUNC_CIPHER_FINAL);
    d->get = ZC_FN(OSSL_FUNC_cipher_get_ctx_params, OSSL_FUNC_CIPHER_GET_CTX_PARAMS);
    d->set = ZC_FN(OSSL_FUNC_cipher_set_ctx_params, OSSL_FUNC_CIPHER_SET_CTX_PARAMS);
    d->einit = ZC_FN(OSSL_FUNC_cipher_pipeline_encrypt_init, OSSL_FUNC_CIPHER_PIPELINE_ENCRYPT_INIT);
    d->dinit = ZC_FN(OSSL_FUNC_cipher_pipeline_decrypt_init, OSSL_FUNC_CIPHER_PIPELINE_DECRYPT_INIT);
    d->pupdate = ZC_FN(OSSL_FUNC_cipher_pipeline_update, OSSL_FUNC_CIPHER_PIPELINE_UPDATE);
    d->pfinal = ZC_FN(OSSL_FUNC_cipher_pipeline_final, OSSL_FUNC_CIPHER_PIPELINE_FINAL);
}

/* ------------------------------------------- the default's one packet */

/* One packet's IV and AAD, for the default provider. */
typedef struct zc_pkt {
    const unsigned char *iv, *aad;
    size_t ivlen, aadlen;
} zc_pkt;

static zc_pkt zc_pipe_pkt(size_t i)
{
    return (zc_pkt){ zc_m.iv[i], zc_m.aad[i], zc_m.ivlen, zc_m.aadlen[i] };
}

/*
 * One packet alone through the default provider (key: the model's).
 * Encrypt: out and the 16-byte tag. Decrypt with tag NULL: the plaintext
 * only (update, no final); with a tag: its verdict.
 */
static int zc_ref(const zc_run *r, int enc, zc_pkt k, const unsigned char *in, size_t len,
                  unsigned char *out, unsigned char *tag, size_t taglen)
{
    unsigned char fin[16];
    int n = 0, ok;

    if (!EVP_CipherInit_ex(zc_dref, r->dcipher, NULL, NULL, NULL, enc)
        || EVP_CIPHER_CTX_ctrl(zc_dref, EVP_CTRL_AEAD_SET_IVLEN, (int)k.ivlen, NULL) <= 0
        || !EVP_CipherInit_ex(zc_dref, NULL, NULL, zc_m.key, k.iv, enc)
        || (!enc && tag != NULL
            && EVP_CIPHER_CTX_ctrl(zc_dref, EVP_CTRL_AEAD_SET_TAG, (int)taglen, tag) <= 0)
        || (k.aadlen && !EVP_CipherUpdate(zc_dref, NULL, &n, k.aad, (int)k.aadlen))
        || (len && (!EVP_CipherUpdate(zc_dref, out, &n, in, (int)len) || n != (int)len)))
        zc_fuzz_fail("%s: the default provider refused a packet", r->what);
    if (!enc && tag == NULL)
        return 1;
    ok = EVP_CipherFinal_ex(zc_dref, fin, &n);
    if (enc && (!ok || EVP_CIPHER_CTX_ctrl(zc_dref, EVP_CTRL_AEAD_GET_TAG, 16, tag) <= 0))
        zc_fuzz_fail("%s: the default provider's encrypt final failed", r->what);
    return ok;
}

/* The right tag of pipe i's packet as it stands (data: the live set's). */
static void zc_ref_tag(const zc_run *r, size_t i, const unsigned char *pt, size_t len,
                       unsigned char *tag)
{
    static unsigned char ct[ZC_MAXLEN];

    zc_ref(r, 1, zc_pipe_pkt(i), pt, len, ct, tag, 16);
}

/* -------------------------------------------------------------- checks */

static void zc_expect(const zc_run *r, int ret, int want, int zc_refusal)
{
    const char *reason = zc_fuzz_last_reason();

    if (zc_fuzz_trace)
        fprintf(stderr, "  -> %d (contract: %s) %s\n", ret, want ? "success" : "refusal", reason);
    if ((ret > 0) != want)
        zc_fuzz_fail("%s: returned %d, the contract says %s (reason \"%s\")", r->what, ret,
                     want ? "success" : "refusal", reason);
    if (!want && zc_refusal && !zc_fuzz_reason_is(reason, ""))
        zc_fuzz_fail("%s: refused without a zcrypto error (\"%s\")", r->what, reason);
}

static const char *zc_err_data(void)
{
    const char *data = NULL;
    int flags = 0;

    if (ERR_peek_last_error_all(NULL, NULL, NULL, &data, &flags) == 0 || data == NULL)
        return "";
    return data;
}

/* Before a data update: the output as the caller left it. */
static void zc_fill(zc_set *s, size_t i)
{
    if (s->inplace)
        memcpy(s->out[i], s->data[i], s->len[i]);
    else
        memset(s->out[i], ZC_FILL, s->len[i]);
    memset(s->out[i] + s->len[i], ZC_FILL, ZC_SLACK);
}

static void zc_untouched(const zc_run *r, const zc_set *s, size_t cnt)
{
    for (size_t i = 0; i < cnt; i++) {
        const unsigned char *o = s->out[i];

        for (size_t j = 0; j < s->len[i] + ZC_SLACK; j++) {
            int want = j < s->len[i] && s->inplace ? s->data[i][j] : ZC_FILL;

            if (o[j] != want)
                zc_fuzz_fail("%s: refused, but pipe %zu's output byte %zu changed", r->what, i, j);
        }
    }
}

/* FNV-1a over the inputs of cnt pipes. */
static uint64_t zc_sum(const zc_set *s, size_t cnt)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);

    for (size_t i = 0; i < cnt; i++)
        for (size_t j = 0; j < s->len[i]; j++)
            h = (h ^ s->data[i][j]) * UINT64_C(0x100000001b3);
    return h;
}

/* A refused update leaves outl alone (EVP zeroes it itself first). */
static void zc_outl_untouched(const zc_run *r, const size_t *outl, size_t cnt)
{
    for (size_t i = 0; !zc_m.evp && outl != NULL && i < cnt; i++)
        if (outl[i] != 777)
            zc_fuzz_fail("%s: refused update wrote outl[%zu]", r->what, i);
}

/* Pipe i of the live set holds want (plaintext or ciphertext) or zeros. */
static void zc_live_is(const zc_run *r, size_t i, int zeros)
{
    const zc_set *s = &zc_sets[zc_live];

    for (size_t j = 0; j < s->len[i]; j++)
        if (s->out[i][j] != (zeros ? 0 : s->ref[i][j]))
            zc_fuzz_fail("%s: pipe %zu byte %zu of %zu: %02x, want %s %02x", r->what, i, j,
                         s->len[i], s->out[i][j], zeros ? "wiped" : "the default's",
                         zeros ? 0 : s->ref[i][j]);
    for (size_t j = 0; j < ZC_SLACK; j++)
        if (s->out[i][s->len[i] + j] != ZC_FILL)
            zc_fuzz_fail("%s: pipe %zu: byte %zu past its output written", r->what, i, j);
}

/* ------------------------------------------------------- the operations */

/* The pipe count a direct call passes: the armed one, or off by a little. */
static size_t zc_call_n(zc_fuzz_in *in, int off)
{
    size_t n = zc_m.n ? zc_m.n : 1;

    if (zc_m.evp)
        return zc_m.evp_n;
    if (!off)
        return n;
    switch (zc_fuzz_u8(in) % 4) {
    case 0: return n - 1;
    case 1: return n + 1;
    case 2: return ZC_PMAX + 1;
    default: return SIZE_MAX;
    }
}

static void zc_op_init(zc_run *r, zc_fuzz_in *in, uint8_t f)
{
    static const size_t big[] = { 65, 66, 100, 255, 4096, SIZE_MAX / 2, SIZE_MAX };
    zc_model *m = &zc_m;
    int enc = f & 1, with_key = f & 2, bad_keylen = f & 4, with_cipher = f & 8;
    int null_ivs = (f & 0x30) == 0x10, null_one = (f & 0x30) == 0x20;
    int chacha = m->alg == ZC_FUZZ_CHACHA;
    uint8_t v = zc_fuzz_u8(in), lv = zc_fuzz_u8(in), kv = zc_fuzz_u8(in);
    size_t np = v % 72 < 65 ? v % 72 : big[v % 72 - 65];
    size_t ivlen = !(f & 0x80) ? 12 : chacha ? lv % 14 : lv % 131;
    size_t keylen = (size_t)(m->alg == 0 ? 16 : m->alg == 1 ? 24 : 32);
    static unsigned char ivs_buf[ZC_ARR][128];
    const unsigned char *ivs[ZC_ARR];
    unsigned char key[64], base[12];
    int evp_level = 0, zfail, ret;

    if (bad_keylen) {
        size_t k = (keylen + 1 + kv % 40) % 48;

        keylen = k == keylen ? k + 1 : k;
    }
    if (f & 0x40)
        zc_fuzz_bytes(in, key, 32);
    else
        memset(key, kv, 32);
    memset(key + 32, 0, 32);
    zc_fuzz_bytes(in, base, sizeof(base));
    for (size_t i = 0; i < ZC_ARR; i++) {
        zc_rand_fill(ivs_buf[i], 128);
        memcpy(ivs_buf[i], base, sizeof(base));
        ivs_buf[i][0] ^= (unsigned char)i;
        ivs[i] = ivs_buf[i];
    }
    if (null_one && np > 0 && np <= ZC_ARR)
        ivs[zc_fuzz_u8(in) % np] = NULL;

    /* EVP first: over 32 pipes, no cipher, or a reset ctx. */
    if (m->evp) {
        if (np > ZC_EVPMAX) {
            evp_level = 1;
        } else {
            m->evp_n = np;
            if (!with_cipher && !m->has_cipher) {
                evp_level = 1;
            } else if (with_cipher && m->has_cipher) {
                /* A new algctx: no key, no pipeline; numpipes reads 0. */
                m->evp_n = m->n = 0;
                m->key_set = m->pipelined = 0, m->phase = ZC_OFF;
            }
            if (with_cipher)
                m->has_cipher = 1;
        }
    }
    zfail = np == 0 || np > ZC_PMAX || null_ivs || ivlen < (chacha ? 12u : 1u)
            || ivlen > (chacha ? 12u : 128u) || (null_one && np <= ZC_ARR)
            || (with_key && bad_keylen);
    ERR_clear_error();
    if (m->evp)
        ret = (enc ? EVP_CipherPipelineEncryptInit : EVP_CipherPipelineDecryptInit)(
            r->x, with_cipher ? r->cipher : NULL, with_key ? key : NULL, keylen, np,
            null_ivs ? NULL : ivs, ivlen);
    else
        ret = (enc ? r->d.einit : r->d.dinit)(r->pctx, with_key ? key : NULL, keylen, np,
                                                 null_ivs ? NULL : ivs, ivlen, NULL);
    zc_expect(r, ret, !evp_level && !zfail, !evp_level);
    if (evp_level)
        return;
    /* zcrypto: any pipeline init first drops the armed batch. */
    m->phase = ZC_OFF;
    if (zfail)
        return;
    if (with_key) {
        memcpy(m->key, key, 32);
        m->key_set = 1;
    }
    m->pipelined = 1, m->phase = ZC_READY, m->enc = enc, m->n = np, m->ivlen = ivlen;
    m->tags_set = m->tag_ready = 0, m->taglen = 0;
    for (size_t i = 0; i < np; i++) {
        memcpy(m->iv[i], ivs_buf[i], ivlen);
        m->aadlen[i] = m->len[i] = 0;
    }
}

/* The checks every update and final share (zc_pipe_check). */
static int zc_check_fails(size_t np, int null_outl)
{
    const zc_model *m = &zc_m;

    return m->phase == ZC_OFF || m->phase == ZC_DONE || np != m->n || null_outl || !m->key_set;
}

/* Per-pipe lengths: one for all, one byte each, random, or one pipe only. */
static void zc_lengths(zc_fuzz_in *in, uint8_t shape, size_t cnt, size_t *len, size_t max,
                       int data)
{
    size_t k = 0, base = data ? zc_fuzz_u16(in) : zc_fuzz_u8(in);

    if (shape == 3)
        k = zc_fuzz_u8(in) % (cnt ? cnt : 1);
    for (size_t i = 0; i < cnt; i++) {
        switch (shape) {
        case 0: len[i] = base % (data ? 2049 : 256); break;
        case 1: len[i] = zc_fuzz_u8(in) * (data ? 7u : 1u); break;
        case 2: len[i] = zc_rand64() % 8 == 0 ? (size_t)(zc_rand64() % (max + 1))
                                              : (size_t)(zc_rand64() % (data ? 1100 : 40));
                break;
        default: len[i] = i == k ? base % (max + 1) : 0; break;
        }
        if (len[i] > max)
            len[i] = max;
    }
}

static void zc_op_aad(zc_run *r, zc_fuzz_in *in, uint8_t f)
{
    zc_model *m = &zc_m;
    int null_outl = f & 1, null_in = f & 2, null_inl = f & 4, null_one = f & 8;
    size_t np = zc_call_n(in, f & 16), cnt = np < ZC_ARR ? np : m->n;
    static unsigned char chunk[ZC_ARR][256];
    const unsigned char *ins[ZC_ARR];
    size_t inl[ZC_ARR], outl[ZC_ARR], k = 0;
    int evp_level, zfail, ret;

    zc_lengths(in, (f >> 5) & 3, cnt, inl, 255, 0);
    for (size_t i = 0; i < cnt; i++) {
        if (m->aadlen[i] + inl[i] > ZC_MAXAAD)
            inl[i] = ZC_MAXAAD - m->aadlen[i];
        zc_rand_fill(chunk[i], inl[i]);
        ins[i] = chunk[i];
        outl[i] = 777;
    }
    if (null_one && cnt > 0)
        ins[k = zc_fuzz_u8(in) % cnt] = NULL;
    evp_level = m->evp && (!m->has_cipher || null_outl || null_inl);
    zfail = zc_check_fails(np, null_outl) || null_in || null_inl || m->phase != ZC_READY
            || (null_one && cnt > 0 && inl[k] > 0);
    ERR_clear_error();
    if (m->evp)
        ret = EVP_CipherPipelineUpdate(r->x, NULL, null_outl ? NULL : outl, NULL,
                                       null_in ? NULL : ins, null_inl ? NULL : inl);
    else
        ret = r->d.pupdate(r->pctx, np, NULL, null_outl ? NULL : outl, NULL,
                            null_in ? NULL : ins, null_inl ? NULL : inl);
    zc_expect(r, ret, !evp_level && !zfail, !evp_level);
    if (evp_level || zfail) {
        zc_outl_untouched(r, null_outl ? NULL : outl, cnt);
        return;
    }
    for (size_t i = 0; i < m->n; i++) {
        if (outl[i] != inl[i])
            zc_fuzz_fail("%s: AAD outl[%zu] %zu, want %zu", r->what, i, outl[i], inl[i]);
        memcpy(m->aad[i] + m->aadlen[i], chunk[i], inl[i]);
        m->aadlen[i] += inl[i];
    }
}

/* The default's outputs for a sealed batch, and the tags they carry. */
static void zc_seal_refs(const zc_run *r, zc_set *s)
{
    zc_model *m = &zc_m;
    static unsigned char again[ZC_MAXLEN];

    for (size_t i = 0; i < m->n; i++) {
        m->len[i] = s->len[i];
        if (m->enc) {
            zc_ref(r, 1, zc_pipe_pkt(i), s->data[i], s->len[i], s->ref[i], m->ref_tag[i], 16);
            continue;
        }
        zc_ref(r, 0, zc_pipe_pkt(i), s->data[i], s->len[i], s->ref[i], NULL, 0);
        /* The tag that opens it: the default's seal of that plaintext,
         * which must give the ciphertext back. */
        zc_ref(r, 1, zc_pipe_pkt(i), s->ref[i], s->len[i], again, m->ref_tag[i], 16);
        if (memcmp(again, s->data[i], s->len[i]) != 0)
            zc_fuzz_fail("%s: the default's seal of its own open differs (pipe %zu)", r->what, i);
    }
}

static void zc_op_data(zc_run *r, zc_fuzz_in *in, uint8_t f)
{
    zc_model *m = &zc_m;
    zc_set *s = &zc_sets[!zc_live];
    int null_outl = f & 2, null_outsize = (f & 0x0c) == 0x04, null_in = (f & 0x0c) == 0x08;
    int fault = (f & 0x0c) == 0x0c, fkind = 0;
    size_t np = zc_call_n(in, f & 16), cnt = np < ZC_ARR ? np : m->n, total = 0, k = 0;
    const unsigned char *ins[ZC_ARR];
    unsigned char *outs[ZC_ARR];
    size_t outl[ZC_ARR], outsize[ZC_ARR];
    uint64_t sum;
    int evp_level, zfail, ret;

    s->inplace = f & 1;
    zc_lengths(in, (f >> 5) & 3, cnt, s->len, ZC_MAXLEN, 1);
    for (size_t i = cnt; i < ZC_ARR; i++)
        s->len[i] = 0;
    for (size_t i = 0; i < cnt; i++) {
        if (total + s->len[i] > ZC_TOTAL)
            s->len[i] = ZC_TOTAL - total;
        total += s->len[i];
        zc_rand_fill(s->data[i], s->len[i]);
        zc_fill(s, i);
        outs[i] = s->out[i];
        ins[i] = s->inplace ? s->out[i] : s->data[i];
        outsize[i] = s->len[i] + (f & 0x80 ? ZC_SLACK : 0);
        outl[i] = 777;
    }
    if (fault && cnt > 0) {
        fkind = zc_fuzz_u8(in);
        k = zc_fuzz_u8(in) % cnt;
        if (fkind % 3 == 0)
            ins[k] = NULL;
        else if (fkind % 3 == 1)
            outs[k] = NULL;
        else if (s->len[k] > 0)
            outsize[k] = (size_t)(fkind / 3) % s->len[k];
    }
    sum = zc_sum(s, cnt);
    evp_level = m->evp && (!m->has_cipher || null_outl);
    /* NULL buffers of an empty pipe are never read: allowed. */
    zfail = zc_check_fails(np, null_outl) || null_in || m->phase != ZC_READY || null_outsize
            || (fault && cnt > 0 && s->len[k] > 0);
    ERR_clear_error();
    if (m->evp)
        ret = EVP_CipherPipelineUpdate(r->x, outs, null_outl ? NULL : outl,
                                       null_outsize ? NULL : outsize, null_in ? NULL : ins,
                                       s->len);
    else
        ret = r->d.pupdate(r->pctx, np, outs, null_outl ? NULL : outl,
                            null_outsize ? NULL : outsize, null_in ? NULL : ins, s->len);
    zc_expect(r, ret, !evp_level && !zfail, !evp_level);
    if (!s->inplace && zc_sum(s, cnt) != sum)
        zc_fuzz_fail("%s: the data update wrote to its (const) input", r->what);
    if (evp_level || zfail) {
        zc_untouched(r, s, cnt);
        zc_outl_untouched(r, null_outl ? NULL : outl, cnt);
        return;
    }
    zc_seal_refs(r, s);
    zc_live ^= 1;
    for (size_t i = 0; i < m->n; i++) {
        if (outl[i] != s->len[i])
            zc_fuzz_fail("%s: outl[%zu] %zu, want %zu", r->what, i, outl[i], s->len[i]);
        zc_live_is(r, i, 0);
    }
    m->phase = ZC_SEALED;
}

/*
 * Sets or reads the tags param, an array of tag pointers of size sz; kind
 * (the flags' low bits) 1: a NULL array, 2: one NULL entry (the input's
 * pipe), 3: the wrong param type. *bad: refused whatever the state.
 */
static int zc_tag_call(zc_run *r, zc_fuzz_in *in, int kind, size_t sz, int get, int *bad)
{
    unsigned char *ptrs[ZC_ARR];
    void *arr = kind == 1 ? NULL : (void *)ptrs;
    OSSL_PARAM p[2] = { OSSL_PARAM_END, OSSL_PARAM_END };

    for (size_t i = 0; i < ZC_ARR; i++)
        ptrs[i] = zc_tagbuf[i];
    if (kind == 2 && zc_m.n > 0)
        ptrs[zc_fuzz_u8(in) % zc_m.n] = NULL;
    p[0] = kind == 3
               ? OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_PIPELINE_AEAD_TAG, zc_tagbuf, sz)
               : OSSL_PARAM_construct_octet_ptr(OSSL_CIPHER_PARAM_PIPELINE_AEAD_TAG, &arr, sz);
    *bad = kind == 1 || kind == 3 || (kind == 2 && zc_m.n > 0) || sz == 0 || sz > 16;
    ERR_clear_error();
    if (zc_m.evp)
        return get ? EVP_CIPHER_CTX_get_params(r->x, p) : EVP_CIPHER_CTX_set_params(r->x, p);
    return get ? r->d.get(r->pctx, p) : r->d.set(r->pctx, p);
}

static void zc_op_set_tags(zc_run *r, zc_fuzz_in *in, uint8_t f)
{
    zc_model *m = &zc_m;
    size_t taglen = f & 4 ? 16 : zc_fuzz_u8(in) % 19;
    int evp_level = m->evp && !m->has_cipher, bad, zfail, ret;

    if (f & 8) {
        /* The right tags for the packets as they stand. */
        for (size_t i = 0; i < m->n; i++) {
            if (m->phase == ZC_READY)
                zc_ref_tag(r, i, NULL, 0, m->ref_tag[i]);
            memcpy(zc_tagbuf[i], m->ref_tag[i], 16);
        }
    } else {
        /* Fuzzed: pipe 0's from the input, the rest random. */
        zc_fuzz_bytes(in, zc_tagbuf[0], 16);
        for (size_t i = 1; i < ZC_ARR; i++)
            zc_rand_fill(zc_tagbuf[i], 16);
    }
    /* Corrupted: bits flipped in the bytes the tag length covers. */
    for (int c = 0; c < ((f >> 4) & 3) && m->n > 0; c++) {
        size_t at = zc_fuzz_u8(in), span = taglen == 0 || taglen > 16 ? 16 : taglen;

        zc_tagbuf[at % m->n][(at >> 3) % span] ^= (unsigned char)(1 << (c + at % 6));
    }
    ret = zc_tag_call(r, in, f & 3, taglen, 0, &bad);
    zfail = bad || m->phase == ZC_OFF || m->enc || m->phase == ZC_DONE;
    zc_expect(r, ret, !evp_level && !zfail, !evp_level);
    if (evp_level || zfail)
        return;
    for (size_t i = 0; i < m->n; i++)
        memcpy(m->want[i], zc_tagbuf[i], taglen);
    m->taglen = taglen;
    m->tags_set = 1;
}

static void zc_op_get_tags(zc_run *r, zc_fuzz_in *in, uint8_t f)
{
    zc_model *m = &zc_m;
    size_t sz = f & 4 ? 16 : zc_fuzz_u8(in) % 19;
    int evp_level = m->evp && !m->has_cipher, bad, zfail, ret;

    memset(zc_tagbuf, ZC_FILL, sizeof(zc_tagbuf));
    ret = zc_tag_call(r, in, f & 3, sz, 1, &bad);
    zfail = bad || m->phase != ZC_DONE || !m->enc || !m->tag_ready;
    zc_expect(r, ret, !evp_level && !zfail, !evp_level);
    for (size_t i = 0; i < ZC_ARR; i++)
        for (size_t j = 0; j < 16; j++) {
            int ok = !evp_level && !zfail && i < m->n && j < sz;

            if (zc_tagbuf[i][j] != (ok ? m->ref_tag[i][j] : ZC_FILL))
                zc_fuzz_fail("%s: tag %zu byte %zu: %02x, want %s", r->what, i, j,
                             zc_tagbuf[i][j], ok ? "the default's" : "untouched");
        }
}

static void zc_op_final(zc_run *r, zc_fuzz_in *in, uint8_t f)
{
    zc_model *m = &zc_m;
    zc_set *s = &zc_sets[zc_live];
    int null_outl = f & 1, evp_level = m->evp && (!m->has_cipher || null_outl), ret;
    size_t np = zc_call_n(in, f & 2), outl[ZC_ARR], outsize[ZC_ARR], bad = 0, first = 0;
    unsigned char *outs[ZC_ARR];
    int verdict[ZC_ARR];
    char want[96];

    for (size_t i = 0; i < ZC_ARR; i++)
        verdict[i] = 1;

    for (size_t i = 0; i < ZC_ARR; i++)
        outs[i] = s->out[i], outsize[i] = s->len[i], outl[i] = 777;
    if (evp_level || zc_check_fails(np, null_outl)) {
        ERR_clear_error();
        ret = m->evp ? EVP_CipherPipelineFinal(r->x, outs, null_outl ? NULL : outl, outsize)
                     : r->d.pfinal(r->pctx, np, outs, null_outl ? NULL : outl, outsize);
        zc_expect(r, ret, 0, !evp_level);
        for (size_t i = 0; m->phase == ZC_SEALED && i < m->n; i++)
            zc_live_is(r, i, 0);
        return;
    }
    /* No data update: every pipe is an empty packet. */
    if (m->phase == ZC_READY) {
        for (size_t i = 0; i < ZC_ARR; i++)
            s->len[i] = 0;
        for (size_t i = 0; i < m->n; i++) {
            m->len[i] = 0;
            if (m->enc)
                zc_ref_tag(r, i, NULL, 0, m->ref_tag[i]);
        }
    }
    for (size_t i = 0; !m->enc && m->tags_set && i < m->n; i++) {
        verdict[i] = zc_ref(r, 0, zc_pipe_pkt(i), s->data[i], m->len[i], s->ref[i], m->want[i],
                            m->taglen);
        if (!verdict[i] && bad++ == 0)
            first = i;
    }
    ERR_clear_error();
    ret = m->evp ? EVP_CipherPipelineFinal(r->x, outs, outl, outsize)
                 : r->d.pfinal(r->pctx, np, outs, outl, outsize);
    if (!m->enc && !m->tags_set) {
        /* Nothing unauthenticated survives a final that cannot verify. */
        zc_expect(r, ret, 0, 1);
        if (!zc_fuzz_reason_is(zc_fuzz_last_reason(), "tag not set"))
            zc_fuzz_fail("%s: final without tags: \"%s\"", r->what, zc_fuzz_last_reason());
        for (size_t i = 0; m->phase == ZC_SEALED && i < m->n; i++)
            zc_live_is(r, i, 1);
    } else {
        zc_expect(r, ret, bad == 0, 1);
        if (bad) {
            snprintf(want, sizeof(want), "pipe %zu of %zu failed (%zu failing pipe", first, m->n, bad);
            if (!zc_fuzz_reason_is(zc_fuzz_last_reason(), "tag mismatch")
                || strstr(zc_err_data(), want) == NULL)
                zc_fuzz_fail("%s: tag failure reported as \"%s\" / \"%s\", want \"%s\"", r->what,
                             zc_fuzz_last_reason(), zc_err_data(), want);
        }
        for (size_t i = 0; m->phase == ZC_SEALED && i < m->n; i++)
            zc_live_is(r, i, !m->enc && !verdict[i]);
        m->tag_ready = m->enc;
    }
    for (size_t i = 0; i < m->n; i++)
        if (outl[i] != 0)
            zc_fuzz_fail("%s: final outl[%zu] = %zu", r->what, i, outl[i]);
    m->phase = ZC_DONE;
}

/*
 * The one-message API on a pipelined ctx: an update is refused and writes
 * nothing. Flags bit 0: first an init with an IV (and the key held), after
 * which one 16-byte message must equal the default's and the pipeline is
 * off (zcrypto(7)).
 */
static void zc_op_one_msg(zc_run *r, zc_fuzz_in *in, uint8_t f)
{
    static const unsigned char pt[16] = "one message";
    unsigned char out[16 + ZC_SLACK], iv[12], tag[16], ref[16], rtag[16];
    OSSL_PARAM p[2] = { OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, 16),
                        OSSL_PARAM_END };
    size_t outl = 0;
    int n = 0, ret;

    memset(out, ZC_FILL, sizeof(out));
    ERR_clear_error();
    if (!(f & 1)) {
        if (!zc_m.pipelined)
            return;
        ret = zc_m.evp ? EVP_CipherUpdate(r->x, out, &n, pt, 16)
                       : r->d.update(r->pctx, out, &outl, sizeof(out), pt, 16);
        /* Through EVP the refusal may be EVP's own (direction check). */
        zc_expect(r, ret, 0, !zc_m.evp);
        for (size_t j = 0; j < sizeof(out); j++)
            if (out[j] != ZC_FILL)
                zc_fuzz_fail("%s: refused one-message update wrote byte %zu", r->what, j);
        return;
    }
    if (!zc_m.key_set || (zc_m.evp && !zc_m.has_cipher))
        return;
    zc_fuzz_bytes(in, iv, sizeof(iv));
    if (zc_m.evp)
        ret = EVP_CipherInit_ex(r->x, NULL, NULL, NULL, iv, 1) && EVP_CipherUpdate(r->x, out, &n, pt, 16)
              && n == 16 && EVP_CipherFinal_ex(r->x, out + 16, &n) && n == 0
              && EVP_CIPHER_CTX_ctrl(r->x, EVP_CTRL_AEAD_GET_TAG, 16, tag) > 0;
    else
        ret = r->d.einit1(r->pctx, NULL, 0, iv, 12, NULL)
              && r->d.update(r->pctx, out, &outl, 16, pt, 16) && outl == 16
              && r->d.final1(r->pctx, out + 16, &outl, ZC_SLACK) && outl == 0
              && r->d.get(r->pctx, p);
    zc_expect(r, ret, 1, 1);
    zc_ref(r, 1, (zc_pkt){ iv, NULL, 12, 0 }, pt, 16, ref, rtag, 16);
    zc_fuzz_same_bytes(r->what, out, ref, 16);
    zc_fuzz_same_bytes(r->what, tag, rtag, 16);
    for (size_t j = 16; j < sizeof(out); j++)
        if (out[j] != ZC_FILL)
            zc_fuzz_fail("%s: one-message final wrote byte %zu", r->what, j);
    zc_m.phase = ZC_OFF;
    zc_m.pipelined = 0;
}

/* Carry on with a copy of the context (the original freed). */
static void zc_op_copy(zc_run *r)
{
    if (zc_m.evp) {
        EVP_CIPHER_CTX *dup = EVP_CIPHER_CTX_new();

        if (dup == NULL)
            abort();
        ERR_clear_error();
        zc_expect(r, EVP_CIPHER_CTX_copy(dup, r->x), zc_m.has_cipher, 0);
        if (!zc_m.has_cipher) {
            EVP_CIPHER_CTX_free(dup);
            return;
        }
        EVP_CIPHER_CTX_free(r->x);
        r->x = dup;
    } else {
        void *dup = r->d.dupctx(r->pctx);

        if (dup == NULL)
            zc_fuzz_fail("%s: dupctx failed", r->what);
        r->d.freectx(r->pctx);
        r->pctx = dup;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    zc_fuzz_in in = { data, size };
    zc_fuzz_side *z = zc_fuzz_pick(&in), *d = zc_fuzz_default();
    uint8_t mode;
    zc_run r = { 0 };

    memset(&zc_m, 0, sizeof(zc_m));
    zc_m.alg = zc_fuzz_u8(&in) % ZC_FUZZ_NALGS;
    mode = zc_fuzz_u8(&in);
    zc_m.evp = mode & 1;
    zc_prng = mode;
    r.cipher = z->cipher[zc_m.alg];
    r.dcipher = d->cipher[zc_m.alg];
    zc_disp_get(&r.d, z, zc_m.alg);
    if (zc_dref == NULL && (zc_dref = EVP_CIPHER_CTX_new()) == NULL)
        abort();
    if (zc_m.evp ? (r.x = EVP_CIPHER_CTX_new()) == NULL
                 : (r.pctx = r.d.newctx(r.d.provctx)) == NULL)
        abort();
    for (int step = 0; step < ZC_MAX_OPS && in.n > 0; step++) {
        int op = zc_fuzz_u8(&in) % ZC_OP_N;
        uint8_t f = zc_fuzz_u8(&in);

        snprintf(r.what, sizeof(r.what), "%s %s %s step %d op %d flags %#x (pipes %zu, phase %d)",
                 z->name, zc_fuzz_alg_names[zc_m.alg], zc_m.evp ? "EVP" : "direct", step, op, f,
                 zc_m.n, zc_m.phase);
        if (zc_fuzz_trace)
            fprintf(stderr, "%s\n", r.what);
        switch (op) {
        case ZC_OP_INIT:     zc_op_init(&r, &in, f); break;
        case ZC_OP_AAD:      zc_op_aad(&r, &in, f); break;
        case ZC_OP_DATA:     zc_op_data(&r, &in, f); break;
        case ZC_OP_SET_TAGS: zc_op_set_tags(&r, &in, f); break;
        case ZC_OP_GET_TAGS: zc_op_get_tags(&r, &in, f); break;
        case ZC_OP_FINAL:    zc_op_final(&r, &in, f); break;
        case ZC_OP_ONE_MSG:  zc_op_one_msg(&r, &in, f); break;
        default:             zc_op_copy(&r); break;
        }
    }
    if (zc_m.evp)
        EVP_CIPHER_CTX_free(r.x);
    else
        r.d.freectx(r.pctx);
    ERR_clear_error();
    return 0;
}
