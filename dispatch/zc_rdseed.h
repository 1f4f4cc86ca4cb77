/*
 * RDSEED: the x86 instruction that returns output of the CPU's entropy
 * source (an SP 800-90B/C conditioned source, unlike RDRAND's DRBG output).
 * It may report "no data" while the source refills, so each 64-bit draw is
 * retried a bounded number of times; past that the caller fails closed.
 * There is no fallback to RDRAND or to the OS (see provider/zc_seed.c).
 */
#ifndef ZC_RDSEED_H
#define ZC_RDSEED_H

#include <stddef.h>
#include <stdint.h>

/* Attempts per 64-bit draw before giving up (Intel's guidance: RDSEED can
 * underflow under contention; a short pause between tries lets it refill). */
#define ZC_RDSEED_TRIES 1024

/* 1 if this CPU has RDSEED and ZC_X86CAP does not hide it. */
int zc_rdseed_available(void);

/*
 * Fills buf with len bytes of RDSEED output. Returns 1, or 0 when one draw
 * got no data in ZC_RDSEED_TRIES attempts (buf is then wiped). *retries
 * grows by the attempts that returned no data.
 */
int zc_rdseed_fill(unsigned char *buf, size_t len, uint64_t *retries);

#endif
