/*
 * TLS record fuzzer: libssl's record flows, TLS 1.2 (GCM: key, 4-byte fixed
 * IV, per record 13-byte AAD and one in-place update over [explicit nonce |
 * data | tag]; ChaCha20-Poly1305: key and IV, per record AAD, RFC 7905
 * nonces) and TLS 1.3 (IV per record, 5-byte AAD, tag), with fuzzed keys,
 * sequence numbers, record types, lengths, AAD length fields and payloads.
 * Each record is sealed by zcrypto and by the default provider (same
 * outputs and return values required; RAND is the same stream for both, so
 * GCM's explicit nonces match), then the default's record, tampered or not
 * as the input says (a flipped bit, a wrong AAD length, a cut record), is
 * opened by both: same verdict, same output, and a failed open leaves the
 * same (wiped) buffer. Contexts persist across records as in libssl.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include "zc_fuzz.h"

#define ZC_MAX_REC 2048
#define ZC_REC_BUF (ZC_MAX_REC + 64)

typedef struct zc_dir {
    EVP_CIPHER_CTX *enc, *dec;
} zc_dir;

static int zc_tls12_setup(EVP_CIPHER_CTX *x, EVP_CIPHER *c, int gcm, int enc,
                          const unsigned char *key, const unsigned char *iv)
{
    if (!EVP_CipherInit_ex(x, c, NULL, key, gcm ? NULL : iv, enc))
        return 0;
    return !gcm || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IV_FIXED, 4, (void *)iv) > 0;
}

static int zc_tls13_setup(EVP_CIPHER_CTX *x, EVP_CIPHER *c, int enc, const unsigned char *key)
{
    return EVP_CipherInit_ex(x, c, NULL, NULL, NULL, enc)
           && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) > 0
           && EVP_CipherInit_ex(x, NULL, NULL, key, NULL, enc);
}

/* One TLS 1.2 record in place: returns EVP_Cipher's result. */
static int zc_tls12_record(EVP_CIPHER_CTX *x, unsigned char *aad, unsigned char *buf, size_t total)
{
    if (EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_TLS1_AAD, 13, aad) <= 0)
        return -2;
    return EVP_Cipher(x, buf, buf, (unsigned int)total);
}

/* One TLS 1.3 record: *outl the data written (tag after it on encrypt). */
static int zc_tls13_record(EVP_CIPHER_CTX *x, int enc, const unsigned char *nonce,
                           const unsigned char *hdr, unsigned char *buf, size_t len, int *outl)
{
    int n = 0, m = 0;

    *outl = -1;
    if (!EVP_CipherInit_ex(x, NULL, NULL, NULL, nonce, enc))
        return 0;
    if (!enc && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, buf + len) <= 0)
        return 0;
    if (!EVP_CipherUpdate(x, NULL, &n, hdr, 5) || !EVP_CipherUpdate(x, buf, &n, buf, (int)len)
        || !EVP_CipherFinal_ex(x, buf + n, &m))
        return 0;
    *outl = n + m;
    return !enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, buf + len) > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    zc_fuzz_in in = { data, size };
    zc_fuzz_side *z = zc_fuzz_pick(&in), *d = zc_fuzz_default();
    int alg = zc_fuzz_u8(&in) % ZC_FUZZ_NALGS, gcm = alg != ZC_FUZZ_CHACHA;
    int tls13 = zc_fuzz_u8(&in) & 1;
    unsigned char key[32], iv[12];
    static unsigned char rec[3][ZC_REC_BUF];   /* zcrypto, default, default's sealed copy */
    zc_dir s[2] = { { EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_new() },
                    { EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_new() } };
    EVP_CIPHER *c[2] = { z->cipher[alg], d->cipher[alg] };
    int ok[2][2];
    char what[128];

    zc_fuzz_bytes(&in, key, sizeof(key));
    zc_fuzz_bytes(&in, iv, sizeof(iv));
    for (int i = 0; i < 2; i++) {
        if (s[i].enc == NULL || s[i].dec == NULL)
            abort();
        zc_fuzz_rand_reset(1);
        for (int e = 0; e < 2; e++)
            ok[i][e] = tls13 ? zc_tls13_setup(e ? s[i].enc : s[i].dec, c[i], e, key)
                             : zc_tls12_setup(e ? s[i].enc : s[i].dec, c[i], gcm, e, key, iv);
    }
    snprintf(what, sizeof(what), "%s %s TLS 1.%d setup", z->name, zc_fuzz_alg_names[alg],
             tls13 ? 3 : 2);
    ZC_FUZZ_SAME(what, ok[0][0], ok[1][0]);
    ZC_FUZZ_SAME(what, ok[0][1], ok[1][1]);
    for (int r = 0; ok[0][0] && ok[0][1] && r < 8 && in.n > 0; r++) {
        uint8_t mode = zc_fuzz_u8(&in), type = zc_fuzz_u8(&in);
        size_t len = zc_fuzz_u16(&in) % ZC_MAX_REC, pre = (!tls13 && gcm) ? 8 : 0;
        size_t total = pre + len + 16, pos = zc_fuzz_u16(&in);
        unsigned char seq[8], aad[2][13], hdr[5] = { 0x17, 3, 3 }, nonce[12];
        int ret[2], outl[2] = { 0, 0 };

        zc_fuzz_bytes(&in, seq, sizeof(seq));
        memset(rec[0], 0, sizeof(rec[0]));
        zc_fuzz_bytes(&in, rec[0] + pre, len < 256 ? len : 256);
        for (size_t j = 256; j < len; j++)
            rec[0][pre + j] = (unsigned char)(j ^ r);
        memcpy(rec[1], rec[0], sizeof(rec[0]));
        hdr[3] = (unsigned char)((len + 16) >> 8);
        hdr[4] = (unsigned char)(len + 16);
        memcpy(nonce, iv, 12);
        for (int j = 0; j < 8; j++)
            nonce[4 + j] ^= seq[j];
        /* Seal on both; the AAD's length field is the payload's, or fuzzed. */
        for (int i = 0; i < 2; i++) {
            memcpy(aad[i], seq, 8);
            aad[i][8] = type;
            aad[i][9] = 3;
            aad[i][10] = 3;
            aad[i][11] = (mode & 1) ? (uint8_t)(pos >> 8) : (uint8_t)((pre + len) >> 8);
            aad[i][12] = (mode & 1) ? (uint8_t)pos : (uint8_t)(pre + len);
            ERR_clear_error();
            zc_fuzz_rand_reset((uint64_t)r + 2);
            ret[i] = tls13 ? zc_tls13_record(s[i].enc, 1, nonce, hdr, rec[i], len, &outl[i])
                           : zc_tls12_record(s[i].enc, aad[i], rec[i], total);
        }
        snprintf(what, sizeof(what), "%s %s TLS 1.%d record %d seal (len %zu mode %#x)", z->name,
                 zc_fuzz_alg_names[alg], tls13 ? 3 : 2, r, len, mode);
        ZC_FUZZ_SAME(what, ret[0] > 0, ret[1] > 0);
        if (ret[1] > 0 || tls13) {
            ZC_FUZZ_SAME(what, ret[0], ret[1]);
            ZC_FUZZ_SAME(what, outl[0], outl[1]);
            zc_fuzz_same_bytes(what, rec[0], rec[1], ret[1] > 0 ? total : 0);
        }
        if (ret[1] <= 0)
            continue;
        /* Open the default's record on both, damaged as the input says. */
        memcpy(rec[2], rec[1], sizeof(rec[1]));
        if (mode & 2)
            rec[2][pos % total] ^= (unsigned char)(1u << (mode >> 5));
        if ((mode & 4) && total > 1)
            total -= 1 + pos % (total - 1 < 40 ? total - 1 : 40);
        for (int i = 0; i < 2; i++) {
            memcpy(rec[i], rec[2], sizeof(rec[2]));
            memcpy(aad[i], seq, 8);
            aad[i][8] = type;
            aad[i][9] = 3;
            aad[i][10] = 3;
            aad[i][11] = (mode & 8) ? (uint8_t)(pos >> 3) : (uint8_t)(total >> 8);
            aad[i][12] = (mode & 8) ? (uint8_t)(pos >> 11) : (uint8_t)total;
            ERR_clear_error();
            ret[i] = tls13 ? zc_tls13_record(s[i].dec, 0, nonce, hdr, rec[i],
                                             total >= 16 ? total - 16 : 0, &outl[i])
                           : zc_tls12_record(s[i].dec, aad[i], rec[i], total);
        }
        snprintf(what, sizeof(what), "%s %s TLS 1.%d record %d open (len %zu mode %#x)", z->name,
                 zc_fuzz_alg_names[alg], tls13 ? 3 : 2, r, total, mode);
        ZC_FUZZ_SAME(what, ret[0], ret[1]);
        ZC_FUZZ_SAME(what, outl[0], outl[1]);
        zc_fuzz_same_bytes(what, rec[0], rec[1], ZC_REC_BUF);
    }
    for (int i = 0; i < 2; i++) {
        EVP_CIPHER_CTX_free(s[i].enc);
        EVP_CIPHER_CTX_free(s[i].dec);
    }
    ERR_clear_error();
    return 0;
}
