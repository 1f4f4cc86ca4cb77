/*
 * The 64-bit Poly1305 state, shared by the scalar code in
 * zc_poly1305_64.c and vector code (x86 AVX-512 IFMA, x86 AVX2) that
 * converts the accumulator to its own limbs for a long run and back, so a
 * message can move between the two at any block.
 */
#ifndef ZC_POLY1305_64_H
#define ZC_POLY1305_64_H

#include <stdint.h>
#include "zc_mode.h"

typedef struct zc_poly64 {
    /* r (clamped) and s1 = r1 + r1 / 4; h = h0 + h1 2^64 + h2 2^128, h2 < 8. */
    uint64_t r[2], s1, h[3], pad[2];
    /* Vector code only, one layout per CPU: powers of r filled on the first
     * long input (pow_ready); while vec_active, h is stale and the value
     * lives in the lanes of acc, lane j still owing pow's lane j. All wiped
     * with the rest. */
    uint64_t pow_ready, vec_active;
    union {
        struct { /* IFMA: 44/44/42-bit limbs, 8 lanes: r^8 .. r^1, and r^16 */
            uint64_t pow[3][8] __attribute__((aligned(64)));
            uint64_t acc[3][8] __attribute__((aligned(64)));
            uint64_t pow16[3];
        } ifma;
        struct { /* AVX2: 26-bit limbs, 4 lanes: r^4 .. r^1, and r^8 */
            uint64_t pow[5][4] __attribute__((aligned(32)));
            uint64_t acc[5][4] __attribute__((aligned(32)));
            uint64_t r8[5];
        } avx2;
    } v;
} zc_poly64;

_Static_assert(sizeof(zc_poly64) <= ZC_POLY_STATE_MAX, "Poly1305 state too large");

#endif
