#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include "zc_cpu.h"
#include "zc_rdseed.h"

#if defined(__x86_64__)
#include <immintrin.h>

int zc_rdseed_available(void)
{
    return (zc_cpu_features() & ZC_CPU_RDSEED) != 0;
}

/* One 64-bit draw with bounded retries; 0 if the source stayed empty. */
__attribute__((target("rdseed"))) static int zc_rdseed64(unsigned long long *v, uint64_t *retries)
{
    for (int i = 0; i < ZC_RDSEED_TRIES; i++) {
        if (_rdseed64_step(v))
            return 1;
        (*retries)++;
        _mm_pause();
    }
    return 0;
}

int zc_rdseed_fill(unsigned char *buf, size_t len, uint64_t *retries)
{
    unsigned long long v;

    if (!zc_rdseed_available())
        return 0;
    for (size_t off = 0; off < len; off += sizeof(v)) {
        size_t n = len - off < sizeof(v) ? len - off : sizeof(v);

        if (!zc_rdseed64(&v, retries)) {
            OPENSSL_cleanse(buf, len);
            return 0;
        }
        memcpy(buf + off, &v, n);
    }
    OPENSSL_cleanse(&v, sizeof(v));
    return 1;
}

#else

int zc_rdseed_available(void)
{
    return 0;
}

int zc_rdseed_fill(unsigned char *buf, size_t len, uint64_t *retries)
{
    OPENSSL_cleanse(buf, len);
    return 0;
}

#endif
