/*
 * Known answers: GCM specification test cases 14 and 16 (AES-256, NIST's
 * GCM validation vectors), GCM test case 3/4 style for 128/192 via
 * cases 4 and 10, and RFC 8439 section 2.8.2. A backend that fails any is
 * switched off: a broken SIMD path must never serve.
 */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include "zc_kat.h"

typedef struct zc_kat {
    zc_alg alg;
    const char *key, *iv, *aad, *pt, *ct, *tag;
} zc_kat;

#define ZC_GCM_PT "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
                  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define ZC_GCM_AAD "feedfacedeadbeeffeedfacedeadbeefabaddad2"

static const zc_kat zc_kats[] = {
    { ZC_ALG_AES_128_GCM, "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
      ZC_GCM_AAD, ZC_GCM_PT,
      "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
      "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
      "5bc94fbc3221a5db94fae95ae7121a47" },
    { ZC_ALG_AES_192_GCM, "feffe9928665731c6d6a8f9467308308feffe9928665731c",
      "cafebabefacedbaddecaf888", ZC_GCM_AAD, ZC_GCM_PT,
      "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c"
      "7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710",
      "2519498e80f1478f37ba55bd6d27618c" },
    { ZC_ALG_AES_256_GCM, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
      "cafebabefacedbaddecaf888", ZC_GCM_AAD, ZC_GCM_PT,
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
      "76fc6ece0f4e1768cddf8853bb2d551b" },
    { ZC_ALG_CHACHA20_POLY1305,
      "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
      "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7",
      "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
      "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
      "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
      "637265656e20776f756c642062652069742e",
      "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
      "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
      "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
      "3ff4def08e4b7a9de576d26586cec64b6116",
      "1ae10b594f09e26a7e902ecbd0600691" },
};

static int zc_kat_one(const zc_aead_ops *ops, const zc_kat *v)
{
    unsigned char key_state[ZC_KEY_STATE_MAX] __attribute__((aligned(64)));
    unsigned char msg_state[ZC_MSG_STATE_MAX] __attribute__((aligned(64)));
    unsigned char *key, *iv, *aad, *pt, *ct, *tag, out[128], back[128], t[16], t2[16];
    long keylen, ivlen, aadlen, ptlen, ctlen, taglen;
    int ok = 0;

    key = OPENSSL_hexstr2buf(v->key, &keylen);
    iv = OPENSSL_hexstr2buf(v->iv, &ivlen);
    aad = OPENSSL_hexstr2buf(v->aad, &aadlen);
    pt = OPENSSL_hexstr2buf(v->pt, &ptlen);
    ct = OPENSSL_hexstr2buf(v->ct, &ctlen);
    tag = OPENSSL_hexstr2buf(v->tag, &taglen);
    if (key == NULL || iv == NULL || aad == NULL || pt == NULL || ct == NULL || tag == NULL
        || ptlen > (long)sizeof(out) || ptlen != ctlen || ptlen < 8 || taglen != 16)
        goto err;
    if (!ops->key_setup(key_state, key)
        || !ops->msg_start(key_state, msg_state, iv, (size_t)ivlen, aad, (size_t)aadlen, 7)
        || !ops->msg_update(key_state, msg_state, out, pt, 7, 1)
        || !ops->msg_update(key_state, msg_state, out + 7, pt + 7, (size_t)ptlen - 7, 1)
        || !ops->msg_finish(key_state, msg_state, t, 1)
        || !ops->msg_start(key_state, msg_state, iv, (size_t)ivlen, aad, (size_t)aadlen,
                           (size_t)ctlen)
        || !ops->msg_update(key_state, msg_state, back, ct, (size_t)ctlen, 0)
        || !ops->msg_finish(key_state, msg_state, t2, 0))
        goto err;
    ok = memcmp(out, ct, (size_t)ctlen) == 0 && memcmp(t, tag, 16) == 0
         && memcmp(back, pt, (size_t)ptlen) == 0 && memcmp(t2, tag, 16) == 0;
err:
    OPENSSL_cleanse(key_state, sizeof(key_state));
    OPENSSL_cleanse(msg_state, sizeof(msg_state));
    OPENSSL_free(key), OPENSSL_free(iv), OPENSSL_free(aad);
    OPENSSL_free(pt), OPENSSL_free(ct), OPENSSL_free(tag);
    return ok;
}

/*
 * The vectors above are short: one code path each. A long message
 * (1,637 bytes: wide passes, 8-lane hashing, ragged tails) sealed in four
 * chunkings must match the portable backend byte for byte, so a broken
 * wide SIMD path is switched off too. The chunkings reach the ChaCha20
 * passes the mode plans from the first update's length: a full-width pass
 * with block 0 ahead of the data (1637), block 0 and a whole pass in one
 * call (1024), passes straight to the output and keystream made ahead for
 * short updates (the other two).
 */
#define ZC_CROSS_LEN 1637

/* Deterministic filler (xorshift): any bytes will do, both sides get the same. */
static void zc_kat_fill(unsigned char *buf, size_t len, uint32_t *x)
{
    for (size_t i = 0; i < len; i++) {
        *x ^= *x << 13, *x ^= *x >> 17, *x ^= *x << 5;
        buf[i] = (unsigned char)*x;
    }
}

static int zc_kat_cross_one(const zc_aead_ops *ops, const zc_aead_ops *ref, zc_alg alg)
{
    unsigned char key_state[ZC_KEY_STATE_MAX] __attribute__((aligned(64)));
    unsigned char msg_state[ZC_MSG_STATE_MAX] __attribute__((aligned(64)));
    static const size_t cuts[][3] = { { ZC_CROSS_LEN, 0, 0 }, { 1, 1023, 613 }, { 200, 64, 1373 },
                                      { 1024, 613, 0 } };
    unsigned char key[32], iv[12], aad[29], pt[ZC_CROSS_LEN], want[ZC_CROSS_LEN],
        got[ZC_CROSS_LEN], want_tag[16], tag[16];
    uint32_t x = 0x2545f491u + (uint32_t)alg;
    int ok = 1;

    zc_kat_fill(key, sizeof(key), &x);
    zc_kat_fill(iv, sizeof(iv), &x);
    zc_kat_fill(aad, sizeof(aad), &x);
    zc_kat_fill(pt, sizeof(pt), &x);
    if (!ref->key_setup(key_state, key)
        || !ref->msg_start(key_state, msg_state, iv, sizeof(iv), aad, sizeof(aad), sizeof(pt))
        || !ref->msg_update(key_state, msg_state, want, pt, sizeof(pt), 1)
        || !ref->msg_finish(key_state, msg_state, want_tag, 1))
        ok = 0;
    for (size_t c = 0; ok && c < sizeof(cuts) / sizeof(cuts[0]); c++) {
        size_t off = 0;

        ok = ops->key_setup(key_state, key)
             && ops->msg_start(key_state, msg_state, iv, sizeof(iv), aad, sizeof(aad), cuts[c][0]);
        for (int j = 0; ok && j < 3 && cuts[c][j] > 0; off += cuts[c][j], j++)
            ok = ops->msg_update(key_state, msg_state, got + off, pt + off, cuts[c][j], 1);
        ok = ok && ops->msg_finish(key_state, msg_state, tag, 1)
             && memcmp(got, want, sizeof(got)) == 0 && memcmp(tag, want_tag, 16) == 0;
    }
    OPENSSL_cleanse(key_state, sizeof(key_state));
    OPENSSL_cleanse(msg_state, sizeof(msg_state));
    return ok;
}

/*
 * Short records (13-byte AAD as in TLS, one update or one call): a length
 * for each width the x86 AES-GCM kernel compiles its one-pass code for
 * (1 to 8 vectors of four blocks, J0 first) and ragged ends, each matched
 * against the portable backend, through start/update/finish and through
 * the one-shot entry.
 */
static int zc_kat_short(const zc_aead_ops *ops, const zc_aead_ops *ref, zc_alg alg)
{
    unsigned char key_state[ZC_KEY_STATE_MAX] __attribute__((aligned(64)));
    unsigned char msg_state[ZC_MSG_STATE_MAX] __attribute__((aligned(64)));
    static const size_t lens[] = { 1, 16, 47, 100, 160, 220, 290, 350, 410, 470, 480 };
    unsigned char key[32], iv[12], aad[13], pt[480], want[480], got[480], want_tag[16], tag[16];
    uint32_t x = 0x6a09e667u + (uint32_t)alg;
    int ok = 1;

    zc_kat_fill(key, sizeof(key), &x);
    zc_kat_fill(iv, sizeof(iv), &x);
    zc_kat_fill(aad, sizeof(aad), &x);
    zc_kat_fill(pt, sizeof(pt), &x);
    for (size_t i = 0; ok && i < sizeof(lens) / sizeof(lens[0]); i++) {
        size_t n = lens[i];

        ok = ref->key_setup(key_state, key)
             && ref->msg_start(key_state, msg_state, iv, 12, aad, 13, n)
             && ref->msg_update(key_state, msg_state, want, pt, n, 1)
             && ref->msg_finish(key_state, msg_state, want_tag, 1)
             && ops->key_setup(key_state, key)
             && ops->msg_start(key_state, msg_state, iv, 12, aad, 13, n)
             && ops->msg_update(key_state, msg_state, got, pt, n, 1)
             && ops->msg_finish(key_state, msg_state, tag, 1)
             && memcmp(got, want, n) == 0 && memcmp(tag, want_tag, 16) == 0;
        if (ok && ops->msg_oneshot != NULL) {
            int r = ops->msg_oneshot(key_state, iv, 12, aad, 13, got, want, n, tag, 0);

            ok = r < 0 || (r == 1 && memcmp(got, pt, n) == 0 && memcmp(tag, want_tag, 16) == 0);
        }
    }
    OPENSSL_cleanse(key_state, sizeof(key_state));
    OPENSSL_cleanse(msg_state, sizeof(msg_state));
    return ok;
}

/*
 * Long AES-GCM messages (7,181 bytes, 13-byte AAD: 14 groups of the
 * 512-bit bulk loop or 28 of the 256-bit one and a ragged tail, past the
 * size from which the x86 backends run their bulk loops), sealed in one
 * update and in two (the second continues after a pass that left a final
 * hash), then opened in place. The expected tags were made with OpenSSL's
 * default provider; the tag covers the ciphertext, so a wrong keystream
 * fails it too. Checked against tags, not the portable backend: that would
 * take milliseconds at every load.
 */
#define ZC_BULK_LEN 7181

static int zc_kat_bulk(const zc_aead_ops *ops, zc_alg alg)
{
    static const char *const tags[3] = {
        "48cb0dcf4c51652cfe1c501516b7e68c", "7d0915e4d7e0d1c4f5cbda6643c9ab1c",
        "b1a7ec223ec24caa87350ecb2fc33efc",
    };
    unsigned char key_state[ZC_KEY_STATE_MAX] __attribute__((aligned(64)));
    unsigned char msg_state[ZC_MSG_STATE_MAX] __attribute__((aligned(64)));
    unsigned char key[32], iv[12], aad[13], tag[16], *want = NULL;
    unsigned char *pt = OPENSSL_malloc(ZC_BULK_LEN), *buf = OPENSSL_malloc(ZC_BULK_LEN);
    uint32_t x = 0x3c6ef372u + (uint32_t)alg;
    long wlen;
    int ok = pt != NULL && buf != NULL
             && (want = OPENSSL_hexstr2buf(tags[alg], &wlen)) != NULL && wlen == 16;

    if (ok) {
        zc_kat_fill(key, sizeof(key), &x);
        zc_kat_fill(iv, sizeof(iv), &x);
        zc_kat_fill(aad, sizeof(aad), &x);
        zc_kat_fill(pt, ZC_BULK_LEN, &x);
        ok = ops->key_setup(key_state, key);
    }
    for (size_t cut = ZC_BULK_LEN; ok && cut >= 6200; cut -= ZC_BULK_LEN - 6200) {
        ok = ops->msg_start(key_state, msg_state, iv, 12, aad, 13, cut)
             && ops->msg_update(key_state, msg_state, buf, pt, cut, 1)
             && (cut == ZC_BULK_LEN
                 || ops->msg_update(key_state, msg_state, buf + cut, pt + cut, ZC_BULK_LEN - cut, 1))
             && ops->msg_finish(key_state, msg_state, tag, 1) && memcmp(tag, want, 16) == 0;
    }
    ok = ok && ops->msg_start(key_state, msg_state, iv, 12, aad, 13, ZC_BULK_LEN)
         && ops->msg_update(key_state, msg_state, buf, buf, ZC_BULK_LEN, 0)
         && ops->msg_finish(key_state, msg_state, tag, 0)
         && memcmp(tag, want, 16) == 0 && memcmp(buf, pt, ZC_BULK_LEN) == 0;
    OPENSSL_cleanse(key_state, sizeof(key_state));
    OPENSSL_cleanse(msg_state, sizeof(msg_state));
    OPENSSL_free(pt), OPENSSL_free(buf), OPENSSL_free(want);
    return ok;
}

int zc_kat_run(const zc_aead_ops *const aead[ZC_ALG_COUNT])
{
    for (size_t i = 0; i < sizeof(zc_kats) / sizeof(zc_kats[0]); i++)
        if (aead[zc_kats[i].alg] == NULL || !zc_kat_one(aead[zc_kats[i].alg], &zc_kats[i]))
            return 0;
    for (int alg = 0; alg < ZC_ALG_COUNT; alg++) {
        const zc_aead_ops *ref = zc_backend_portable.aead[alg];

        if (aead[alg] != ref && !zc_kat_cross_one(aead[alg], ref, (zc_alg)alg))
            return 0;
        if (aead[alg] != ref && alg != ZC_ALG_CHACHA20_POLY1305
            && (!zc_kat_short(aead[alg], ref, (zc_alg)alg) || !zc_kat_bulk(aead[alg], (zc_alg)alg)))
            return 0;
    }
    return 1;
}

/*
 * The multi-lane path (msg_batch): batches sealed and opened in place,
 * every message against the portable backend's one-message result. Shape
 * 0: mixed lengths (empty to past every backend's lanes_max_blocks, so
 * both the lanes and the single-message path run, a short group at the
 * end); shape 1: every packet 256 B to 1.5 KiB, so the Poly1305 lanes run
 * too (ChaCha20-Poly1305 takes them only for groups of such packets);
 * shape 2: 256-512 B, the groups avx512 gives the Poly1305 lanes.
 */
#define ZC_KAT_BATCH 21
#define ZC_KAT_BATCH_LEN 1700
/* AES-GCM's lanes take packets up to 128 B: its batches stay under 162 B,
 * since the portable reference AES (constant time, bitsliced) would
 * otherwise cost every provider load ~10 ms per key size. 162 makes groups
 * of four with one and two vectors a packet, a short group last, and some
 * packets the lanes leave to the single-message path. */
#define ZC_KAT_BATCH_GCM_LEN 162

static size_t zc_kat_batch_len(zc_alg alg, int shape, size_t i)
{
    size_t mod = alg == ZC_ALG_CHACHA20_POLY1305 ? ZC_KAT_BATCH_LEN : ZC_KAT_BATCH_GCM_LEN;

    if (shape == 0)
        return (i * 397 + i * i * 29) % mod;
    return shape == 1 ? 256 + (i * 181) % 1281 : 256 + (i * 37) % 257;
}

static int zc_kat_batch_shape(const zc_aead_ops *ops, zc_alg alg, int shape)
{
    const zc_aead_ops *ref = zc_backend_portable.aead[alg];
    unsigned char key_state[ZC_KEY_STATE_MAX] __attribute__((aligned(64)));
    unsigned char msg_state[ZC_MSG_STATE_MAX] __attribute__((aligned(64)));
    /* 69 KB of messages: on the heap, several providers may start at once. */
    unsigned char (*mem)[ZC_KAT_BATCH][ZC_KAT_BATCH_LEN] =
        OPENSSL_malloc(3 * sizeof(*mem));
    zc_batch_msg m[ZC_KAT_BATCH];
    unsigned char key[32], iv[ZC_KAT_BATCH][12], aad[ZC_KAT_BATCH][20], want_tag[ZC_KAT_BATCH][16];
    uint32_t x = 0x1f83d9abu + (uint32_t)alg + 0x100u * (uint32_t)shape;
    int ok = ops->msg_batch != NULL && mem != NULL;

    if (!ok) {
        OPENSSL_free(mem);
        return 0;
    }
    unsigned char (*pt)[ZC_KAT_BATCH_LEN] = mem[0], (*buf)[ZC_KAT_BATCH_LEN] = mem[1],
                  (*want)[ZC_KAT_BATCH_LEN] = mem[2];

    zc_kat_fill(key, sizeof(key), &x);
    for (size_t i = 0; ok && i < ZC_KAT_BATCH; i++) {
        size_t len = zc_kat_batch_len(alg, shape, i);

        zc_kat_fill(iv[i], 12, &x);
        zc_kat_fill(aad[i], 20, &x);
        zc_kat_fill(pt[i], len, &x);
        m[i] = (zc_batch_msg){ .iv = iv[i], .ivlen = 12, .aad = aad[i], .aadlen = i % 21,
                               .in = buf[i], .out = buf[i], .len = len };
        memcpy(buf[i], pt[i], len);
        ok = ref->key_setup(key_state, key)
             && ref->msg_start(key_state, msg_state, iv[i], 12, aad[i], m[i].aadlen, len)
             && ref->msg_update(key_state, msg_state, want[i], pt[i], len, 1)
             && ref->msg_finish(key_state, msg_state, want_tag[i], 1);
    }
    ok = ok && ops->key_setup(key_state, key) && ops->msg_batch(key_state, m, ZC_KAT_BATCH, 1);
    for (size_t i = 0; ok && i < ZC_KAT_BATCH; i++)
        ok = memcmp(buf[i], want[i], m[i].len) == 0 && memcmp(m[i].tag, want_tag[i], 16) == 0;
    ok = ok && ops->msg_batch(key_state, m, ZC_KAT_BATCH, 0);
    for (size_t i = 0; ok && i < ZC_KAT_BATCH; i++)
        ok = memcmp(buf[i], pt[i], m[i].len) == 0 && memcmp(m[i].tag, want_tag[i], 16) == 0;
    OPENSSL_free(mem);
    OPENSSL_cleanse(key_state, sizeof(key_state));
    OPENSSL_cleanse(msg_state, sizeof(msg_state));
    return ok;
}

int zc_kat_batch(const zc_aead_ops *ops, zc_alg alg)
{
    /* Shapes 1 and 2 are for the Poly1305 lanes (2: every packet 256-512 B,
     * where avx512 takes them). */
    return zc_kat_batch_shape(ops, alg, 0)
           && (alg != ZC_ALG_CHACHA20_POLY1305
               || (zc_kat_batch_shape(ops, alg, 1) && zc_kat_batch_shape(ops, alg, 2)));
}
