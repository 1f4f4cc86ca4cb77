#include "config.h"

#include <openssl/crypto.h>
#include "zc_health.h"

void zc_health_init(zc_health *h)
{
    OPENSSL_cleanse(h, sizeof(*h));
    h->failed = ZC_HEALTH_OK;
}

/*
 * The samples are seed material: no branch or index depends on their
 * values, only on the position in the window (equalities become 0/1).
 */
zc_health_result zc_health_feed(zc_health *h, const unsigned char *s, size_t n)
{
    unsigned rct_fail = 0, apt_fail = 0;

    if (h->failed != ZC_HEALTH_OK)
        return h->failed;
    for (size_t i = 0; i < n; i++) {
        unsigned x = s[i];
        /* 4.4.1: a run of C identical samples is a failure. */
        unsigned same = (unsigned)(x == h->rct_last) & (unsigned)(h->rct_count > 0);

        h->rct_count = same * (h->rct_count + 1) + (1 - same);
        h->rct_last = (uint8_t)x;
        rct_fail |= (unsigned)(h->rct_count >= ZC_HEALTH_RCT_CUTOFF);
        /* 4.4.2: the window's first sample may recur fewer than C times. */
        if (h->apt_seen == 0) {
            h->apt_first = (uint8_t)x;
            h->apt_count = 1;
        } else {
            h->apt_count += (unsigned)(x == h->apt_first);
            apt_fail |= (unsigned)(h->apt_count >= ZC_HEALTH_APT_CUTOFF);
        }
        if (++h->apt_seen == ZC_HEALTH_APT_WINDOW)
            h->apt_seen = 0;
    }
    if (rct_fail)
        h->failed = ZC_HEALTH_RCT_FAILED;
    else if (apt_fail)
        h->failed = ZC_HEALTH_APT_FAILED;
    return h->failed;
}

const char *zc_health_name(zc_health_result r)
{
    switch (r) {
    case ZC_HEALTH_RCT_FAILED: return "repetition count test";
    case ZC_HEALTH_APT_FAILED: return "adaptive proportion test";
    default: return "none";
    }
}
