/*
 * EVP call-sequence fuzzer: the input is decoded into a sequence of EVP
 * operations (init with or without cipher, key, IV and direction; IV
 * length; set/get tag; AAD and data updates of fuzzed lengths, in place or
 * not; final; context copy; set/get params including the TLS ones; the
 * GCM IV-generation ctrls) run on zcrypto and on the default provider side
 * by side. Any difference in a return value, an output length, an output
 * byte, a tag or a param aborts. The one exception is zcrypto's documented
 * refusals (README "Behaviour", zcrypto(7)): ChaCha20-Poly1305 without a
 * key or a nonce, input after final, AAD after data, decrypt final without a tag,
 * reading the tag before encrypt final. There zcrypto must fail with
 * exactly that reason while the default succeeds, and the sequence ends
 * (the two contexts no longer hold the same state). Also a GCM TLS fixed
 * IV longer than the IV (see zc_long_fixed_iv).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include "zc_fuzz.h"

#define ZC_MAX_OPS  48
#define ZC_MAX_DATA (70 * 1024)
#define ZC_SLACK    48  /* past the output: must stay untouched on both */

enum { ZC_OP_INIT, ZC_OP_IVLEN, ZC_OP_SET_TAG, ZC_OP_GET_TAG, ZC_OP_AAD, ZC_OP_DATA,
       ZC_OP_FINAL, ZC_OP_COPY, ZC_OP_SET_PARAM, ZC_OP_GET_PARAM, ZC_OP_CTRL, ZC_OP_N };

/* What one side returned for an operation. */
typedef struct zc_res {
    int ret, outl;
    size_t n;                   /* bytes of buf to compare */
    unsigned char buf[ZC_MAX_DATA + ZC_SLACK];
} zc_res;

static zc_res zc_r[2];
static unsigned char zc_in[ZC_MAX_DATA];

/* Decoded arguments of one operation, the same for both sides. */
typedef struct zc_args {
    int op;
    uint8_t flags;
    int ival;
    size_t len;
    unsigned char key[32], iv[128], small[64];
} zc_args;

typedef struct zc_seq {
    EVP_CIPHER_CTX *ctx[2];     /* 0: zcrypto, 1: default */
    EVP_CIPHER *cipher[2];
    int chacha;
    int has_cipher;
    int in_msg;                 /* AAD or data given since the last IV/final */
    int tls_aad_set;            /* the default's tag buffer now holds TLS AAD */
    int enc;                    /* direction of the last init (-1: none yet) */
    int tag_state;              /* a tag or tag length is held */
} zc_seq;

static int zc_key_is_octet(const char *k);
static const char *zc_param_key(int set, int ival);

/*
 * GCM's TLS fixed IV or invocation field longer than the IV itself: the
 * default provider's fixed-IV check computes ivlen - len in unsigned
 * arithmetic and takes 13..128 bytes on decrypt; its invocation-field
 * setter has no length check at all and copies to iv + ivlen - len, before
 * the IV. zcrypto refuses both.
 */
static int zc_long_fixed_iv(const zc_seq *s, const zc_args *a, const char *r)
{
    size_t len;

    if (s->chacha || !zc_fuzz_reason_is(r, "invalid IV length"))
        return 0;
    if (a->op == ZC_OP_CTRL && (a->flags % 4 == 0 || a->flags % 4 == 2))
        len = (size_t)a->ival;
    else if (a->op == ZC_OP_SET_PARAM
             && (strcmp(zc_param_key(1, a->ival), OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED) == 0
                 || strcmp(zc_param_key(1, a->ival), OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV) == 0))
        len = a->len;
    else
        return 0;
    return len > (size_t)EVP_CIPHER_CTX_get_iv_length(s->ctx[1]);
}

static int zc_long_inv(const zc_seq *s, const zc_args *a)
{
    size_t ivlen = (size_t)EVP_CIPHER_CTX_get_iv_length(s->ctx[1]);

    if (s->chacha)
        return 0;
    /* A TLS record opened with an IV shorter than its 8-byte explicit
     * nonce: the default sets that nonce the same unchecked way. An empty
     * update never reaches a record (both return 1 with nothing written). */
    if (a->op == ZC_OP_DATA && a->len > 0 && s->tls_aad_set && s->enc == 0 && ivlen < 8)
        return 1;
    if (a->op == ZC_OP_CTRL && a->flags % 4 == 2)
        return a->ival > 0 && (size_t)a->ival > ivlen;
    return a->op == ZC_OP_SET_PARAM && a->len > ivlen
           && strcmp(zc_param_key(1, a->ival), OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV) == 0;
}

/* The documented refusals that may end a sequence, by operation. */
static int zc_refusal_allowed(const zc_seq *s, const zc_args *a, const char *r)
{
    if (zc_r[0].ret > 0 || zc_r[1].ret <= 0)
        return 0;
    if (zc_long_fixed_iv(s, a, r) || zc_long_inv(s, a))
        return 1;
    /* A GCM key length other than the algorithm's: 3.0's default returns 1
     * and keeps its own; zcrypto says no. */
    if (!s->chacha && a->op == ZC_OP_SET_PARAM && zc_fuzz_reason_is(r, "invalid key length")
        && strcmp(zc_param_key(1, a->ival), OSSL_CIPHER_PARAM_KEYLEN) == 0)
        return 1;
    /* Both families: a tag left from a message in the other direction
     * (init switched to decrypt and back) is not handed out. */
    if ((a->op == ZC_OP_GET_TAG || a->op == ZC_OP_GET_PARAM)
        && zc_fuzz_reason_is(r, "tag not available"))
        return 1;
    /* After TLS AAD the next input is one whole in-place record; the
     * default would also take streaming AAD, data or a final. */
    if ((a->op == ZC_OP_AAD || a->op == ZC_OP_DATA || a->op == ZC_OP_FINAL)
        && zc_fuzz_reason_is(r, "invalid TLS record"))
        return 1;
    /* Both: a final spends the IV even when it fails (the default lets
     * input continue after a failed GCM final). */
    if ((a->op == ZC_OP_AAD || a->op == ZC_OP_DATA || a->op == ZC_OP_FINAL)
        && zc_fuzz_reason_is(r, "message already finished"))
        return 1;
    if (!s->chacha)
        return 0;
    /* Without a key or a nonce the default would work with zeros. */
    if (a->op != ZC_OP_INIT
        && (zc_fuzz_reason_is(r, "key not set") || zc_fuzz_reason_is(r, "IV not set")))
        return 1;
    switch (a->op) {
    case ZC_OP_AAD:
        return zc_fuzz_reason_is(r, "message already finished") || zc_fuzz_reason_is(r, "AAD given after data");
    case ZC_OP_DATA:
        return zc_fuzz_reason_is(r, "message already finished");
    case ZC_OP_FINAL:
        return zc_fuzz_reason_is(r, "tag not set before decrypt final")
               || zc_fuzz_reason_is(r, "message already finished");
    case ZC_OP_GET_TAG:
    case ZC_OP_GET_PARAM:
        return zc_fuzz_reason_is(r, "tag not available");
    default:
        return 0;
    }
}


static void zc_op_init(zc_seq *s, int i, const zc_args *a)
{
    const EVP_CIPHER *c = (a->flags & 2) || !s->has_cipher ? s->cipher[i] : NULL;
    int enc = (a->flags & 16) ? -1 : (a->flags & 1);

    zc_r[i].ret = EVP_CipherInit_ex(s->ctx[i], c, NULL, (a->flags & 4) ? a->key : NULL,
                                    (a->flags & 8) ? a->iv : NULL, enc);
}

static void zc_op_data(zc_seq *s, int i, const zc_args *a)
{
    zc_res *r = &zc_r[i];
    int aad = a->op == ZC_OP_AAD, in_place = a->flags & 1;

    memset(r->buf, 0xa5, a->len + ZC_SLACK);
    if (in_place && !aad)
        memcpy(r->buf, zc_in, a->len);
    r->outl = -1;
    r->ret = EVP_CipherUpdate(s->ctx[i], aad ? NULL : r->buf, &r->outl,
                              in_place && !aad ? r->buf : zc_in, (int)a->len);
    r->n = aad ? 0 : a->len + ZC_SLACK;
}

static void zc_op_final(zc_seq *s, int i)
{
    zc_res *r = &zc_r[i];

    memset(r->buf, 0xa5, ZC_SLACK);
    r->outl = -1;
    r->ret = EVP_CipherFinal_ex(s->ctx[i], r->buf, &r->outl);
    r->n = ZC_SLACK;
}

static void zc_op_tag(zc_seq *s, int i, const zc_args *a)
{
    zc_res *r = &zc_r[i];

    if (a->op == ZC_OP_SET_TAG) {
        r->ret = EVP_CIPHER_CTX_ctrl(s->ctx[i], EVP_CTRL_AEAD_SET_TAG, a->ival,
                                     (a->flags & 1) ? NULL : (void *)a->small);
        return;
    }
    memset(r->buf, 0xa5, sizeof(a->small));
    r->ret = EVP_CIPHER_CTX_ctrl(s->ctx[i], EVP_CTRL_AEAD_GET_TAG, a->ival, r->buf);
    r->n = r->ret > 0 ? sizeof(a->small) : 0;
}

static void zc_op_copy(zc_seq *s, int i, const zc_args *a)
{
    EVP_CIPHER_CTX *dup = EVP_CIPHER_CTX_new();

    if (dup == NULL)
        abort();
    zc_r[i].ret = EVP_CIPHER_CTX_copy(dup, s->ctx[i]);
    /* Carry on with the copy (the original freed) or with the original. */
    if (zc_r[i].ret && (a->flags & 1)) {
        EVP_CIPHER_CTX_free(s->ctx[i]);
        s->ctx[i] = dup;
    } else {
        EVP_CIPHER_CTX_free(dup);
    }
}

static const char *const zc_set_keys[] = {
    OSSL_CIPHER_PARAM_AEAD_TLS1_AAD, OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED,
    OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV, OSSL_CIPHER_PARAM_AEAD_TAG,
    OSSL_CIPHER_PARAM_KEYLEN, OSSL_CIPHER_PARAM_AEAD_IVLEN, OSSL_CIPHER_PARAM_AEAD_TAGLEN,
    OSSL_CIPHER_PARAM_PADDING, OSSL_CIPHER_PARAM_TLS_VERSION,
};
static const char *const zc_get_keys[] = {
    OSSL_CIPHER_PARAM_KEYLEN, OSSL_CIPHER_PARAM_IVLEN, OSSL_CIPHER_PARAM_AEAD_TAGLEN,
    OSSL_CIPHER_PARAM_IV, OSSL_CIPHER_PARAM_UPDATED_IV, OSSL_CIPHER_PARAM_AEAD_TAG,
    OSSL_CIPHER_PARAM_AEAD_TLS1_AAD_PAD, OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN,
};
#define ZC_NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static const char *zc_param_key(int set, int ival)
{
    return set ? zc_set_keys[ival % ZC_NKEYS(zc_set_keys)] : zc_get_keys[ival % ZC_NKEYS(zc_get_keys)];
}

/* Octet keys take len fuzzed bytes; the rest a size_t (or an int). */
static int zc_key_is_octet(const char *k)
{
    return strcmp(k, OSSL_CIPHER_PARAM_AEAD_TLS1_AAD) == 0
           || strcmp(k, OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED) == 0
           || strcmp(k, OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV) == 0
           || strcmp(k, OSSL_CIPHER_PARAM_AEAD_TAG) == 0
           || strcmp(k, OSSL_CIPHER_PARAM_IV) == 0
           || strcmp(k, OSSL_CIPHER_PARAM_UPDATED_IV) == 0
           || strcmp(k, OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN) == 0;
}

static void zc_op_param(zc_seq *s, int i, const zc_args *a)
{
    zc_res *r = &zc_r[i];
    int set = a->op == ZC_OP_SET_PARAM;
    const char *k = zc_param_key(set, a->ival);
    size_t sz = (size_t)a->small[0] | (size_t)a->small[1] << 8;
    unsigned int u = a->small[0];
    OSSL_PARAM p[2] = { OSSL_PARAM_END, OSSL_PARAM_END };

    memset(r->buf, 0xa5, sizeof(a->small));
    if (zc_key_is_octet(k))
        p[0] = OSSL_PARAM_construct_octet_string(k, set ? (void *)a->small : r->buf, a->len);
    else if (a->flags & 1)
        p[0] = OSSL_PARAM_construct_uint(k, set ? &u : (unsigned int *)r->buf);
    else if (set)
        p[0] = OSSL_PARAM_construct_size_t(k, &sz);
    else
        p[0] = OSSL_PARAM_construct_size_t(k, (size_t *)r->buf);
    if (set) {
        r->ret = EVP_CIPHER_CTX_set_params(s->ctx[i], p);
        return;
    }
    r->ret = EVP_CIPHER_CTX_get_params(s->ctx[i], p);
    r->outl = r->ret ? (int)p[0].return_size : 0;
    r->n = r->ret ? sizeof(a->small) : 0;
}

/* The ctrls that reach GCM's IV generator (set-fixed takes -1: whole IV). */
static void zc_op_ctrl(zc_seq *s, int i, const zc_args *a)
{
    static const int ctrls[] = { EVP_CTRL_GCM_SET_IV_FIXED, EVP_CTRL_GCM_IV_GEN,
                                 EVP_CTRL_GCM_SET_IV_INV, EVP_CTRL_AEAD_TLS1_AAD };
    int c = ctrls[a->flags % 4];
    zc_res *r = &zc_r[i];

    /* Set-fixed with -1 reads a whole IV (up to 128 bytes both sides take)
     * from the buffer: past the fuzzed bytes it must hold the same on both
     * sides, not what each side's earlier calls left there. */
    memset(r->buf, 0, sizeof(a->iv));
    memcpy(r->buf, a->small, sizeof(a->small));
    r->ret = EVP_CIPHER_CTX_ctrl(s->ctx[i], c, a->ival, r->buf);
    r->n = sizeof(a->small);
}

static void zc_decode(zc_fuzz_in *in, zc_args *a)
{
    a->op = zc_fuzz_u8(in) % ZC_OP_N;
    a->flags = zc_fuzz_u8(in);
    switch (a->op) {
    case ZC_OP_INIT:
        if (a->flags & 4)
            zc_fuzz_bytes(in, a->key, sizeof(a->key));
        if (a->flags & 8)
            zc_fuzz_bytes(in, a->iv, sizeof(a->iv));
        break;
    case ZC_OP_IVLEN:
        a->ival = (int)zc_fuzz_u8(in) - 2;
        break;
    case ZC_OP_SET_TAG:
    case ZC_OP_GET_TAG:
        a->ival = (int)(zc_fuzz_u8(in) % 20) - 1;
        if (a->op == ZC_OP_SET_TAG)
            zc_fuzz_bytes(in, a->small, 16);
        break;
    case ZC_OP_AAD:
    case ZC_OP_DATA:
        a->len = zc_fuzz_u16(in) % 1100;
        /* Now and then a long one: the backends' wide paths and pass caps. */
        if (a->flags & 0x80)
            a->len = (a->len * 61) % ZC_MAX_DATA;
        zc_fuzz_bytes(in, zc_in, a->len < 256 ? a->len : 256);
        for (size_t j = 256; j < a->len; j++)
            zc_in[j] = (unsigned char)(j * 7 + a->flags);
        break;
    case ZC_OP_SET_PARAM:
    case ZC_OP_GET_PARAM:
    case ZC_OP_CTRL:
        a->ival = zc_fuzz_u8(in);
        a->len = zc_fuzz_u8(in) % (sizeof(a->small) + 1);
        /* -1 means "the whole IV" to set-fixed; below that the default
         * provider itself memcpy()s a negative length (OpenSSL's bug). */
        if (a->op == ZC_OP_CTRL)
            a->ival = (int)(a->ival % 40) - 1;
        zc_fuzz_bytes(in, a->small, sizeof(a->small));
        break;
    default:
        break;
    }
}

static void zc_run(zc_seq *s, int i, const zc_args *a)
{
    memset(&zc_r[i], 0, offsetof(zc_res, buf));
    switch (a->op) {
    case ZC_OP_INIT:      zc_op_init(s, i, a); break;
    case ZC_OP_IVLEN:
        zc_r[i].ret = EVP_CIPHER_CTX_ctrl(s->ctx[i], EVP_CTRL_AEAD_SET_IVLEN, a->ival, NULL);
        break;
    case ZC_OP_SET_TAG:
    case ZC_OP_GET_TAG:   zc_op_tag(s, i, a); break;
    case ZC_OP_AAD:
    case ZC_OP_DATA:      zc_op_data(s, i, a); break;
    case ZC_OP_FINAL:     zc_op_final(s, i); break;
    case ZC_OP_COPY:      zc_op_copy(s, i, a); break;
    case ZC_OP_SET_PARAM:
    case ZC_OP_GET_PARAM: zc_op_param(s, i, a); break;
    case ZC_OP_CTRL:      zc_op_ctrl(s, i, a); break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    zc_fuzz_in in = { data, size };
    zc_fuzz_side *z = zc_fuzz_pick(&in), *d = zc_fuzz_default();
    int alg = zc_fuzz_u8(&in) % ZC_FUZZ_NALGS;
    zc_seq s = { .chacha = alg == ZC_FUZZ_CHACHA, .enc = -1 };
    static zc_args a;
    char what[96];
    const char *zreason = "";

    s.cipher[0] = z->cipher[alg];
    s.cipher[1] = d->cipher[alg];
    if ((s.ctx[0] = EVP_CIPHER_CTX_new()) == NULL || (s.ctx[1] = EVP_CIPHER_CTX_new()) == NULL)
        abort();
    for (int step = 0; step < ZC_MAX_OPS && in.n > 0; step++) {
        memset(&a, 0, sizeof(a));
        zc_decode(&in, &a);
        for (int i = 0; i < 2; i++) {
            ERR_clear_error();
            zc_fuzz_rand_reset((uint64_t)step);
            /* An invocation field longer than the IV: the default copies
             * it before its IV, over its own context; it is not sent there
             * (it would accept), zcrypto must refuse it. */
            if (i == 1 && zc_long_inv(&s, &a)) {
                memset(&zc_r[1], 0, offsetof(zc_res, buf));
                zc_r[1].ret = 1;
                break;
            }
            zc_run(&s, i, &a);
            if (i == 0)
                zreason = zc_fuzz_last_reason();
        }
        snprintf(what, sizeof(what), "%s %s step %d op %d flags %#x ival %d len %zu",
                 z->name, zc_fuzz_alg_names[alg], step, a.op, a.flags, a.ival, a.len);
        if (zc_fuzz_trace)
            fprintf(stderr, "%s: zcrypto %d outl %d, default %d outl %d %s\n", what,
                    zc_r[0].ret, zc_r[0].outl, zc_r[1].ret, zc_r[1].outl, zreason);
        if ((zc_r[0].ret > 0) != (zc_r[1].ret > 0)) {
            if (zc_refusal_allowed(&s, &a, zreason))
                break;
            /* Documented: zcrypto takes GCM IVs longer than the default's
             * 128 bytes (valid GCM; Wycheproof has 257-byte cases). */
            if (zc_r[0].ret > 0 && EVP_CIPHER_CTX_get_iv_length(s.ctx[0]) > 128)
                break;
            zc_fuzz_fail("%s: return: zcrypto %d, default %d (zcrypto reason \"%s\")", what,
                         zc_r[0].ret, zc_r[1].ret, zreason);
        }
        /* The default provider stores some settings before it checks them
         * (a tag over an encrypt context's computed tag, a malformed TLS AAD
         * still marks the next update as a record): after a refused setting
         * the two states differ, so the sequence ends there. */
        if ((a.op == ZC_OP_SET_TAG || a.op == ZC_OP_SET_PARAM || a.op == ZC_OP_CTRL)
            && zc_r[0].ret <= 0)
            break;
        /* A new key in the middle of a message, with no new IV: each
         * provider carries on with a half-old state; neither is meaningful. */
        if (a.op == ZC_OP_INIT && zc_r[0].ret > 0 && (a.flags & 4) && !(a.flags & 8) && s.in_msg)
            break;
        /* A failed final has started the message in the default (its IV
         * is in the GCM state) just as input has. */
        /* So have IV generation and the invocation field (by ctrl or by
         * param): the default loads the IV into its GCM state there; a new
         * key drops it. */
        if ((zc_r[0].ret > 0 && (a.op == ZC_OP_AAD || a.op == ZC_OP_DATA) && a.len > 0)
            || (a.op == ZC_OP_FINAL && zc_r[0].ret <= 0)
            || (zc_r[0].ret > 0 && a.op == ZC_OP_CTRL && (a.flags % 4 == 1 || a.flags % 4 == 2))
            || (zc_r[0].ret > 0 && a.op == ZC_OP_SET_PARAM
                && strcmp(zc_param_key(1, a.ival), OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV) == 0)
            || (zc_r[0].ret > 0 && a.op == ZC_OP_GET_PARAM
                && strcmp(zc_param_key(0, a.ival), OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN) == 0))
            s.in_msg = 1;
        if (zc_r[0].ret > 0 && (a.op == ZC_OP_FINAL || (a.op == ZC_OP_INIT && (a.flags & 8))))
            s.in_msg = 0;
        /* zcrypto drops a tag (and its length) held from the other
         * direction, the default keeps it (documented): from a switch with
         * one held, the two report different tags. TLS AAD set in one
         * direction and a record run in the other is as meaningless. */
        /* Open finding (not changed this late): an init with an IV while a
         * TLS record is armed disarms it in zcrypto (a new message, taken
         * as streaming), the default keeps the record armed. */
        if (a.op == ZC_OP_INIT && zc_r[0].ret > 0 && (a.flags & 8) && s.tls_aad_set)
            break;
        /* So does a new key while a record is armed (the default's
         * ChaCha20-Poly1305 then takes the next update as streaming input)
         * and a fixed IV set in the middle of a message (zcrypto starts a
         * message with it; the default swaps the nonce under a half-done
         * one): neither state is meaningful to compare. */
        if (a.op == ZC_OP_INIT && zc_r[0].ret > 0 && (a.flags & 4) && s.tls_aad_set)
            break;
        if (a.op == ZC_OP_CTRL && zc_r[0].ret > 0 && a.flags % 4 == 0 && s.in_msg)
            break;
        if (a.op == ZC_OP_INIT && zc_r[0].ret > 0 && !(a.flags & 16)) {
            if (s.enc != -1 && s.enc != (a.flags & 1) && (s.tag_state || s.tls_aad_set))
                break;
            s.enc = a.flags & 1;
        }
        if ((a.op == ZC_OP_SET_TAG || a.op == ZC_OP_FINAL) && zc_r[0].ret > 0)
            s.tag_state = 1;
        if (a.op == ZC_OP_INIT && zc_r[0].ret > 0 && ((a.flags & 2) || !s.has_cipher))
            s.has_cipher = 1;
        /* A failed call's outputs are unspecified here (a streaming update
         * verifies nothing; what a failed TLS open leaves, wiped, is
         * fuzz_tls's check). */
        if (zc_r[0].ret <= 0)
            continue;
        /* The default keeps TLS AAD in its tag buffer: once AAD is set
         * the tag it reports is those bytes; nothing to compare. */
        if ((a.op == ZC_OP_CTRL && a.flags % 4 == 3)
            || (a.op == ZC_OP_SET_PARAM
                && strcmp(zc_param_key(1, a.ival), OSSL_CIPHER_PARAM_AEAD_TLS1_AAD) == 0))
            s.tls_aad_set = 1;
        if (s.tls_aad_set && (a.op == ZC_OP_GET_TAG || (a.op == ZC_OP_GET_PARAM
                && strcmp(zc_param_key(0, a.ival), OSSL_CIPHER_PARAM_AEAD_TAG) == 0)))
            continue;
        /* The default's ChaCha20-Poly1305 copies a tag param without
         * setting its return_size. */
        if (!(a.op == ZC_OP_GET_PARAM && zc_r[1].outl == (int)OSSL_PARAM_UNMODIFIED))
            ZC_FUZZ_SAME(what, zc_r[0].outl, zc_r[1].outl);
        ZC_FUZZ_SAME(what, zc_r[0].n, zc_r[1].n);
        zc_fuzz_same_bytes(what, zc_r[0].buf, zc_r[1].buf, zc_r[0].n);
    }
    EVP_CIPHER_CTX_free(s.ctx[0]);
    EVP_CIPHER_CTX_free(s.ctx[1]);
    ERR_clear_error();
    return 0;
}
