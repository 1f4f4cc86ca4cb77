/*
 * Our own x86 SIMD primitives (intrinsics, compiled per function for the
 * instruction set they need, so the module still loads on any x86-64).
 * ChaCha20-Poly1305 runs on these in the avx512 and avx2 backends:
 * ipsec-mb 1.3's streaming ChaCha20-Poly1305 costs ~150 ns per update
 * call, more than the whole short record through them, and its AVX2
 * Poly1305 is scalar.
 */
#ifndef ZC_X86_INTERNAL_H
#define ZC_X86_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "zc_mode.h"
#include "zc_poly1305_64.h"

/* zc_x86_chacha.c: the zc_chachapoly_prims chacha20 contract; AVX-512F/VL. */
void zc_x86_chacha20_avx512(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                            unsigned char *out, const unsigned char *in, size_t nblocks);
/* The same on AVX2: eight blocks per vertical pass, 1-4 row-wise. */
void zc_x86_chacha20_avx2(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
                          unsigned char *out, const unsigned char *in, size_t nblocks);

/*
 * One block for each of sixteen packets (AVX-512F/VL) or eight (AVX2):
 * zc_chachapoly_prims chacha20_lanes, one source for both widths.
 */
void zc_x86_chacha20_lanes16(const uint32_t key[8], const uint32_t ctr[ZC_CP_LANES_MAX],
                             const uint32_t nonce[3][ZC_CP_LANES_MAX], unsigned char *ks);
void zc_x86_chacha20_lanes8(const uint32_t key[8], const uint32_t ctr[ZC_CP_LANES_MAX],
                            const uint32_t nonce[3][ZC_CP_LANES_MAX], unsigned char *ks);

/*
 * zc_x86_poly1305.c: zc_poly1305_64 blocks, long runs eight blocks at a
 * time on AVX-512 IFMA when the CPU has it, else four at a time on AVX2
 * (same state; the vector lanes are kept between runs, so finish through
 * zc_x86_poly1305_finish).
 */
void zc_x86_poly1305_blocks(void *st, const unsigned char *in, size_t nblocks);
void zc_x86_poly1305_finish(void *st, unsigned char tag[16]);

/*
 * zc_x86_poly1305_avx2.c: the same contract on AVX2 (four lanes of 26-bit
 * limbs), for CPUs without IFMA; also what the avx512 functions above use
 * where AVX-512 comes without IFMA.
 */
void zc_x86_poly1305_avx2_blocks(void *st, const unsigned char *in, size_t nblocks);
void zc_x86_poly1305_avx2_finish(void *st, unsigned char tag[16]);
/* zc_chachapoly_prims.poly_lanes on AVX2: eight packets at a time, one per 64-bit lane. */
void zc_x86_poly1305_avx2_lanes(const unsigned char (*key)[32], const zc_poly_lane_msg *msg,
                                size_t cnt, unsigned char *const tag[]);

/*
 * What both vector Poly1305s share: runs of at least min_blocks (first_min
 * before the powers of r exist) go to run in whole groups of lanes; the
 * rest goes to the scalar code, after collapse has summed the lanes into h.
 */
typedef struct zc_poly_vec {
    size_t min_blocks, first_min_blocks, lanes;
    void (*run)(zc_poly64 *st, const unsigned char *in, size_t nblocks);
    void (*collapse)(zc_poly64 *st);
} zc_poly_vec;

static inline void zc_poly_vec_blocks(const zc_poly_vec *v, zc_poly64 *s,
                                      const unsigned char *in, size_t nblocks)
{
    if (nblocks >= (s->pow_ready ? v->min_blocks : v->first_min_blocks)) {
        size_t nv = nblocks - nblocks % v->lanes;

        v->run(s, in, nv);
        in += 16 * nv, nblocks -= nv;
    }
    if (nblocks > 0) {
        if (s->vec_active)
            v->collapse(s);
        zc_poly1305_64_blocks(s, in, nblocks);
    }
}

static inline void zc_poly_vec_finish(const zc_poly_vec *v, zc_poly64 *s, unsigned char tag[16])
{
    if (s->vec_active)
        v->collapse(s);
    zc_poly1305_64_finish(s, tag); /* wipes the whole state, lanes included */
}

/* The ChaCha20-Poly1305 primitive tables of the avx512 and avx2 backends. */
extern const zc_chachapoly_prims zc_x86_chachapoly_avx512_prims;
extern const zc_chachapoly_prims zc_x86_chachapoly_avx2_prims;

#endif
