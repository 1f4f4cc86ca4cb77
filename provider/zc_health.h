/*
 * Continuous health tests of SP 800-90B section 4.4 over a seed source's
 * output, one byte per sample: the repetition count test (4.4.1) and the
 * adaptive proportion test (4.4.2). The seed source claims full entropy,
 * H = 8 bits per sample, and the false-positive rate is alpha = 2^-40 per
 * test, the low end 90B allows, so a healthy source essentially never trips:
 *   RCT cutoff C = 1 + ceil(40 / 8) = 6 identical samples in a row;
 *   APT window W = 512 (non-binary samples), cutoff C = 1 +
 *   CRITBINOM(512, 2^-8, 1 - 2^-40) = 19 occurrences of the window's
 *   first sample.
 * A failure is sticky: the state stays failed until zc_health_init.
 */
#ifndef ZC_HEALTH_H
#define ZC_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#define ZC_HEALTH_RCT_CUTOFF   6
#define ZC_HEALTH_APT_WINDOW   512
#define ZC_HEALTH_APT_CUTOFF   19
/* 90B 4.3: the start-up test runs the continuous tests over this many
 * samples, which are then discarded. */
#define ZC_HEALTH_STARTUP_SAMPLES 1024

typedef enum zc_health_result {
    ZC_HEALTH_OK = 0,
    ZC_HEALTH_RCT_FAILED,
    ZC_HEALTH_APT_FAILED
} zc_health_result;

typedef struct zc_health {
    unsigned rct_count;     /* run length of rct_last (0: no sample yet) */
    unsigned apt_seen;      /* samples of the current window so far */
    unsigned apt_count;     /* occurrences of apt_first in the window */
    uint8_t rct_last, apt_first;
    zc_health_result failed;
} zc_health;

void zc_health_init(zc_health *h);
/* Runs both tests over n samples; returns the (sticky) result. */
zc_health_result zc_health_feed(zc_health *h, const unsigned char *s, size_t n);
const char *zc_health_name(zc_health_result r);

#endif
