/*
 * Each Poly1305 implementation compiled into zcrypto (portable 26-bit
 * limbs, 64-bit scalar, AVX-512 IFMA and AVX2 where this CPU has them) against
 * OpenSSL's POLY1305 MAC, an independent implementation, outside the
 * provider: the AEAD tests cannot reach a final value of h between p and
 * 2^130 (random data lands there with probability ~2^-128), so keys and
 * messages here are chosen to push h to the edges: r of 0, 1, 2 and every
 * clamp-allowed bit set, pad 0 and all ones (the final carry), blocks of
 * 0x00 and 0xff. Messages are fed in random runs of blocks so the vector
 * paths hand over to and from the scalar one mid-message.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include "zc_core_util.h"
#include "zc_mode.h"
#include "zc_poly1305_64.h"
#include "zc_portable_internal.h"
#ifdef ZC_HAVE_X86_AVX512
#include "zc_x86_internal.h"
#endif

typedef struct zc_poly_impl {
    const char *name;
    void (*init)(void *st, const unsigned char key[32]);
    void (*blocks)(void *st, const unsigned char *in, size_t nblocks);
    void (*finish)(void *st, unsigned char tag[16]);
    int (*runs_here)(void); /* NULL: on any CPU */
} zc_poly_impl;

#ifdef ZC_HAVE_X86_AVX512
static int zc_cpu_avx512f(void) { return __builtin_cpu_supports("avx512f"); }
static int zc_cpu_avx2(void) { return __builtin_cpu_supports("avx2"); }
#endif

static const zc_poly_impl zc_impls[] = {
    { "portable (26-bit)", zc_poly1305_init, zc_poly1305_blocks, zc_poly1305_finish, NULL },
#if defined(__SIZEOF_INT128__)
    { "64-bit scalar", zc_poly1305_64_init, zc_poly1305_64_blocks, zc_poly1305_64_finish, NULL },
#endif
#ifdef ZC_HAVE_X86_AVX512
    /* IFMA for runs of 8+ blocks when the CPU has it (else AVX2), scalar between */
    { "x86 avx512 (IFMA runs)", zc_poly1305_64_init, zc_x86_poly1305_blocks,
      zc_x86_poly1305_finish, zc_cpu_avx512f },
    { "x86 avx2 (4-lane runs)", zc_poly1305_64_init, zc_x86_poly1305_avx2_blocks,
      zc_x86_poly1305_avx2_finish, zc_cpu_avx2 },
#endif
};
#define ZC_NIMPLS (sizeof(zc_impls) / sizeof(zc_impls[0]))

#define ZC_MAX_BLOCKS 1100

static unsigned zc_seed0; /* as given or chosen: ZC_SEED=this reproduces a run */
static unsigned zc_seed;  /* rand_r's running state */

static void zc_reference(const unsigned char key[32], const unsigned char *msg, size_t len,
                         unsigned char tag[16])
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "POLY1305", "provider=default");
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    size_t outl = 0;

    ck_assert_msg(ctx != NULL, "default provider's POLY1305 unavailable");
    ck_assert(EVP_MAC_init(ctx, key, 32, NULL));
    ck_assert(EVP_MAC_update(ctx, msg, len));
    ck_assert(EVP_MAC_final(ctx, tag, &outl, 16) && outl == 16);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
}

/* Feeds nblocks in random runs (1..40 blocks, or all at once when split is 0). */
static void zc_run(const zc_poly_impl *im, const unsigned char key[32], const unsigned char *msg,
                   size_t nblocks, int split, unsigned char tag[16])
{
    unsigned char st[ZC_POLY_STATE_MAX] __attribute__((aligned(64)));
    size_t done = 0;

    im->init(st, key);
    while (done < nblocks) {
        size_t n = split ? 1 + (size_t)rand_r(&zc_seed) % 40 : nblocks;

        if (n > nblocks - done)
            n = nblocks - done;
        im->blocks(st, msg + 16 * done, n);
        done += n;
    }
    im->finish(st, tag);
}

static int zc_runs_here(const zc_poly_impl *im)
{
    return im->runs_here == NULL || im->runs_here();
}

static void zc_check_case(const unsigned char key[32], const unsigned char *msg, size_t nblocks,
                          const char *what)
{
    unsigned char want[16], got[16];

    zc_reference(key, msg, 16 * nblocks, want);
    for (size_t i = 0; i < ZC_NIMPLS; i++)
        for (int split = 0; split < 2 && zc_runs_here(&zc_impls[i]); split++) {
            zc_run(&zc_impls[i], key, msg, nblocks, split, got);
            ck_assert_msg(memcmp(want, got, 16) == 0,
                          "%s: %s, %zu blocks, %s (ZC_SEED=%u)", zc_impls[i].name, what,
                          nblocks, split ? "random runs" : "one call", zc_seed0);
        }
}

static void zc_fill(unsigned char *buf, size_t len, int pattern)
{
    switch (pattern) {
    case 0: memset(buf, 0x00, len); break;
    case 1: memset(buf, 0xff, len); break;
    case 2: /* 0xff with the top byte of each block 0xfe: h just under 2^130 */
        memset(buf, 0xff, len);
        for (size_t i = 15; i < len; i += 16)
            buf[i] = 0xfe;
        break;
    default:
        for (size_t i = 0; i < len; i++)
            buf[i] = (unsigned char)rand_r(&zc_seed);
    }
}

/* r kind 0-4: 0, 1, 2, every clamp-allowed bit (r as the 16 little-endian
 * bytes before clamping: clamping keeps them), random; pad kind 0-2: 0, all
 * ones, random. */
static void zc_edge_key(unsigned char key[32], int rk, int sk)
{
    static const unsigned char r_all[16] = { 0xff, 0xff, 0xff, 0x0f, 0xfc, 0xff, 0xff, 0x0f,
                                             0xfc, 0xff, 0xff, 0x0f, 0xfc, 0xff, 0xff, 0x0f };

    memset(key, 0, 32);
    if (rk == 1 || rk == 2)
        key[0] = (unsigned char)rk;
    else if (rk == 3)
        memcpy(key, r_all, 16);
    else if (rk == 4)
        zc_fill(key, 16, 3);
    if (sk == 1)
        memset(key + 16, 0xff, 16);
    else if (sk == 2)
        zc_fill(key + 16, 16, 3);
}

START_TEST(test_poly_edges)
{
    static const size_t lens[] = { 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 23, 24, 31, 32, 33,
                                   63, 64, 65, 100, 127, 128, 129, 257, 1024, 1099 };
    unsigned char key[32], *msg = malloc(16 * ZC_MAX_BLOCKS);
    int cases = 0;

    zc_seed = zc_seed0;
    ck_assert(msg != NULL);
    for (int rk = 0; rk < 5; rk++)
        for (int sk = 0; sk < 3; sk++)
            for (int pat = 0; pat < 4; pat++)
                for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
                    char what[64];

                    zc_edge_key(key, rk, sk);
                    zc_fill(msg, 16 * lens[li], pat);
                    snprintf(what, sizeof(what), "r kind %d, pad kind %d, pattern %d", rk, sk,
                             pat);
                    zc_check_case(key, msg, lens[li], what);
                    cases++;
                }
    printf("poly1305: %d edge cases x %zu implementations, ZC_SEED=%u\n", cases, ZC_NIMPLS,
           zc_seed0);
    free(msg);
}
END_TEST

START_TEST(test_poly_random)
{
    unsigned char key[32], *msg = malloc(16 * ZC_MAX_BLOCKS);

    zc_seed = zc_seed0 ^ 0x9e3779b9u;
    ck_assert(msg != NULL);
    const char *it = getenv("ZC_POLY_ITERS"); /* more for a stress run */
    int iters = it != NULL ? atoi(it) : 500;

    for (int i = 0; i < iters; i++) {
        size_t nblocks = 1 + (size_t)rand_r(&zc_seed) % (i % 5 != 4 ? 80 : ZC_MAX_BLOCKS);

        zc_fill(key, 32, 3);
        zc_fill(msg, 16 * nblocks, 3);
        zc_check_case(key, msg, nblocks, "random");
    }
    free(msg);
}
END_TEST

#ifdef ZC_HAVE_X86_AVX512
/*
 * The lanes (zc_chachapoly_prims.poly_lanes): 1 to 16 packets a call, each
 * with its own key (the edge kinds above) and four segments of 0 to 80
 * blocks in separate buffers, lengths mixed so lanes end at different
 * steps; every tag against the reference over the packet's concatenation.
 */
#define ZC_LANE_SEG_MAX 80

START_TEST(test_poly_lanes)
{
    enum { LANES = ZC_CP_LANES_MAX, SEGS = 4 };
    unsigned char(*seg)[SEGS][16 * ZC_LANE_SEG_MAX] = malloc(LANES * sizeof(*seg));
    unsigned char *cat = malloc(SEGS * 16 * ZC_LANE_SEG_MAX);
    unsigned char key[LANES][32], got[LANES][16], want[16];
    unsigned char *tag[LANES];
    zc_poly_lane_msg lm[LANES];
    int cases = 0;

    if (!__builtin_cpu_supports("avx2"))
        return; /* printed by main: not on this CPU */
    ck_assert(seg != NULL && cat != NULL);
    zc_seed = zc_seed0 ^ 0x51ed2705u;
    for (int round = 0; round < 400; round++) {
        size_t cnt = 1 + (size_t)rand_r(&zc_seed) % LANES;
        int same = round % 4 == 0; /* every lane the same shape */

        for (size_t j = 0; j < cnt; j++) {
            zc_edge_key(key[j], rand_r(&zc_seed) % 5, rand_r(&zc_seed) % 3);
            for (int i = 0; i < SEGS; i++) {
                size_t max = i == 2 ? ZC_LANE_SEG_MAX : 6;
                size_t n = same && j > 0 ? lm[0].nblocks[i] : (size_t)rand_r(&zc_seed) % (max + 1);

                zc_fill(seg[j][i], 16 * n, rand_r(&zc_seed) % 4);
                lm[j].seg[i] = n != 0 ? seg[j][i] : NULL;
                lm[j].nblocks[i] = n;
            }
            memset(got[j], 0xa5, 16);
            tag[j] = got[j];
        }
        zc_x86_poly1305_avx2_lanes((const unsigned char(*)[32])key, lm, cnt, tag);
        for (size_t j = 0; j < cnt; j++) {
            size_t len = 0;

            for (int i = 0; i < SEGS; i++) {
                if (lm[j].nblocks[i] != 0)
                    memcpy(cat + len, lm[j].seg[i], 16 * lm[j].nblocks[i]);
                len += 16 * lm[j].nblocks[i];
            }
            zc_reference(key[j], cat, len, want);
            ck_assert_msg(memcmp(want, got[j], 16) == 0,
                          "avx2 lanes: round %d, packet %zu of %zu, %zu blocks (ZC_SEED=%u)",
                          round, j, cnt, len / 16, zc_seed0);
            cases++;
        }
    }
    printf("poly1305 lanes (avx2): %d packets, ZC_SEED=%u\n", cases, zc_seed0);
    free(seg);
    free(cat);
}
END_TEST
#endif

int main(void)
{
    Suite *s = suite_create("zcrypto poly1305");
    TCase *tc = tcase_create("poly1305");
    const char *seed = getenv("ZC_SEED");

    zc_seed0 = seed != NULL ? (unsigned)strtoul(seed, NULL, 0) : (unsigned)time(NULL);
    printf("poly1305 implementations:");
    for (size_t i = 0; i < ZC_NIMPLS; i++)
        printf(" [%s%s]", zc_impls[i].name, zc_runs_here(&zc_impls[i]) ? "" : ": not on this CPU");
#ifdef ZC_HAVE_X86_AVX512
    printf(" (IFMA on this CPU: %s)", __builtin_cpu_supports("avx512ifma") ? "yes" : "no");
#endif
    printf("\n");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_poly_edges);
    tcase_add_test(tc, test_poly_random);
#ifdef ZC_HAVE_X86_AVX512
    tcase_add_test(tc, test_poly_lanes);
#endif
    suite_add_tcase(s, tc);
    return zc_util_run_suite(s);
}
