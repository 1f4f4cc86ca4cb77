#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include "zc_quic_pp.h"

static const char *const zc_quic_err_names[ZC_QUIC_ERR_COUNT] = {
    [ZC_QUIC_OK] = "ok",
    [ZC_QUIC_ERR_MALFORMED] = "malformed",
    [ZC_QUIC_ERR_TRUNCATED] = "truncated",
    [ZC_QUIC_ERR_AUTH] = "authentication",
    [ZC_QUIC_ERR_PN] = "packet-number",
    [ZC_QUIC_ERR_INTERNAL] = "internal",
};

const char *zc_quic_err_name(zc_quic_err e)
{
    return (unsigned)e < ZC_QUIC_ERR_COUNT ? zc_quic_err_names[e] : "?";
}

/* ------------------------------------------------------------ keys */

int zc_quic_keys_init(zc_quic_keys *k, OSSL_LIB_CTX *libctx, const char *aead,
                      const unsigned char *key, size_t keylen,
                      const unsigned char *iv, size_t ivlen,
                      const unsigned char *hp, size_t hplen)
{
    const char *aead_name, *hp_name;
    size_t want;
    EVP_CIPHER *c = NULL, *h = NULL;
    int ok = 0;

    memset(k, 0, sizeof(*k));
    if (strcmp(aead, "aes-128-gcm") == 0) {
        aead_name = "AES-128-GCM", hp_name = "AES-128-ECB", want = 16;
    } else if (strcmp(aead, "aes-256-gcm") == 0) {
        aead_name = "AES-256-GCM", hp_name = "AES-256-ECB", want = 32;
    } else if (strcmp(aead, "chacha20-poly1305") == 0) {
        aead_name = "ChaCha20-Poly1305", hp_name = "ChaCha20", want = 32;
        k->hp_chacha = 1;
    } else {
        return 0;
    }
    if (keylen != want || hplen != want || ivlen != sizeof(k->iv))
        return 0;
    /* The AEAD prefers zcrypto; header protection may come from default. */
    if ((c = EVP_CIPHER_fetch(libctx, aead_name, "?provider=zcrypto")) == NULL
        || (h = EVP_CIPHER_fetch(libctx, hp_name, NULL)) == NULL)
        goto err;
    k->aead_provider = OSSL_PROVIDER_get0_name(EVP_CIPHER_get0_provider(c));
    if ((k->aead = EVP_CIPHER_CTX_new()) == NULL || (k->hp = EVP_CIPHER_CTX_new()) == NULL)
        goto err;
    /* Keyed once: each packet then only changes the nonce. */
    if (!EVP_CipherInit_ex(k->aead, c, NULL, key, NULL, 1))
        goto err;
    if (k->hp_chacha) {
        memcpy(k->hp_key, hp, hplen);
        if (!EVP_EncryptInit_ex(k->hp, h, NULL, NULL, NULL))
            goto err;
    } else if (!EVP_EncryptInit_ex(k->hp, h, NULL, hp, NULL)
               || !EVP_CIPHER_CTX_set_padding(k->hp, 0)) {
        goto err;
    }
    memcpy(k->iv, iv, ivlen);
    ok = 1;
err:
    EVP_CIPHER_free(c);
    EVP_CIPHER_free(h);
    if (!ok)
        zc_quic_keys_clear(k);
    return ok;
}

void zc_quic_keys_clear(zc_quic_keys *k)
{
    EVP_CIPHER_CTX_free(k->aead);
    EVP_CIPHER_CTX_free(k->hp);
    OPENSSL_cleanse(k, sizeof(*k));
}

/* RFC 9001 5.4.3/5.4.4: five mask bytes from a 16-byte sample. */
static int zc_quic_hp_mask(zc_quic_keys *k, const unsigned char *sample,
                           unsigned char mask[5])
{
    unsigned char block[16];
    static const unsigned char zero[5];
    int n;

    if (k->hp_chacha) {
        /* OpenSSL's ChaCha20 IV is counter (LE) || nonce: the sample as is. */
        if (!EVP_EncryptInit_ex(k->hp, NULL, NULL, k->hp_key, sample)
            || !EVP_EncryptUpdate(k->hp, mask, &n, zero, 5))
            return 0;
        return 1;
    }
    if (!EVP_EncryptUpdate(k->hp, block, &n, sample, 16) || n != 16)
        return 0;
    memcpy(mask, block, 5);
    return 1;
}

static void zc_quic_nonce(const zc_quic_keys *k, uint64_t pn, unsigned char nonce[12])
{
    memcpy(nonce, k->iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (unsigned char)(pn >> (8 * i));
}

/* ------------------------------------------------------------ headers */

static size_t zc_quic_varint_size(unsigned char first)
{
    return (size_t)1 << (first >> 6);
}

typedef struct zc_quic_hdr {
    int is_long;
    size_t pn_off;
    size_t len_off, len_size;  /* long headers: the Length field */
    uint64_t length;
} zc_quic_hdr;

static zc_quic_err zc_quic_hdr_parse(const unsigned char *p, size_t len, size_t dcid_len,
                                     zc_quic_hdr *h)
{
    size_t o;

    memset(h, 0, sizeof(*h));
    if (len < 1)
        return ZC_QUIC_ERR_TRUNCATED;
    if ((p[0] & 0x40) == 0)
        return ZC_QUIC_ERR_MALFORMED;  /* fixed bit */
    if ((p[0] & 0x80) == 0) {
        h->pn_off = 1 + dcid_len;
        return h->pn_off < len ? ZC_QUIC_OK : ZC_QUIC_ERR_TRUNCATED;
    }
    h->is_long = 1;
    if (len < 7)
        return ZC_QUIC_ERR_TRUNCATED;
    if ((p[1] | p[2] | p[3] | p[4]) == 0 || ((p[0] >> 4) & 3) == 3)
        return ZC_QUIC_ERR_MALFORMED;  /* version negotiation / Retry: not protected */
    o = 5;
    for (int cid = 0; cid < 2; cid++) {
        if (o >= len)
            return ZC_QUIC_ERR_TRUNCATED;
        if (p[o] > 20)
            return ZC_QUIC_ERR_MALFORMED;
        o += 1 + p[o];
    }
    if (((p[0] >> 4) & 3) == 0) {      /* Initial: token */
        uint64_t tl = 0;
        size_t n;

        if (o >= len)
            return ZC_QUIC_ERR_TRUNCATED;
        n = zc_quic_varint_size(p[o]);
        if (o + n > len)
            return ZC_QUIC_ERR_TRUNCATED;
        for (size_t i = 0; i < n; i++)
            tl = tl << 8 | (i == 0 ? (p[o] & 0x3f) : p[o + i]);
        if (tl > len)
            return ZC_QUIC_ERR_TRUNCATED;
        o += n + (size_t)tl;
    }
    if (o >= len)
        return ZC_QUIC_ERR_TRUNCATED;
    h->len_off = o;
    h->len_size = zc_quic_varint_size(p[o]);
    if (o + h->len_size > len)
        return ZC_QUIC_ERR_TRUNCATED;
    for (size_t i = 0; i < h->len_size; i++)
        h->length = h->length << 8 | (i == 0 ? (p[o] & 0x3f) : p[o + i]);
    h->pn_off = o + h->len_size;
    return h->pn_off < len ? ZC_QUIC_OK : ZC_QUIC_ERR_TRUNCATED;
}

uint64_t zc_quic_pn_decode(int64_t largest_pn, uint64_t truncated, unsigned pn_bits)
{
    uint64_t expected = (uint64_t)(largest_pn + 1);
    uint64_t win = (uint64_t)1 << pn_bits, hwin = win / 2, mask = win - 1;
    uint64_t candidate = (expected & ~mask) | truncated;

    if (candidate + hwin <= expected && candidate < (UINT64_C(1) << 62) - win)
        return candidate + win;
    if (candidate > expected + hwin && candidate >= win)
        return candidate - win;
    return candidate;
}

/* ------------------------------------------------------------ protect */

zc_quic_err zc_quic_protect(zc_quic_keys *k, uint64_t pn,
                            const unsigned char *hdr, size_t hdrlen,
                            const unsigned char *payload, size_t plen,
                            unsigned char *out, size_t outcap, size_t *outlen)
{
    unsigned char nonce[12], mask[5];
    size_t pn_len, total = hdrlen + plen + ZC_QUIC_TAG_LEN;
    zc_quic_hdr h;
    zc_quic_err e;
    int n;

    if ((e = zc_quic_hdr_parse(hdr, hdrlen, 0, &h)) != ZC_QUIC_OK)
        return e;
    pn_len = (size_t)(hdr[0] & 3) + 1;
    /* Short headers: whatever precedes the pn field is the connection ID. */
    if (!h.is_long)
        h.pn_off = hdrlen - pn_len;
    if (hdrlen < pn_len + 1 || h.pn_off + pn_len != hdrlen)
        return ZC_QUIC_ERR_MALFORMED;
    if (total > outcap || total > ZC_QUIC_MAX_PACKET)
        return ZC_QUIC_ERR_TRUNCATED;
    /* The sample starts 4 bytes after the pn field: short payloads must be padded. */
    if (h.pn_off + 4 + ZC_QUIC_SAMPLE_LEN > total)
        return ZC_QUIC_ERR_TRUNCATED;

    memcpy(out, hdr, hdrlen);
    for (size_t i = 0; i < pn_len; i++)
        out[h.pn_off + i] = (unsigned char)(pn >> (8 * (pn_len - 1 - i)));
    if (h.is_long) {
        /* Length covers pn, payload and tag; keep the field's encoded size. */
        uint64_t v = pn_len + plen + ZC_QUIC_TAG_LEN;

        if (h.len_size < 8 && v >= (UINT64_C(1) << (8 * h.len_size - 2)))
            return ZC_QUIC_ERR_MALFORMED;
        for (size_t i = 0; i < h.len_size; i++)
            out[h.len_off + h.len_size - 1 - i] = (unsigned char)(v >> (8 * i));
        out[h.len_off] |= (unsigned char)((h.len_size == 1 ? 0 : h.len_size == 2 ? 1
                                           : h.len_size == 4 ? 2 : 3) << 6);
    }
    memmove(out + hdrlen, payload, plen);

    /* In place, tag appended: the buffer was sized for it. */
    zc_quic_nonce(k, pn, nonce);
    if (!EVP_EncryptInit_ex(k->aead, NULL, NULL, NULL, nonce)
        || !EVP_EncryptUpdate(k->aead, NULL, &n, out, (int)hdrlen)
        || !EVP_EncryptUpdate(k->aead, out + hdrlen, &n, out + hdrlen, (int)plen)
        || !EVP_EncryptFinal_ex(k->aead, out + hdrlen + plen, &n)
        || !EVP_CIPHER_CTX_ctrl(k->aead, EVP_CTRL_AEAD_GET_TAG, ZC_QUIC_TAG_LEN,
                                out + hdrlen + plen))
        return ZC_QUIC_ERR_INTERNAL;

    if (!zc_quic_hp_mask(k, out + h.pn_off + 4, mask))
        return ZC_QUIC_ERR_INTERNAL;
    out[0] ^= mask[0] & (h.is_long ? 0x0f : 0x1f);
    for (size_t i = 0; i < pn_len; i++)
        out[h.pn_off + i] ^= mask[1 + i];
    *outlen = total;
    return ZC_QUIC_OK;
}

/* ------------------------------------------------------------ unprotect */

zc_quic_err zc_quic_unprotect(zc_quic_keys *k, unsigned char *pkt, size_t len,
                              size_t dcid_len, int64_t largest_pn,
                              size_t *hdrlen, uint64_t *pn, size_t *plen)
{
    unsigned char nonce[12], mask[5], first;
    size_t end, pn_len, hl, ctlen;
    uint64_t truncated = 0;
    zc_quic_hdr h;
    zc_quic_err e;
    int n;

    if ((e = zc_quic_hdr_parse(pkt, len, dcid_len, &h)) != ZC_QUIC_OK)
        return e;
    end = len;
    if (h.is_long) {
        if (h.length > len - h.pn_off)
            return ZC_QUIC_ERR_TRUNCATED;
        end = h.pn_off + (size_t)h.length;  /* coalesced packets may follow */
    }
    if (h.pn_off + 4 + ZC_QUIC_SAMPLE_LEN > end)
        return ZC_QUIC_ERR_TRUNCATED;
    if (!zc_quic_hp_mask(k, pkt + h.pn_off + 4, mask))
        return ZC_QUIC_ERR_INTERNAL;
    first = pkt[0] ^ (mask[0] & (h.is_long ? 0x0f : 0x1f));
    pn_len = (size_t)(first & 3) + 1;
    hl = h.pn_off + pn_len;
    if (hl + ZC_QUIC_TAG_LEN > end)
        return ZC_QUIC_ERR_TRUNCATED;
    pkt[0] = first;
    for (size_t i = 0; i < pn_len; i++) {
        pkt[h.pn_off + i] ^= mask[1 + i];
        truncated = truncated << 8 | pkt[h.pn_off + i];
    }
    *pn = zc_quic_pn_decode(largest_pn, truncated, (unsigned)(8 * pn_len));
    ctlen = end - hl - ZC_QUIC_TAG_LEN;

    zc_quic_nonce(k, *pn, nonce);
    if (!EVP_DecryptInit_ex(k->aead, NULL, NULL, NULL, nonce)
        || !EVP_CIPHER_CTX_ctrl(k->aead, EVP_CTRL_AEAD_SET_TAG, ZC_QUIC_TAG_LEN,
                                pkt + hl + ctlen)
        || !EVP_DecryptUpdate(k->aead, NULL, &n, pkt, (int)hl)
        || !EVP_DecryptUpdate(k->aead, pkt + hl, &n, pkt + hl, (int)ctlen))
        return ZC_QUIC_ERR_INTERNAL;
    if (EVP_DecryptFinal_ex(k->aead, pkt + hl + ctlen, &n) <= 0) {
        /* Streaming EVP already wrote unauthenticated plaintext: never keep it. */
        OPENSSL_cleanse(pkt + hl, ctlen);
        ERR_clear_error();
        return ZC_QUIC_ERR_AUTH;
    }
    *hdrlen = hl;
    *plen = ctlen;
    return ZC_QUIC_OK;
}
