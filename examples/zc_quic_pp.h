/*
 * QUIC packet protection (RFC 9001 section 5) over EVP: AEAD payload
 * protection through whatever provider EVP prefers (zcrypto when enabled),
 * header protection with AES-ECB or ChaCha20 masks, packet-number encoding.
 */
#ifndef ZC_QUIC_PP_H
#define ZC_QUIC_PP_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#define ZC_QUIC_TAG_LEN    16
#define ZC_QUIC_SAMPLE_LEN 16
#define ZC_QUIC_MAX_PACKET 65527

typedef enum zc_quic_err {
    ZC_QUIC_OK = 0,
    ZC_QUIC_ERR_MALFORMED,    /* header does not parse / fixed bit clear */
    ZC_QUIC_ERR_TRUNCATED,    /* shorter than its header, length or sample */
    ZC_QUIC_ERR_AUTH,         /* AEAD tag did not verify */
    ZC_QUIC_ERR_PN,           /* packet number outside the window */
    ZC_QUIC_ERR_INTERNAL,
    ZC_QUIC_ERR_COUNT
} zc_quic_err;

const char *zc_quic_err_name(zc_quic_err e);

typedef struct zc_quic_keys {
    EVP_CIPHER_CTX *aead;     /* keyed once; per packet only the nonce changes */
    EVP_CIPHER_CTX *hp;
    int hp_chacha;
    unsigned char iv[12];
    unsigned char hp_key[32];
    const char *aead_provider; /* who serves the AEAD: proves zcrypto did it */
} zc_quic_keys;

/* aead: "aes-128-gcm", "aes-256-gcm" or "chacha20-poly1305". */
int zc_quic_keys_init(zc_quic_keys *k, OSSL_LIB_CTX *libctx, const char *aead,
                      const unsigned char *key, size_t keylen,
                      const unsigned char *iv, size_t ivlen,
                      const unsigned char *hp, size_t hplen);
void zc_quic_keys_clear(zc_quic_keys *k);

/*
 * hdr: the unprotected header ending with its packet-number field (length
 * from the first byte). The pn field is rewritten with pn's low bytes and a
 * long header's Length field with pn_len + payload + tag. out receives
 * header | ciphertext | tag with header protection applied.
 */
zc_quic_err zc_quic_protect(zc_quic_keys *k, uint64_t pn,
                            const unsigned char *hdr, size_t hdrlen,
                            const unsigned char *payload, size_t plen,
                            unsigned char *out, size_t outcap, size_t *outlen);

/*
 * In place. dcid_len: short-header connection ID length (long headers carry
 * theirs). largest_pn: highest pn received so far (-1 for none). On success
 * *hdrlen is the unprotected header's length, the payload is at pkt+*hdrlen
 * for *plen bytes, and *pn the decoded packet number.
 */
zc_quic_err zc_quic_unprotect(zc_quic_keys *k, unsigned char *pkt, size_t len,
                              size_t dcid_len, int64_t largest_pn,
                              size_t *hdrlen, uint64_t *pn, size_t *plen);

/*
 * Bursts (like a GSO batch): the same results as packet after packet, the
 * AEAD of the whole burst in one call of OpenSSL 3.5's pipeline API when
 * the AEAD's provider has it (zc_quic_keys_can_burst), else one by one.
 */
#define ZC_QUIC_BURST_MAX 32
int zc_quic_keys_can_burst(const zc_quic_keys *k);
/* n packets on one header template, payloads of plen bytes. */
zc_quic_err zc_quic_protect_burst(zc_quic_keys *k, size_t n, const uint64_t *pn,
                                  const unsigned char *hdr, size_t hdrlen,
                                  const unsigned char *const *payload, size_t plen,
                                  unsigned char *const *out, size_t outcap, size_t *outlen);
/* n received packets, each as zc_quic_unprotect (err[i] its result);
 * scratch: n buffers of ZC_QUIC_MAX_PACKET bytes. */
void zc_quic_unprotect_burst(zc_quic_keys *k, size_t n, unsigned char *const *pkt,
                             const size_t *len, size_t dcid_len, int64_t largest_pn,
                             size_t *hdrlen, uint64_t *pn, size_t *plen, zc_quic_err *err,
                             unsigned char *const *scratch);

/* RFC 9000 appendix A.3. */
uint64_t zc_quic_pn_decode(int64_t largest_pn, uint64_t truncated, unsigned pn_bits);

#endif
