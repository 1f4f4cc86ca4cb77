/*
 * The bulk AES-GCM loop and the GHASH of segments, written once for any
 * vector width: included by a kernel file after it defines
 *
 *   ZC_BN(name)      the instance's name for name (e.g. name##_vaes512)
 *   ZC_BTARGET       the target attribute string of the instance
 *   ZC_BV, ZC_BL     the vector type and the 16-byte blocks it holds
 *   ZC_BV_LOAD(p) ZC_BV_STORE(p, v) ZC_BV_XOR(a, b) ZC_BV_XOR3(a, b, c)
 *   ZC_BV_ZERO() ZC_BV_BCAST(m128) ZC_BV_BSWAP(v) ZC_BV_ADD32(a, b)
 *   ZC_BV_AESENC(v, k) ZC_BV_AESLAST(v, k) ZC_BV_CLMUL(a, b, imm)
 *   ZC_BV_FOLD(v)    the XOR of the vector's 128-bit lanes
 *   ZC_BV_SWAP64(v)  the two 64-bit halves of each lane swapped
 *   ZC_BV_ZEXT(m128) ZC_BV_LANES(c0, step)  dword 0 of lane i = c0 + i * step
 *   ZC_BV_LOAD_PART(p, n)  n (< the vector's bytes) bytes, zero-padded
 *   ZC_BV_STORE_PART(p, v, n)  the first n bytes of v only
 *   ZC_BV_KEEP(v, n) v with its bytes from n on zeroed
 *
 * Also the AES rounds over counter vectors that every pass uses.
 *
 * Bulk = whole groups of ZC_BGV vectors: AES-CTR of group g runs with the
 * GHASH multiplies of a group's ciphertext interleaved into its rounds
 * (encrypt hashes group g - 1's output, just written; decrypt hashes
 * group g's input, so nothing waits), each block multiplied by its own
 * power of H and one reduction per group. The rounds count is a constant
 * in each copy, so round keys and the hash steps unroll into one stream.
 */

/* Vectors per group: eight AES states in flight cover the AES latency. */
#define ZC_BGV 8
#define ZC_BGB (ZC_BGV * ZC_BL)   /* blocks per group */
#define ZC_BVB (16 * ZC_BL)       /* bytes per vector */

#define ZC_BINLINE __attribute__((target(ZC_BTARGET), always_inline)) static inline

/*
 * s[0..n) = E_K of the next n vectors of counter blocks from *ctr (n
 * constant after inlining). Round keys are broadcast from memory as used.
 */
ZC_BINLINE void ZC_BN(zc_baes)(const zc_x86_gcm_key *k, ZC_BV *s, ZC_BV *ctr, const int n)
{
    const ZC_BV step = ZC_BV_LANES(ZC_BL, 0);
    const unsigned rounds = k->rounds;
    ZC_BV kr = ZC_BV_BCAST(_mm_load_si128((const __m128i *)k->rk[0]));

    _Pragma("GCC unroll 8")
    for (int i = 0; i < n; i++) {
        s[i] = ZC_BV_XOR(ZC_BV_BSWAP(*ctr), kr);
        *ctr = ZC_BV_ADD32(*ctr, step);
    }
    for (unsigned r = 1; r < rounds; r++) {
        kr = ZC_BV_BCAST(_mm_load_si128((const __m128i *)k->rk[r]));
        _Pragma("GCC unroll 8")
        for (int i = 0; i < n; i++)
            s[i] = ZC_BV_AESENC(s[i], kr);
    }
    kr = ZC_BV_BCAST(_mm_load_si128((const __m128i *)k->rk[rounds]));
    _Pragma("GCC unroll 8")
    for (int i = 0; i < n; i++)
        s[i] = ZC_BV_AESLAST(s[i], kr);
}

/* Counter blocks J0 + c0, J0 + c0 + 1, ... in the lanes, reflected (the
 * 32-bit counter in dword 0 of each lane, so adding wraps it as GCM does). */
ZC_BINLINE ZC_BV ZC_BN(zc_bctr0)(const unsigned char j0[16], uint32_t c0)
{
    return ZC_BV_ADD32(ZC_BV_BSWAP(ZC_BV_BCAST(_mm_loadu_si128((const __m128i *)j0))),
                       ZC_BV_LANES(c0, 1));
}

ZC_BINLINE void ZC_BN(zc_bclmul)(ZC_BV b, ZC_BV h, ZC_BV *lo, ZC_BV *mi, ZC_BV *hi)
{
    *lo = ZC_BV_XOR(*lo, ZC_BV_CLMUL(b, h, 0x00));
    *hi = ZC_BV_XOR(*hi, ZC_BV_CLMUL(b, h, 0x11));
    *mi = ZC_BV_XOR3(*mi, ZC_BV_CLMUL(b, h, 0x01), ZC_BV_CLMUL(b, h, 0x10));
}

ZC_BINLINE __m128i ZC_BN(zc_breduce)(ZC_BV lo, ZC_BV mi, ZC_BV hi)
{
    return zc_gcm_reduce(ZC_BV_FOLD(lo), ZC_BV_FOLD(mi), ZC_BV_FOLD(hi));
}

/*
 * One group: with aes, the next ZC_BGB counter blocks through AES and XORed
 * from in to out; with hp != NULL, the hash continued over the ZC_BGB blocks
 * at hp (read before out is written: decrypt in place hashes its input).
 */
ZC_BINLINE __m128i ZC_BN(zc_bgroup)(const ZC_BV *rk, const int rounds, ZC_BV *ctr, int aes,
                                    const unsigned char *in, unsigned char *out,
                                    const unsigned char *hp, const ZC_BV *hpow,
                                    const ZC_BV *hk, __m128i x)
{
    const ZC_BV step = ZC_BV_LANES(ZC_BL, 0);
    ZC_BV s[ZC_BGV], lo = ZC_BV_ZERO(), mi = lo, hi = lo;

    if (aes) {
        _Pragma("GCC unroll 8")
        for (int i = 0; i < ZC_BGV; i++) {
            s[i] = ZC_BV_XOR(ZC_BV_BSWAP(*ctr), rk[0]);
            *ctr = ZC_BV_ADD32(*ctr, step);
        }
    }
    /* At least nine rounds: one hash vector rides in each of rounds 1..8. */
    _Pragma("GCC unroll 14")
    for (int r = 1; r < rounds; r++) {
        if (aes) {
            _Pragma("GCC unroll 8")
            for (int i = 0; i < ZC_BGV; i++)
                s[i] = ZC_BV_AESENC(s[i], rk[r]);
        }
        if (hp != NULL && r <= ZC_BGV) {
            const int i = r - 1;
            ZC_BV b = ZC_BV_BSWAP(ZC_BV_LOAD(hp + i * ZC_BVB));

            if (i == 0)
                b = ZC_BV_XOR(b, ZC_BV_ZEXT(x));
            /* Karatsuba: three multiplies a block, the middle one of the
             * halves' sums (hk holds H's, made once per call); the
             * multiplier shares the vector pipes with AES. */
            lo = ZC_BV_XOR(lo, ZC_BV_CLMUL(b, hpow[i], 0x00));
            hi = ZC_BV_XOR(hi, ZC_BV_CLMUL(b, hpow[i], 0x11));
            mi = ZC_BV_XOR(mi, ZC_BV_CLMUL(ZC_BV_XOR(b, ZC_BV_SWAP64(b)), hk[i], 0x00));
        }
    }
    if (aes) {
        _Pragma("GCC unroll 8")
        for (int i = 0; i < ZC_BGV; i++)
            ZC_BV_STORE(out + i * ZC_BVB,
                        ZC_BV_XOR(ZC_BV_LOAD(in + i * ZC_BVB), ZC_BV_AESLAST(s[i], rk[rounds])));
    }
    return hp != NULL ? ZC_BN(zc_breduce)(lo, ZC_BV_XOR3(mi, lo, hi), hi) : x;
}

ZC_BINLINE void ZC_BN(zc_bwipe)(ZC_BV *v, int n)
{
    for (int i = 0; i < n; i++) {
        ZC_BV_STORE(v + i, ZC_BV_ZERO());
        __asm__ volatile("" : : "r"(v) : "memory");
    }
}

/*
 * The data after the last whole group (n bytes, under a group) and the
 * length block: one vector at a time (out-of-order execution overlaps
 * their AES chains), every block with its power of H, one reduction.
 */
ZC_BINLINE __m128i ZC_BN(zc_btail)(const zc_x86_gcm_key *k, const ZC_BV *rk, const int rounds,
                                   ZC_BV *ctr, unsigned char *out, const unsigned char *in,
                                   size_t n, __m128i x, int enc, const zc_gcm_fin *fin)
{
    const ZC_BV step = ZC_BV_LANES(ZC_BL, 0);
    const size_t tb = (n + 15) / 16;
    /* Tail block q is multiplied by H^(tb + 1 - q), the length block by H^1;
     * past the powers kept (a tail of a whole group's blocks), the tail is
     * reduced alone and the length block multiplied after. */
    const int split = tb + 1 > ZC_X86_GCM_POWERS;
    const unsigned char *hpow = ZC_GCM_HP(k, ZC_X86_GCM_POWERS - tb - (split ? 0 : 1));
    const __m128i h1 = _mm_load_si128((const __m128i *)ZC_GCM_HP(k, ZC_X86_GCM_POWERS - 1));
    __m128i l = _mm_set_epi64x((long long)(fin->aadlen * 8), (long long)(fin->ctlen * 8));
    ZC_BV lo = ZC_BV_ZERO(), mi = lo, hi = lo;
    __m128i lo1, mi1, hi1;

    if (fin->xpre != NULL)
        _mm_storeu_si128((__m128i *)fin->xpre, x);
    if (n == 0)
        l = _mm_xor_si128(l, x);
    for (size_t off = 0, i = 0; off < n; off += ZC_BVB, i++) {
        const size_t c = n - off < ZC_BVB ? n - off : ZC_BVB;
        ZC_BV v = ZC_BV_XOR(ZC_BV_BSWAP(*ctr), rk[0]), d, o, ct;

        *ctr = ZC_BV_ADD32(*ctr, step);
        _Pragma("GCC unroll 14")
        for (int r = 1; r < rounds; r++)
            v = ZC_BV_AESENC(v, rk[r]);
        v = ZC_BV_AESLAST(v, rk[rounds]);
        d = c == ZC_BVB ? ZC_BV_LOAD(in + off) : ZC_BV_LOAD_PART(in + off, c);
        o = ZC_BV_XOR(d, v);
        if (c == ZC_BVB) {
            ZC_BV_STORE(out + off, o);
            ct = enc ? o : d;
        } else {
            ZC_BV_STORE_PART(out + off, o, c);
            ct = enc ? ZC_BV_KEEP(o, c) : d;
            if (fin->ks_tail != NULL && c % 16 != 0) {
                unsigned char ks[ZC_BVB];

                ZC_BV_STORE(ks, v);
                memcpy(fin->ks_tail, ks + c / 16 * 16, 16);
                zc_gcm_wipe(ks, sizeof(ks));
            }
        }
        if (fin->pend != NULL)
            ZC_BV_STORE(fin->pend + off, ct);
        ct = ZC_BV_BSWAP(ct);
        if (i == 0)
            ct = ZC_BV_XOR(ct, ZC_BV_ZEXT(x));
        ZC_BN(zc_bclmul)(ct, ZC_BV_LOAD(hpow + i * ZC_BVB), &lo, &mi, &hi);
    }
    if (split) {
        l = _mm_xor_si128(l, ZC_BN(zc_breduce)(lo, mi, hi));
        lo = mi = hi = ZC_BV_ZERO();
    }
    lo1 = _mm_xor_si128(ZC_BV_FOLD(lo), _mm_clmulepi64_si128(l, h1, 0x00));
    mi1 = _mm_xor_si128(ZC_BV_FOLD(mi), _mm_xor_si128(_mm_clmulepi64_si128(l, h1, 0x01),
                                                      _mm_clmulepi64_si128(l, h1, 0x10)));
    hi1 = _mm_xor_si128(ZC_BV_FOLD(hi), _mm_clmulepi64_si128(l, h1, 0x11));
    return zc_gcm_reduce(lo1, mi1, hi1);
}

ZC_BINLINE void ZC_BN(zc_bulk_r)(const zc_x86_gcm_key *k, const int rounds,
                                 const unsigned char j0[16], uint32_t idx, unsigned char *out,
                                 const unsigned char *in, size_t groups, size_t rest,
                                 unsigned char xb[16], int enc, const zc_gcm_fin *fin)
{
    const size_t gb = ZC_BGB * 16;
    const unsigned char *hp0 = ZC_GCM_HP(k, ZC_X86_GCM_POWERS - ZC_BGB);
    ZC_BV rk[15], hpow[ZC_BGV], hk[ZC_BGV], ctr = ZC_BN(zc_bctr0)(j0, idx);
    __m128i x = _mm_loadu_si128((const __m128i *)xb);

    for (int r = 0; r <= rounds; r++)
        rk[r] = ZC_BV_BCAST(_mm_load_si128((const __m128i *)k->rk[r]));
    for (int i = 0; i < ZC_BGV; i++) {
        hpow[i] = ZC_BV_LOAD(hp0 + i * ZC_BVB);
        hk[i] = ZC_BV_XOR(hpow[i], ZC_BV_SWAP64(hpow[i]));
    }
    if (groups > 0 && enc) {
        x = ZC_BN(zc_bgroup)(rk, rounds, &ctr, 1, in, out, NULL, hpow, hk, x);
        for (size_t g = 1; g < groups; g++)
            x = ZC_BN(zc_bgroup)(rk, rounds, &ctr, 1, in + g * gb, out + g * gb,
                                 out + (g - 1) * gb, hpow, hk, x);
        x = ZC_BN(zc_bgroup)(rk, rounds, &ctr, 0, NULL, NULL, out + (groups - 1) * gb, hpow, hk, x);
    } else {
        for (size_t g = 0; g < groups; g++)
            x = ZC_BN(zc_bgroup)(rk, rounds, &ctr, 1, in + g * gb, out + g * gb, in + g * gb,
                                 hpow, hk, x);
    }
    if (fin != NULL)
        x = ZC_BN(zc_btail)(k, rk, rounds, &ctr, out + groups * gb, in + groups * gb, rest, x,
                            enc, fin);
    _mm_storeu_si128((__m128i *)xb, x);
    /* The round keys and powers of H copied to the stack are as secret as
     * the key: whole-vector stores (16-byte ones cost a quarter of a
     * 512-byte message here). */
    ZC_BN(zc_bwipe)(rk, 15);
    ZC_BN(zc_bwipe)(hpow, ZC_BGV);
    ZC_BN(zc_bwipe)(hk, ZC_BGV);
}

/* The kernel's bulk entry (see zc_x86_gcm_kernel.h): one copy per AES size. */
__attribute__((target(ZC_BTARGET))) static size_t
ZC_BN(zc_gcm_bulk)(const zc_x86_gcm_key *k, const unsigned char j0[16], uint32_t idx,
                   unsigned char *out, const unsigned char *in, size_t len,
                   unsigned char x[16], int enc, const zc_gcm_fin *fin)
{
    const size_t groups = len / (ZC_BGB * 16), rest = len % (ZC_BGB * 16);

    if (groups == 0 && fin == NULL)
        return 0;
    switch (k->rounds) {
    case 10: ZC_BN(zc_bulk_r)(k, 10, j0, idx, out, in, groups, rest, x, enc, fin); break;
    case 12: ZC_BN(zc_bulk_r)(k, 12, j0, idx, out, in, groups, rest, x, enc, fin); break;
    default: ZC_BN(zc_bulk_r)(k, 14, j0, idx, out, in, groups, rest, x, enc, fin); break;
    }
    return groups * ZC_BGB * 16;
}

/*
 * The kernel's ghash entry. Block q of a run of g (at most POWERS) is
 * multiplied by H^(g - q): hdesc holds the powers high to low, so the
 * blocks of a vector take consecutive entries, and the zero entries past
 * H^1 cover lanes beyond the run.
 */
__attribute__((target(ZC_BTARGET))) static void
ZC_BN(zc_gcm_ghash)(const zc_x86_gcm_key *k, unsigned char xb[16], const zc_gcm_seg *seg,
                    int nseg)
{
    size_t left = zc_gcm_seg_blocks(seg, nseg), g = 0, q = 0;
    __m128i x = _mm_loadu_si128((const __m128i *)xb);
    ZC_BV lo = ZC_BV_ZERO(), mi = lo, hi = lo;

    for (int i = 0; i < nseg; i++) {
        const unsigned char *p = seg[i].p;

        for (size_t rem = seg[i].len; rem > 0;) {
            size_t nb = (rem + 15) / 16, nbytes;
            ZC_BV b;

            if (q == g) {
                if (g != 0) {
                    x = ZC_BN(zc_breduce)(lo, mi, hi);
                    lo = mi = hi = ZC_BV_ZERO();
                }
                g = left < ZC_X86_GCM_POWERS ? left : ZC_X86_GCM_POWERS;
                left -= g, q = 0;
            }
            if (nb > ZC_BL)
                nb = ZC_BL;
            if (nb > g - q)
                nb = g - q;
            nbytes = rem < nb * 16 ? rem : nb * 16;
            b = ZC_BV_BSWAP(nbytes == ZC_BVB ? ZC_BV_LOAD(p) : ZC_BV_LOAD_PART(p, nbytes));
            if (q == 0)
                b = ZC_BV_XOR(b, ZC_BV_ZEXT(x));
            ZC_BN(zc_bclmul)(b, ZC_BV_LOAD(ZC_GCM_HP(k, ZC_X86_GCM_POWERS - g + q)), &lo, &mi, &hi);
            q += nb, p += nbytes, rem -= nbytes;
        }
    }
    if (g != 0)
        x = ZC_BN(zc_breduce)(lo, mi, hi);
    _mm_storeu_si128((__m128i *)xb, x);
}

#undef ZC_BINLINE
#undef ZC_BGV
#undef ZC_BGB
#undef ZC_BVB
