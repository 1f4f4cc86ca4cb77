#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
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

/*
 * Header, packet number and Length written, payload copied after the
 * header: everything before the AEAD. *h and *pn_len say where the
 * packet-number field is for header protection.
 */
static zc_quic_err zc_quic_protect_prep(uint64_t pn, const unsigned char *hdr, size_t hdrlen,
                                        const unsigned char *payload, size_t plen,
                                        unsigned char *out, size_t outcap, zc_quic_hdr *h,
                                        size_t *pn_len)
{
    size_t total = hdrlen + plen + ZC_QUIC_TAG_LEN;
    zc_quic_err e;

    if ((e = zc_quic_hdr_parse(hdr, hdrlen, 0, h)) != ZC_QUIC_OK)
        return e;
    *pn_len = (size_t)(hdr[0] & 3) + 1;
    /* Short headers: whatever precedes the pn field is the connection ID. */
    if (!h->is_long)
        h->pn_off = hdrlen - *pn_len;
    if (hdrlen < *pn_len + 1 || h->pn_off + *pn_len != hdrlen)
        return ZC_QUIC_ERR_MALFORMED;
    if (total > outcap || total > ZC_QUIC_MAX_PACKET)
        return ZC_QUIC_ERR_TRUNCATED;
    /* The sample starts 4 bytes after the pn field: short payloads must be padded. */
    if (h->pn_off + 4 + ZC_QUIC_SAMPLE_LEN > total)
        return ZC_QUIC_ERR_TRUNCATED;

    memcpy(out, hdr, hdrlen);
    for (size_t i = 0; i < *pn_len; i++)
        out[h->pn_off + i] = (unsigned char)(pn >> (8 * (*pn_len - 1 - i)));
    if (h->is_long) {
        /* Length covers pn, payload and tag; keep the field's encoded size. */
        uint64_t v = *pn_len + plen + ZC_QUIC_TAG_LEN;

        if (h->len_size < 8 && v >= (UINT64_C(1) << (8 * h->len_size - 2)))
            return ZC_QUIC_ERR_MALFORMED;
        for (size_t i = 0; i < h->len_size; i++)
            out[h->len_off + h->len_size - 1 - i] = (unsigned char)(v >> (8 * i));
        out[h->len_off] |= (unsigned char)((h->len_size == 1 ? 0 : h->len_size == 2 ? 1
                                            : h->len_size == 4 ? 2 : 3) << 6);
    }
    memmove(out + hdrlen, payload, plen);
    return ZC_QUIC_OK;
}

/* Header protection over a sealed packet. */
static zc_quic_err zc_quic_hp_apply(zc_quic_keys *k, unsigned char *out, const zc_quic_hdr *h,
                                    size_t pn_len)
{
    unsigned char mask[5];

    if (!zc_quic_hp_mask(k, out + h->pn_off + 4, mask))
        return ZC_QUIC_ERR_INTERNAL;
    out[0] ^= mask[0] & (h->is_long ? 0x0f : 0x1f);
    for (size_t i = 0; i < pn_len; i++)
        out[h->pn_off + i] ^= mask[1 + i];
    return ZC_QUIC_OK;
}

zc_quic_err zc_quic_protect(zc_quic_keys *k, uint64_t pn,
                            const unsigned char *hdr, size_t hdrlen,
                            const unsigned char *payload, size_t plen,
                            unsigned char *out, size_t outcap, size_t *outlen)
{
    unsigned char nonce[12];
    size_t pn_len;
    zc_quic_hdr h;
    zc_quic_err e;
    int n;

    if ((e = zc_quic_protect_prep(pn, hdr, hdrlen, payload, plen, out, outcap, &h, &pn_len))
        != ZC_QUIC_OK)
        return e;
    /* In place, tag appended: the buffer was sized for it. */
    zc_quic_nonce(k, pn, nonce);
    if (!EVP_EncryptInit_ex(k->aead, NULL, NULL, NULL, nonce)
        || !EVP_EncryptUpdate(k->aead, NULL, &n, out, (int)hdrlen)
        || !EVP_EncryptUpdate(k->aead, out + hdrlen, &n, out + hdrlen, (int)plen)
        || !EVP_EncryptFinal_ex(k->aead, out + hdrlen + plen, &n)
        || !EVP_CIPHER_CTX_ctrl(k->aead, EVP_CTRL_AEAD_GET_TAG, ZC_QUIC_TAG_LEN,
                                out + hdrlen + plen))
        return ZC_QUIC_ERR_INTERNAL;
    if ((e = zc_quic_hp_apply(k, out, &h, pn_len)) != ZC_QUIC_OK)
        return e;
    *outlen = hdrlen + plen + ZC_QUIC_TAG_LEN;
    return ZC_QUIC_OK;
}

/* ------------------------------------------------------------ unprotect */

/* Header protection removed, packet number decoded: everything before the AEAD. */
static zc_quic_err zc_quic_unprotect_hdr(zc_quic_keys *k, unsigned char *pkt, size_t len,
                                         size_t dcid_len, int64_t largest_pn, size_t *hdrlen,
                                         uint64_t *pn, size_t *ctlen)
{
    unsigned char mask[5], first;
    size_t end, pn_len, hl;
    uint64_t truncated = 0;
    zc_quic_hdr h;
    zc_quic_err e;

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
    *hdrlen = hl;
    *ctlen = end - hl - ZC_QUIC_TAG_LEN;
    return ZC_QUIC_OK;
}

/* The AEAD of one packet whose header protection is off, in place. */
static zc_quic_err zc_quic_open(zc_quic_keys *k, unsigned char *pkt, size_t hl, size_t ctlen,
                                uint64_t pn)
{
    unsigned char nonce[12];
    int n;

    zc_quic_nonce(k, pn, nonce);
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
    return ZC_QUIC_OK;
}

zc_quic_err zc_quic_unprotect(zc_quic_keys *k, unsigned char *pkt, size_t len,
                              size_t dcid_len, int64_t largest_pn,
                              size_t *hdrlen, uint64_t *pn, size_t *plen)
{
    zc_quic_err e;

    if ((e = zc_quic_unprotect_hdr(k, pkt, len, dcid_len, largest_pn, hdrlen, pn, plen))
        != ZC_QUIC_OK)
        return e;
    return zc_quic_open(k, pkt, *hdrlen, *plen, *pn);
}

/* ------------------------------------------------------------ bursts */

int zc_quic_keys_can_burst(const zc_quic_keys *k)
{
#if OPENSSL_VERSION_NUMBER >= 0x30500000L
    return EVP_CIPHER_can_pipeline(EVP_CIPHER_CTX_get0_cipher(k->aead), 1)
           && EVP_CIPHER_can_pipeline(EVP_CIPHER_CTX_get0_cipher(k->aead), 0);
#else
    (void)k;
    return 0;
#endif
}

#if OPENSSL_VERSION_NUMBER >= 0x30500000L
/*
 * The AEAD of n packets in one pipeline call (the ctx keeps its cipher and
 * key: both NULL). ct[i] is packet i's payload, tag[i] its tag; AAD its
 * header. Decrypt writes the plaintext to out[i].
 */
static int zc_quic_pipeline(zc_quic_keys *k, int enc, size_t n, const uint64_t *pn,
                            unsigned char *const *pkt, const size_t *hl,
                            const size_t *ctlen, unsigned char *const *out)
{
    unsigned char nonce[ZC_QUIC_BURST_MAX][12], *outs[ZC_QUIC_BURST_MAX];
    unsigned char *tags[ZC_QUIC_BURST_MAX];
    const unsigned char *ivs[ZC_QUIC_BURST_MAX], *aads[ZC_QUIC_BURST_MAX], *ins[ZC_QUIC_BURST_MAX];
    size_t outl[ZC_QUIC_BURST_MAX], outsize[ZC_QUIC_BURST_MAX];
    void *tagp = tags;
    OSSL_PARAM prm[2] = { OSSL_PARAM_END, OSSL_PARAM_END };

    for (size_t i = 0; i < n; i++) {
        zc_quic_nonce(k, pn[i], nonce[i]);
        ivs[i] = nonce[i], aads[i] = pkt[i], ins[i] = pkt[i] + hl[i], outs[i] = out[i];
        outsize[i] = ctlen[i], tags[i] = pkt[i] + hl[i] + ctlen[i];
    }
    prm[0] = OSSL_PARAM_construct_octet_ptr(OSSL_CIPHER_PARAM_PIPELINE_AEAD_TAG, &tagp,
                                            ZC_QUIC_TAG_LEN);
    if (!(enc ? EVP_CipherPipelineEncryptInit(k->aead, NULL, NULL, 0, n, ivs, 12)
              : EVP_CipherPipelineDecryptInit(k->aead, NULL, NULL, 0, n, ivs, 12))
        || !EVP_CipherPipelineUpdate(k->aead, NULL, outl, NULL, aads, hl)
        || (!enc && !EVP_CIPHER_CTX_set_params(k->aead, prm))
        || !EVP_CipherPipelineUpdate(k->aead, outs, outl, outsize, ins, ctlen)
        || !EVP_CipherPipelineFinal(k->aead, outs, outl, outsize)
        || (enc && !EVP_CIPHER_CTX_get_params(k->aead, prm))) {
        ERR_clear_error();
        return 0;
    }
    return 1;
}
#endif

zc_quic_err zc_quic_protect_burst(zc_quic_keys *k, size_t n, const uint64_t *pn,
                                  const unsigned char *hdr, size_t hdrlen,
                                  const unsigned char *const *payload, size_t plen,
                                  unsigned char *const *out, size_t outcap, size_t *outlen)
{
    zc_quic_hdr h[ZC_QUIC_BURST_MAX];
    size_t pn_len[ZC_QUIC_BURST_MAX], hl[ZC_QUIC_BURST_MAX], ctl[ZC_QUIC_BURST_MAX];
    unsigned char *ct[ZC_QUIC_BURST_MAX];
    zc_quic_err e;

    if (n == 0 || n > ZC_QUIC_BURST_MAX)
        return ZC_QUIC_ERR_INTERNAL;
    if (n == 1 || !zc_quic_keys_can_burst(k)) {
        for (size_t i = 0; i < n; i++)
            if ((e = zc_quic_protect(k, pn[i], hdr, hdrlen, payload[i], plen, out[i], outcap,
                                     &outlen[i])) != ZC_QUIC_OK)
                return e;
        return ZC_QUIC_OK;
    }
    for (size_t i = 0; i < n; i++) {
        if ((e = zc_quic_protect_prep(pn[i], hdr, hdrlen, payload[i], plen, out[i], outcap,
                                      &h[i], &pn_len[i])) != ZC_QUIC_OK)
            return e;
        hl[i] = hdrlen, ctl[i] = plen, ct[i] = out[i] + hdrlen;
    }
#if OPENSSL_VERSION_NUMBER >= 0x30500000L
    if (!zc_quic_pipeline(k, 1, n, pn, out, hl, ctl, ct))
        return ZC_QUIC_ERR_INTERNAL;
#else
    (void)hl, (void)ctl, (void)ct; /* unreachable: can_burst is 0 */
#endif
    for (size_t i = 0; i < n; i++) {
        if ((e = zc_quic_hp_apply(k, out[i], &h[i], pn_len[i])) != ZC_QUIC_OK)
            return e;
        outlen[i] = hdrlen + plen + ZC_QUIC_TAG_LEN;
    }
    return ZC_QUIC_OK;
}

void zc_quic_unprotect_burst(zc_quic_keys *k, size_t n, unsigned char *const *pkt,
                             const size_t *len, size_t dcid_len, int64_t largest_pn,
                             size_t *hdrlen, uint64_t *pn, size_t *plen, zc_quic_err *err,
                             unsigned char *const *scratch)
{
    size_t idx[ZC_QUIC_BURST_MAX], m = 0;

    for (size_t i = 0; i < n && i < ZC_QUIC_BURST_MAX; i++)
        if ((err[i] = zc_quic_unprotect_hdr(k, pkt[i], len[i], dcid_len, largest_pn, &hdrlen[i],
                                            &pn[i], &plen[i])) == ZC_QUIC_OK)
            idx[m++] = i;
#if OPENSSL_VERSION_NUMBER >= 0x30500000L
    if (m >= 2 && zc_quic_keys_can_burst(k)) {
        unsigned char *p[ZC_QUIC_BURST_MAX], *o[ZC_QUIC_BURST_MAX];
        size_t hl[ZC_QUIC_BURST_MAX], cl[ZC_QUIC_BURST_MAX];
        uint64_t pns[ZC_QUIC_BURST_MAX];

        for (size_t j = 0; j < m; j++)
            p[j] = pkt[idx[j]], o[j] = scratch[j], hl[j] = hdrlen[idx[j]], cl[j] = plen[idx[j]],
            pns[j] = pn[idx[j]];
        /* Out of place: if any tag fails, every packet is opened again on its
         * own from its intact ciphertext, to tell which. */
        if (zc_quic_pipeline(k, 0, m, pns, p, hl, cl, o)) {
            for (size_t j = 0; j < m; j++)
                memcpy(p[j] + hl[j], o[j], cl[j]);
            return;
        }
    }
#endif
    for (size_t j = 0; j < m; j++)
        err[idx[j]] = zc_quic_open(k, pkt[idx[j]], hdrlen[idx[j]], plen[idx[j]], pn[idx[j]]);
}
