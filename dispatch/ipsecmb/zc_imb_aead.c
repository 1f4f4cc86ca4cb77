/*
 * AES-GCM and ChaCha20-Poly1305 on ipsec-mb's direct API. Keys are built by
 * the manager kind that will use them (a key from another arch's code gives
 * wrong tags) and record that arch; ipsec-mb's decrypt never checks the tag,
 * it returns the computed one and the cipher layer compares.
 *
 * AES-GCM is a hybrid: short messages run on zcrypto's own x86 kernel
 * (dispatch/x86/zc_x86_gcm.c), long ones on ipsec-mb. ipsec-mb's three
 * streaming calls cost a fixed ~450 instructions per message; ours hash a
 * record in one pass, but ipsec-mb's wide stitched loops win on bulk.
 */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include "zc_imb_internal.h"
#ifdef ZC_HAVE_X86_AVX512
#include "zc_cpu.h"
#include "zc_x86_gcm.h"
#endif

/*
 * Which messages take our kernel, by the first update's length (the choice
 * holds for the whole message): below own_short_lim (the fused one-pass
 * path) or from own_long_min (the stitched bulk loop). Without our kernel
 * ipsec-mb runs everything.
 */
typedef struct zc_imb_gcm_key {
    struct gcm_key_data k;      /* 64-byte aligned: LINUX is defined */
    uint32_t arch, keylen;
    int32_t own_kernel;         /* zc_x86_gcm_kernel_id, or -1: ipsec-mb only */
    uint32_t own_short_lim, own_long_min;
#ifdef ZC_HAVE_X86_AVX512
    zc_x86_gcm_key own;
#endif
} zc_imb_gcm_key;

/* Which engine runs this message, fixed at msg_start. */
typedef struct zc_imb_gcm_msg {
    uint32_t own;
    union {
        struct gcm_context_data imb;
#ifdef ZC_HAVE_X86_AVX512
        zc_x86_gcm_msg own;
#endif
    } u;
} zc_imb_gcm_msg;

typedef struct zc_imb_cp_key {
    uint8_t key[32];
    uint32_t arch;
} zc_imb_cp_key;

_Static_assert(sizeof(zc_imb_gcm_key) <= ZC_KEY_STATE_MAX, "gcm key state");
_Static_assert(sizeof(zc_imb_gcm_msg) <= ZC_MSG_STATE_MAX, "gcm msg state");
_Static_assert(sizeof(struct chacha20_poly1305_context_data) <= ZC_MSG_STATE_MAX, "cp msg state");
_Static_assert(_Alignof(struct gcm_key_data) >= 64, "gcm_key_data must be 64-byte aligned");

/*
 * Our kernel for arch's backend, -1 for none, and the lengths it takes
 * (TLS 1.3 record shape through EVP, in place, same process; Zen 4,
 * 2026-12-02, best of three interleaved passes).
 *
 * The avx512 backend on VAES + VPCLMULQDQ: the fused pass up to
 * ZC_X86_GCM_FUSED_MAX; the bulk loop from ZC_IMB_OWN512_LONG_MIN, where
 * it passes ipsec-mb's VAES code (1.3 and 2.0 alike: 1.02x at 6 KiB,
 * 1.03-1.08x at 16 KiB); between them ipsec-mb (ours 0.8-0.9x at
 * 512-1420 B, 0.97-1.0x at 4 KiB: our per-call set-up shows there).
 *
 * The avx2 backend on a VAES CPU: ipsec-mb 1.3 has no VAES code on AVX2,
 * ours runs 1.3x its AVX2 code at 1 KiB and 2-2.6x at 16 KiB, so ours from
 * ZC_IMB_OWN256_LONG_MIN (at 512 B at par), and the fused pass up to
 * ZC_X86_GCM_FUSED_MAX (Zen 3, 3.0, record shape, same process as the
 * build before: 1.15-1.61x the default at 16-480 B where ipsec-mb's AVX2
 * code gave 1.10-1.48x). ipsec-mb 1.5+ has VAES on AVX2, measured with 2.0
 * at 1.06x ours at 16 KiB and more below: where its manager runs that code
 * it keeps everything. It does not without GFNI (Zen 3): there ipsec-mb 2
 * runs 128-bit AES-NI code, and ours takes the same lengths as with 1.3
 * (3.5: 0.96-1.15x at 16-256 B, from 0.72-1.14x; 1.65-1.86x at 16 KiB;
 * ipsec-mb's code between, 0.89-1.12x at 512-768 B; an own two-chunk
 * fused pass up to 992 B measured no better there and was not kept).
 *
 * The others keep ipsec-mb, which beat a one-block AES-NI kernel there
 * (see zc_x86_gcm.c).
 */
#define ZC_IMB_OWN512_LONG_MIN 6144
#define ZC_IMB_OWN256_LONG_MIN 1024

static int32_t zc_imb_own_kernel(zc_imb_arch arch, uint32_t *short_lim, uint32_t *long_min)
{
#ifdef ZC_HAVE_X86_AVX512
    /* ZC_X86CAP can hide VAES (a CPU class measured on a newer CPU). */
    int vaes = (zc_cpu_features() & ZC_CPU_VAES) != 0;
    int32_t id = -1;

    if (arch == ZC_IMB_AVX512 && vaes && zc_x86_gcm_kernel_available(ZC_X86_GCM_VAES512)) {
        id = ZC_X86_GCM_VAES512;
        *short_lim = ZC_X86_GCM_FUSED_MAX + 1, *long_min = ZC_IMB_OWN512_LONG_MIN;
    } else if (arch == ZC_IMB_AVX2 && vaes && !zc_imb_arch_runs_vaes(arch)
               && zc_x86_gcm_kernel_available(ZC_X86_GCM_VAES256)) {
        id = ZC_X86_GCM_VAES256;
        *short_lim = ZC_X86_GCM_FUSED_MAX + 1, *long_min = ZC_IMB_OWN256_LONG_MIN;
    }
    return id;
#else
    (void)arch, (void)short_lim, (void)long_min;
    return -1;
#endif
}

/*
 * ipsec-mb 2.0's VAES AVX2 GCM entry points (aes_gcm_*_vaes_avx2) return
 * with the upper halves of the ymm registers dirty: no vzeroupper before
 * their ret. On Intel every legacy-SSE instruction after that (ours,
 * libcrypto's, libc's) then pays for the mixed state: AES-256-GCM records
 * ran at 0.34-0.48x of the default at 64-256 B on a Xeon posing as AVX2 +
 * VAES, where AMD Zen pays nothing. So after every call into a manager
 * that may have used ymm or zmm registers, clear them ourselves (one
 * instruction; with clean upper halves it costs nothing).
 */
static inline void zc_imb_upper_clean(zc_imb_arch arch)
{
    if (arch != ZC_IMB_SSE)
        __asm__ __volatile__("vzeroupper" ::: "memory");
}

static inline int zc_imb_gcm_use_own(const zc_imb_gcm_key *k, size_t len)
{
    return k->own_kernel >= 0 && (len < k->own_short_lim || len >= k->own_long_min);
}

static int zc_imb_gcm_setup(void *key_state, const unsigned char *key, uint32_t keylen,
                            zc_imb_arch arch)
{
    zc_imb_gcm_key *k = key_state;
    IMB_MGR *m = zc_imb_mgr_get(arch);

    if (m == NULL)
        return 0;
    k->arch = arch;
    k->keylen = keylen;
    k->own_short_lim = 0, k->own_long_min = UINT32_MAX;
    k->own_kernel = zc_imb_own_kernel(arch, &k->own_short_lim, &k->own_long_min);
#ifdef ZC_HAVE_X86_AVX512
    if (k->own_kernel >= 0)
        zc_x86_gcm_key_setup(&k->own, key, keylen, (zc_x86_gcm_kernel_id)k->own_kernel);
#endif
    switch (keylen) {
    case 16: IMB_AES128_GCM_PRE(m, key, &k->k); break;
    case 24: IMB_AES192_GCM_PRE(m, key, &k->k); break;
    default: IMB_AES256_GCM_PRE(m, key, &k->k); break;
    }
    zc_imb_upper_clean(arch);
    return 1;
}

static int zc_imb_gcm_start(const void *key_state, void *msg_state,
                            const unsigned char *iv, size_t ivlen,
                            const unsigned char *aad, size_t aadlen, size_t first_len)
{
    const zc_imb_gcm_key *k = key_state;
    zc_imb_gcm_msg *g = msg_state;
    struct gcm_context_data *c = &g->u.imb;
    IMB_MGR *m;

    if (ivlen == 0)
        return 0;
#ifdef ZC_HAVE_X86_AVX512
    if ((g->own = (uint32_t)zc_imb_gcm_use_own(k, first_len)) != 0)
        return zc_x86_gcm_start(&k->own, &g->u.own, iv, ivlen, aad, aadlen);
#else
    g->own = 0;
#endif
    if ((m = zc_imb_mgr_get(k->arch)) == NULL)
        return 0;
    switch (k->keylen) {
    case 16: IMB_AES128_GCM_INIT_VAR_IV(m, &k->k, c, iv, ivlen, aad, aadlen); break;
    case 24: IMB_AES192_GCM_INIT_VAR_IV(m, &k->k, c, iv, ivlen, aad, aadlen); break;
    default: IMB_AES256_GCM_INIT_VAR_IV(m, &k->k, c, iv, ivlen, aad, aadlen); break;
    }
    zc_imb_upper_clean(k->arch);
    return 1;
}

static int zc_imb_gcm_update(const void *key_state, void *msg_state, unsigned char *out,
                             const unsigned char *in, size_t len, int enc)
{
    const zc_imb_gcm_key *k = key_state;
    zc_imb_gcm_msg *g = msg_state;
    struct gcm_context_data *c = &g->u.imb;
    IMB_MGR *m;

    if (len == 0)
        return 1;
#ifdef ZC_HAVE_X86_AVX512
    if (g->own)
        return zc_x86_gcm_update(&k->own, &g->u.own, out, in, len, enc);
#endif
    if ((m = zc_imb_mgr_get(k->arch)) == NULL)
        return 0;
    switch (k->keylen | (enc ? 0x100 : 0)) {
    case 0x110: IMB_AES128_GCM_ENC_UPDATE(m, &k->k, c, out, in, len); break;
    case 0x118: IMB_AES192_GCM_ENC_UPDATE(m, &k->k, c, out, in, len); break;
    case 0x120: IMB_AES256_GCM_ENC_UPDATE(m, &k->k, c, out, in, len); break;
    case 0x10:  IMB_AES128_GCM_DEC_UPDATE(m, &k->k, c, out, in, len); break;
    case 0x18:  IMB_AES192_GCM_DEC_UPDATE(m, &k->k, c, out, in, len); break;
    default:    IMB_AES256_GCM_DEC_UPDATE(m, &k->k, c, out, in, len); break;
    }
    zc_imb_upper_clean(k->arch);
    return 1;
}

static int zc_imb_gcm_finish(const void *key_state, void *msg_state, unsigned char tag[16],
                             int enc)
{
    const zc_imb_gcm_key *k = key_state;
    zc_imb_gcm_msg *g = msg_state;
    struct gcm_context_data *c = &g->u.imb;
    IMB_MGR *m;

#ifdef ZC_HAVE_X86_AVX512
    if (g->own)
        return zc_x86_gcm_finish(&k->own, &g->u.own, tag);
#endif
    if ((m = zc_imb_mgr_get(k->arch)) == NULL)
        return 0;
    switch (k->keylen | (enc ? 0x100 : 0)) {
    case 0x110: IMB_AES128_GCM_ENC_FINALIZE(m, &k->k, c, tag, 16); break;
    case 0x118: IMB_AES192_GCM_ENC_FINALIZE(m, &k->k, c, tag, 16); break;
    case 0x120: IMB_AES256_GCM_ENC_FINALIZE(m, &k->k, c, tag, 16); break;
    case 0x10:  IMB_AES128_GCM_DEC_FINALIZE(m, &k->k, c, tag, 16); break;
    case 0x18:  IMB_AES192_GCM_DEC_FINALIZE(m, &k->k, c, tag, 16); break;
    default:    IMB_AES256_GCM_DEC_FINALIZE(m, &k->k, c, tag, 16); break;
    }
    zc_imb_upper_clean(k->arch);
    /* Holds the hash state and a partial keystream block. */
    OPENSSL_cleanse(c, sizeof(*c));
    return 1;
}

/* A TLS 1.3 record through EVP (zc_aead_ops.msg_first): where our kernel
 * takes it, straight there. */
static int zc_imb_gcm_first(const void *key_state, void *msg_state, const unsigned char *iv,
                            size_t ivlen, const unsigned char *aad, size_t aadlen,
                            unsigned char *out, const unsigned char *in, size_t len, int enc)
{
#ifdef ZC_HAVE_X86_AVX512
    const zc_imb_gcm_key *k = key_state;
    zc_imb_gcm_msg *g = msg_state;

    if (zc_imb_gcm_use_own(k, len)) {
        g->own = 1;
        return zc_x86_gcm_first(&k->own, &g->u.own, iv, ivlen, aad, aadlen, out, in, len, enc);
    }
#endif
    return zc_imb_gcm_start(key_state, msg_state, iv, ivlen, aad, aadlen, len)
           && zc_imb_gcm_update(key_state, msg_state, out, in, len, enc);
}

/* TLS 1.2 records: short ones on our kernel; the rest decline (-1) and
 * take start/update/finish, which routes them to ipsec-mb. */
static int zc_imb_gcm_oneshot(const void *key_state, const unsigned char *iv, size_t ivlen,
                              const unsigned char *aad, size_t aadlen, unsigned char *out,
                              const unsigned char *in, size_t len, unsigned char tag[16],
                              int enc)
{
    const zc_imb_gcm_key *k = key_state;

#ifdef ZC_HAVE_X86_AVX512
    if (zc_imb_gcm_use_own(k, len))
        return zc_x86_gcm_oneshot(&k->own, iv, ivlen, aad, aadlen, out, in, len, tag, enc);
#endif
    (void)k;
    return -1;
}

/* Messages of a batch the lanes do not take go through the entry points
 * every key size and arch shares (key setup alone differs), one by one. */
static const zc_aead_ops zc_imb_gcm_single = {
    NULL, zc_imb_gcm_start, zc_imb_gcm_update, zc_imb_gcm_finish, zc_imb_gcm_oneshot,
    NULL, NULL,
};

/*
 * The pipeline (msg_batch): short packets four at a time through our
 * kernel's lanes where it has them (VAES on AVX-512), the rest one by one.
 */
static int zc_imb_gcm_batch(const void *key_state, zc_batch_msg *msgs, size_t n, int enc)
{
#ifdef ZC_HAVE_X86_AVX512
    const zc_imb_gcm_key *k = key_state;
    const int lanes = k->own_kernel >= 0 && zc_x86_gcm_has_lanes(&k->own);
    zc_batch_msg *grp[ZC_X86_GCM_LANES];
    int g = 0;

    for (size_t i = 0; i < n; i++) {
        if (lanes && zc_x86_gcm_lanes_fits(&msgs[i])) {
            grp[g++] = &msgs[i];
            if (g == ZC_X86_GCM_LANES) {
                zc_x86_gcm_lanes(&k->own, grp, g, enc);
                g = 0;
            }
        } else if (!zc_aead_batch_any(&zc_imb_gcm_single, key_state, &msgs[i], 1, enc, 0)) {
            return 0;
        }
    }
    if (g > 0)
        zc_x86_gcm_lanes(&k->own, grp, g, enc);
    return 1;
#else
    return zc_aead_batch_any(&zc_imb_gcm_single, key_state, msgs, n, enc, 0);
#endif
}

static int zc_imb_cp_setup(void *key_state, const unsigned char *key, zc_imb_arch arch)
{
    zc_imb_cp_key *k = key_state;

    memcpy(k->key, key, 32);
    k->arch = arch;
    return 1;
}

static int zc_imb_cp_start(const void *key_state, void *msg_state,
                           const unsigned char *iv, size_t ivlen,
                           const unsigned char *aad, size_t aadlen, size_t first_len)
{
    const zc_imb_cp_key *k = key_state;
    IMB_MGR *m = zc_imb_mgr_get(k->arch);

    if (m == NULL || ivlen != 12)
        return 0;
    IMB_CHACHA20_POLY1305_INIT(m, k->key, (struct chacha20_poly1305_context_data *)msg_state,
                               iv, aad, aadlen);
    zc_imb_upper_clean(k->arch);
    return 1;
}

static int zc_imb_cp_update(const void *key_state, void *msg_state, unsigned char *out,
                            const unsigned char *in, size_t len, int enc)
{
    const zc_imb_cp_key *k = key_state;
    struct chacha20_poly1305_context_data *c = msg_state;
    IMB_MGR *m;

    if (len == 0)
        return 1;
    if ((m = zc_imb_mgr_get(k->arch)) == NULL)
        return 0;
    if (enc)
        IMB_CHACHA20_POLY1305_ENC_UPDATE(m, k->key, c, out, in, len);
    else
        IMB_CHACHA20_POLY1305_DEC_UPDATE(m, k->key, c, out, in, len);
    zc_imb_upper_clean(k->arch);
    return 1;
}

static int zc_imb_cp_finish(const void *key_state, void *msg_state, unsigned char tag[16],
                            int enc)
{
    const zc_imb_cp_key *k = key_state;
    IMB_MGR *m = zc_imb_mgr_get(k->arch);

    if (m == NULL)
        return 0;
    IMB_CHACHA20_POLY1305_ENC_FINALIZE(m, (struct chacha20_poly1305_context_data *)msg_state,
                                       tag, 16);
    zc_imb_upper_clean(k->arch);
    OPENSSL_cleanse(msg_state, sizeof(struct chacha20_poly1305_context_data));
    return 1;
}

/*
 * A whole record through the job API: for small records it costs well under
 * the direct API's init + update + finalize (ipsec-mb 1.3: 64 B in ~210 ns
 * against ~360 ns). Jobs are synchronous here: this thread's manager never
 * holds another job, so submit-then-flush returns ours.
 */
static int zc_imb_cp_oneshot(const void *key_state, const unsigned char *iv, size_t ivlen,
                             const unsigned char *aad, size_t aadlen, unsigned char *out,
                             const unsigned char *in, size_t len, unsigned char tag[16], int enc)
{
    const zc_imb_cp_key *k = key_state;
    IMB_MGR *m;
    IMB_JOB *job;

    if (len == 0 || ivlen != 12)
        return -1;
    if ((m = zc_imb_mgr_get(k->arch)) == NULL)
        return 0;
    job = IMB_GET_NEXT_JOB(m);
    job->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
    job->chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
    job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
    job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
    job->enc_keys = k->key;
    job->dec_keys = k->key;
    job->key_len_in_bytes = 32;
    job->src = in;
    job->dst = out;
    job->cipher_start_src_offset_in_bytes = 0;
    job->msg_len_to_cipher_in_bytes = len;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = len;
    job->iv = iv;
    job->iv_len_in_bytes = 12;
    job->u.CHACHA20_POLY1305.aad = aad;
    job->u.CHACHA20_POLY1305.aad_len_in_bytes = aadlen;
    job->auth_tag_output = tag;
    job->auth_tag_output_len_in_bytes = 16;
    job = IMB_SUBMIT_JOB(m);
    while (job == NULL)
        job = IMB_FLUSH_JOB(m);
    zc_imb_upper_clean(k->arch);
    return job->status == IMB_STATUS_COMPLETED;
}

/* Key setup is the only per-arch entry point: it stamps the arch into the key. */
#define ZC_IMB_ARCH_OPS(arch)                                                    \
    static int zc_imb_gcm128_setup_##arch(void *ks, const unsigned char *key)    \
    { return zc_imb_gcm_setup(ks, key, 16, arch); }                              \
    static int zc_imb_gcm192_setup_##arch(void *ks, const unsigned char *key)    \
    { return zc_imb_gcm_setup(ks, key, 24, arch); }                              \
    static int zc_imb_gcm256_setup_##arch(void *ks, const unsigned char *key)    \
    { return zc_imb_gcm_setup(ks, key, 32, arch); }                              \
    static int zc_imb_cp_setup_##arch(void *ks, const unsigned char *key)        \
    { return zc_imb_cp_setup(ks, key, arch); }

ZC_IMB_ARCH_OPS(ZC_IMB_SSE)
ZC_IMB_ARCH_OPS(ZC_IMB_AVX)
ZC_IMB_ARCH_OPS(ZC_IMB_AVX2)
ZC_IMB_ARCH_OPS(ZC_IMB_AVX512)

#define ZC_GCM_OPS(bits, arch) \
    [arch] = { zc_imb_gcm##bits##_setup_##arch, zc_imb_gcm_start, zc_imb_gcm_update, zc_imb_gcm_finish, \
               zc_imb_gcm_oneshot, zc_imb_gcm_batch, zc_imb_gcm_first }
#define ZC_CP_OPS(arch) \
    [arch] = { zc_imb_cp_setup_##arch, zc_imb_cp_start, zc_imb_cp_update, zc_imb_cp_finish, \
               zc_imb_cp_oneshot }

const zc_aead_ops zc_imb_gcm128_ops[ZC_IMB_ARCH_COUNT] = {
    ZC_GCM_OPS(128, ZC_IMB_SSE), ZC_GCM_OPS(128, ZC_IMB_AVX),
    ZC_GCM_OPS(128, ZC_IMB_AVX2), ZC_GCM_OPS(128, ZC_IMB_AVX512),
};
const zc_aead_ops zc_imb_gcm192_ops[ZC_IMB_ARCH_COUNT] = {
    ZC_GCM_OPS(192, ZC_IMB_SSE), ZC_GCM_OPS(192, ZC_IMB_AVX),
    ZC_GCM_OPS(192, ZC_IMB_AVX2), ZC_GCM_OPS(192, ZC_IMB_AVX512),
};
const zc_aead_ops zc_imb_gcm256_ops[ZC_IMB_ARCH_COUNT] = {
    ZC_GCM_OPS(256, ZC_IMB_SSE), ZC_GCM_OPS(256, ZC_IMB_AVX),
    ZC_GCM_OPS(256, ZC_IMB_AVX2), ZC_GCM_OPS(256, ZC_IMB_AVX512),
};
const zc_aead_ops zc_imb_chachapoly_ops[ZC_IMB_ARCH_COUNT] = {
    ZC_CP_OPS(ZC_IMB_SSE), ZC_CP_OPS(ZC_IMB_AVX),
    ZC_CP_OPS(ZC_IMB_AVX2), ZC_CP_OPS(ZC_IMB_AVX512),
};
