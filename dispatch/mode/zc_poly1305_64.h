/*
 * The 64-bit Poly1305 state, shared by the scalar code in
 * zc_poly1305_64.c and vector code (x86 AVX-512 IFMA) that converts the
 * accumulator to its own limbs for a long run and back, so a message can
 * move between the two at any block.
 */
#ifndef ZC_POLY1305_64_H
#define ZC_POLY1305_64_H

#include <stdint.h>
#include "zc_mode.h"

typedef struct zc_poly64 {
    /* r (clamped) and s1 = r1 + r1 / 4; h = h0 + h1 2^64 + h2 2^128, h2 < 8. */
    uint64_t r[2], s1, h[3], pad[2];
    /* Vector code only: r^8 .. r^1 in 44/44/42-bit limbs, lane i holding
     * r^(8-i), and r^16; filled on the first long input. While vec_active,
     * h is stale and the value lives in acc (lane j still owed r^(8-j)).
     * All wiped with the rest. */
    uint64_t pow_ready, vec_active;
    uint64_t pow[3][8] __attribute__((aligned(64)));
    uint64_t acc[3][8] __attribute__((aligned(64)));
    uint64_t pow16[3];
} zc_poly64;

_Static_assert(sizeof(zc_poly64) <= ZC_POLY_STATE_MAX, "Poly1305 state too large");

#endif
