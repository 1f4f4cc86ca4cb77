/*
 * GHASH multiplication in GF(2^128) (SP 800-38D algorithm 1), one bit at a
 * time with masks instead of branches: constant time, no tables.
 */
#include "config.h"

#include "zc_portable_internal.h"

void zc_ghash_mul(const zc_ghash_key *h, uint64_t *xhi, uint64_t *xlo)
{
    uint64_t zhi = 0, zlo = 0, vhi = h->hi, vlo = h->lo;
    uint64_t x[2] = { *xhi, *xlo };

    for (int w = 0; w < 2; w++) {
        for (int i = 63; i >= 0; i--) {
            uint64_t bit = 0 - ((x[w] >> i) & 1);
            uint64_t lsb = 0 - (vlo & 1);

            zhi ^= vhi & bit;
            zlo ^= vlo & bit;
            vlo = (vlo >> 1) | (vhi << 63);
            vhi = (vhi >> 1) ^ (UINT64_C(0xe1) << 56 & lsb);
        }
    }
    *xhi = zhi;
    *xlo = zlo;
}
