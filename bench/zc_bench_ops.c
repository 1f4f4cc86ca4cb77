/*
 * The EVP operations zc_bench times, and the check that zcrypto's output
 * equals the default provider's before any of it is timed: a fast wrong
 * answer is not a result.
 */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include "zc_bench.h"

const char *zb_prov_name(zb_prov prov)
{
    return prov == ZB_ZCRYPTO ? "zcrypto" : "default";
}

const char *zb_mode_name(zb_mode mode)
{
    return mode == ZB_ONESHOT ? "oneshot" : "stream";
}

/* ------------------------------------------------------------ operations */

int zb_oneshot(const zb_cell *c, zb_side *s)
{
    const unsigned char *in = c->record ? s->out : c->in;
    const unsigned char *tag = c->record && s->flipped ? c->tag_alt : c->tag;
    int outl, finl;

    if (!EVP_CipherInit_ex(s->ctx, NULL, NULL, c->rekey ? c->key : NULL, c->iv, c->enc))
        return 0;
    /* libssl's TLS 1.3 decrypt hands over the tag before the header. */
    if (c->record && !c->enc
        && EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_SET_TAG, ZB_TAG_LEN, (void *)tag) <= 0)
        return 0;
    if (!EVP_CipherUpdate(s->ctx, NULL, &outl, c->aad, (int)c->aad_len)
        || !EVP_CipherUpdate(s->ctx, s->out, &outl, in, (int)c->size))
        return 0;
    s->update_bytes += c->size;
    if (!c->record && !c->enc
        && EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_SET_TAG, ZB_TAG_LEN, (void *)tag) <= 0)
        return 0;
    if (!EVP_CipherFinal_ex(s->ctx, s->out + outl, &finl))
        return 0;
    if (c->enc && EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_GET_TAG, ZB_TAG_LEN,
                                      s->tag) <= 0)
        return 0;
    s->flipped ^= c->record;
    s->finals++;
    return 1;
}

void zb_side_reset(const zb_cell *c, zb_side *s)
{
    memcpy(s->out, c->in, c->size);
    s->flipped = 0;
}

int zb_stream_begin(const zb_cell *c, zb_side *s)
{
    int outl;

    return EVP_CipherInit_ex(s->ctx, NULL, NULL, c->key, c->iv, c->enc)
           && EVP_CipherUpdate(s->ctx, NULL, &outl, c->aad, (int)c->aad_len);
}

int zb_stream_update(const zb_cell *c, zb_side *s)
{
    int outl;

    if (!EVP_CipherUpdate(s->ctx, s->out, &outl, c->in, (int)c->size))
        return 0;
    s->update_bytes += c->size;
    return 1;
}

int zb_stream_end(const zb_cell *c, zb_side *s)
{
    int finl;

    if (!c->enc && EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_SET_TAG, ZB_TAG_LEN,
                                       (void *)c->stream_tag) <= 0)
        return 0;
    if (!EVP_CipherFinal_ex(s->ctx, s->out, &finl))
        return 0;
    if (c->enc && EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_GET_TAG, ZB_TAG_LEN,
                                      s->tag) <= 0)
        return 0;
    s->finals++;
    return 1;
}

/* ------------------------------------------------------------ inputs */

/*
 * Encrypts the cell's plaintext with the default provider: decrypt input.
 * Records decrypt in place, so every other op sees the plaintext as its
 * ciphertext: encrypting the ciphertext must give the plaintext back, and
 * its tag is the one those ops need.
 */
static int zb_cell_seal(zb_cell *c)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    unsigned char *back = c->record ? OPENSSL_malloc(c->size) : NULL;
    int outl, finl, ok = 0;

    if (ctx == NULL || (c->record && back == NULL)
        || !EVP_EncryptInit_ex(ctx, c->side[ZB_DEFAULT].cipher, NULL, c->key, c->iv)
        || !EVP_EncryptUpdate(ctx, NULL, &outl, c->aad, (int)c->aad_len)
        || !EVP_EncryptUpdate(ctx, c->in, &outl, c->plain, (int)c->size)
        || !EVP_EncryptFinal_ex(ctx, c->in + outl, &finl)
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, ZB_TAG_LEN, c->tag) <= 0)
        goto err;
    if (c->record
        && (!EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, c->iv)
            || !EVP_EncryptUpdate(ctx, NULL, &outl, c->aad, (int)c->aad_len)
            || !EVP_EncryptUpdate(ctx, back, &outl, c->in, (int)c->size)
            || !EVP_EncryptFinal_ex(ctx, back + outl, &finl)
            || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, ZB_TAG_LEN, c->tag_alt) <= 0
            || memcmp(back, c->plain, c->size) != 0))
        goto err;
    ok = 1;
err:
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_free(back);
    return ok;
}

/*
 * A decrypting stream feeds the same ciphertext block `updates` times, so
 * its tag is known to no one in advance. The plaintext that encrypts to that
 * stream is ciphertext XOR keystream, and the keystream is what encrypting
 * zeros gives (AAD does not touch it, in GCM or ChaCha20-Poly1305): encrypt
 * that plaintext with the default provider and take its tag. Getting the
 * ciphertext back at every step proves the derivation.
 */
static int zb_stream_tag_derive(zb_cell *c, size_t updates)
{
    const EVP_CIPHER *cipher = c->side[ZB_DEFAULT].cipher;
    EVP_CIPHER_CTX *ks = EVP_CIPHER_CTX_new(), *re = EVP_CIPHER_CTX_new();
    unsigned char *zero = OPENSSL_zalloc(c->size);
    unsigned char *buf = OPENSSL_malloc(c->size), *ct = OPENSSL_malloc(c->size);
    int outl, ok = 0;

    if (ks == NULL || re == NULL || zero == NULL || buf == NULL || ct == NULL
        || !EVP_EncryptInit_ex(ks, cipher, NULL, c->key, c->iv)
        || !EVP_EncryptInit_ex(re, cipher, NULL, c->key, c->iv)
        || !EVP_EncryptUpdate(re, NULL, &outl, c->aad, (int)c->aad_len))
        goto err;
    for (size_t i = 0; i < updates; i++) {
        if (!EVP_EncryptUpdate(ks, buf, &outl, zero, (int)c->size))
            goto err;
        for (size_t j = 0; j < c->size; j++)
            buf[j] ^= c->in[j];
        if (!EVP_EncryptUpdate(re, ct, &outl, buf, (int)c->size)
            || memcmp(ct, c->in, c->size) != 0)
            goto err;
    }
    if (!EVP_EncryptFinal_ex(re, ct, &outl)
        || EVP_CIPHER_CTX_ctrl(re, EVP_CTRL_AEAD_GET_TAG, ZB_TAG_LEN, c->stream_tag) <= 0)
        goto err;
    ok = 1;
err:
    EVP_CIPHER_CTX_free(ks);
    EVP_CIPHER_CTX_free(re);
    OPENSSL_free(zero);
    OPENSSL_free(buf);
    OPENSSL_free(ct);
    return ok;
}

int zb_cell_set_stream_updates(zb_cell *c, size_t updates)
{
    c->stream_updates = updates;
    return c->enc || zb_stream_tag_derive(c, updates);
}

int zb_cell_setup(zb_cell *c)
{
    c->keylen = (size_t)EVP_CIPHER_get_key_length(c->side[ZB_DEFAULT].cipher);
    if (c->keylen == 0 || c->keylen > sizeof(c->key))
        return 0;
    if ((c->plain = OPENSSL_malloc(c->size)) == NULL
        || (c->in = OPENSSL_malloc(c->size)) == NULL)
        return 0;
    if (c->aad_len == 0)
        c->aad_len = ZB_AAD_LEN;
    if (RAND_bytes(c->key, (int)c->keylen) <= 0 || RAND_bytes(c->iv, ZB_IV_LEN) <= 0
        || RAND_bytes(c->aad, (int)c->aad_len) <= 0 || RAND_bytes(c->plain, (int)c->size) <= 0)
        return 0;
    if (c->enc)
        memcpy(c->in, c->plain, c->size);
    else if (!zb_cell_seal(c))
        return 0;
    for (int p = 0; p < ZB_PROV_COUNT; p++) {
        zb_side *s = &c->side[p];

        s->prov = (zb_prov)p;
        if ((s->out = OPENSSL_malloc(c->size + ZB_TAG_LEN)) == NULL
            || (s->ctx = EVP_CIPHER_CTX_new()) == NULL
            || !EVP_CipherInit_ex(s->ctx, s->cipher, NULL, c->key, c->iv, c->enc))
            return 0;
        if (c->record)
            zb_side_reset(c, s);
    }
    return 1;
}

void zb_cell_cleanup(zb_cell *c)
{
    for (int p = 0; p < ZB_PROV_COUNT; p++) {
        EVP_CIPHER_CTX_free(c->side[p].ctx);
        OPENSSL_free(c->side[p].out);
        c->side[p].ctx = NULL;
        c->side[p].out = NULL;
    }
    OPENSSL_free(c->plain);
    OPENSSL_free(c->in);
    c->plain = c->in = NULL;
    OPENSSL_cleanse(c->key, sizeof(c->key));
}

/* ------------------------------------------------------------ verification */

static int zb_fail(const zb_cell *c, const char *what)
{
    fprintf(stderr, "zc_bench: %s %s %s %zu B: %s\n", c->alg, zb_mode_name(c->mode),
            c->enc ? "enc" : "dec", c->size, what);
    ERR_print_errors_fp(stderr);
    return 0;
}

/* Both providers must refuse a message whose tag has one bit flipped. */
static int zb_verify_bad_tag(zb_cell *c)
{
    unsigned char good = c->tag[0];
    int refused = 1;

    c->tag[0] ^= 1;
    for (int p = 0; p < ZB_PROV_COUNT; p++) {
        zb_side probe;

        if (c->record)  /* so the probe reads the ciphertext c->tag belongs to */
            zb_side_reset(c, &c->side[p]);
        probe = c->side[p];     /* a refused op is no final... */

        if (zb_oneshot(c, &probe))
            refused = 0;
        c->side[p].update_bytes = probe.update_bytes; /* ...but its data went through */
        if (c->record)  /* a refused op left its buffer in no known state */
            zb_side_reset(c, &c->side[p]);
    }
    c->tag[0] = good;
    ERR_clear_error();
    return refused;
}

/* Records in place: the second op reads the first one's output (tag_alt). */
static int zb_verify_oneshot(zb_cell *c)
{
    zb_side *z = &c->side[ZB_ZCRYPTO], *d = &c->side[ZB_DEFAULT];

    for (int i = 0; i < (c->record ? 2 : 1); i++) {
        const unsigned char *want = i == 0 ? c->plain : c->in;

        if (!zb_oneshot(c, d))
            return zb_fail(c, "default provider failed");
        if (!zb_oneshot(c, z))
            return zb_fail(c, "zcrypto failed");
        if (memcmp(z->out, d->out, c->size) != 0)
            return zb_fail(c, "zcrypto output differs from default");
        if (c->enc && memcmp(z->tag, d->tag, ZB_TAG_LEN) != 0)
            return zb_fail(c, "zcrypto tag differs from default");
        if (!c->enc && memcmp(z->out, want, c->size) != 0)
            return zb_fail(c, "decryption does not give the plaintext back");
    }
    if (!c->enc && !zb_verify_bad_tag(c))
        return zb_fail(c, "a flipped tag was accepted");
    return 1;
}

#define ZB_VERIFY_UPDATES 3

static int zb_verify_stream(zb_cell *c)
{
    zb_side *z = &c->side[ZB_ZCRYPTO], *d = &c->side[ZB_DEFAULT];

    if (!zb_cell_set_stream_updates(c, ZB_VERIFY_UPDATES))
        return zb_fail(c, "cannot derive the stream tag");
    if (!zb_stream_begin(c, d) || !zb_stream_begin(c, z))
        return zb_fail(c, "stream init failed");
    for (int i = 0; i < ZB_VERIFY_UPDATES; i++) {
        if (!zb_stream_update(c, d) || !zb_stream_update(c, z))
            return zb_fail(c, "stream update failed");
        if (memcmp(z->out, d->out, c->size) != 0)
            return zb_fail(c, "zcrypto stream output differs from default");
        if (i == 0 && !c->enc && memcmp(z->out, c->plain, c->size) != 0)
            return zb_fail(c, "decryption does not give the plaintext back");
    }
    if (!zb_stream_end(c, d))
        return zb_fail(c, "default provider stream final failed");
    if (!zb_stream_end(c, z))
        return zb_fail(c, "zcrypto stream final failed");
    if (c->enc && memcmp(z->tag, d->tag, ZB_TAG_LEN) != 0)
        return zb_fail(c, "zcrypto stream tag differs from default");
    return 1;
}

int zb_cell_verify(zb_cell *c)
{
    return c->mode == ZB_ONESHOT ? zb_verify_oneshot(c) : zb_verify_stream(c);
}
