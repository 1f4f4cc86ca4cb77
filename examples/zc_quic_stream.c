#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <openssl/async.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include "zc_quic_pp.h"
#include "zc_quic_stream.h"

#define ZC_DCID_LEN 8
#define ZC_WINDOW   256        /* datagrams in flight before the sender waits */
#define ZC_MAX_JOBS 64
#define ZC_RUN_LIMIT_NS (120ULL * 1000000000ULL)

typedef enum { ZC_DMG_NONE, ZC_DMG_TRUNCATE, ZC_DMG_HEADER, ZC_DMG_PAYLOAD, ZC_DMG_TAG,
               ZC_DMG_WRONG_PN, ZC_DMG_REPLAY, ZC_DMG_COUNT } zc_damage;
static const char *const zc_damage_names[ZC_DMG_COUNT] = {
    "none", "truncated", "header-bit", "payload-bit", "tag-bit", "wrong-pn", "replay"
};

typedef struct zc_stream {
    const zc_quic_stream_opts *o;
    unsigned char key[32], iv[12], hp[32];
    size_t keylen;
    int tx, rx;
    unsigned long long sent, received;   /* datagrams; atomics */
    int sender_done;
    size_t injected[ZC_DMG_COUNT];
    size_t dropped[ZC_QUIC_ERR_COUNT], accepted, content_errors;
    unsigned long long *lat_ns;
    size_t nlat;
    unsigned long long rx_bytes;
    /* AEAD + header protection time alone: what bursts change (the UDP
     * syscalls around them dominate the end-to-end rate). */
    unsigned long long tx_ns, rx_ns, rx_timed;
    int tx_pipeline, rx_pipeline;
} zc_stream;

static unsigned long long zc_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static void zc_put64(unsigned char *p, unsigned long long v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (56 - 8 * i));
}

static unsigned long long zc_get64(const unsigned char *p)
{
    unsigned long long v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* Payload: seq | send time | bytes derived from seq (checked on receipt). */
static void zc_fill(unsigned char *p, size_t n, unsigned long long seq)
{
    zc_put64(p, seq);
    zc_put64(p + 8, zc_now_ns());
    for (size_t i = 16; i < n; i++)
        p[i] = (unsigned char)(seq * 131 + i * 7);
}

static int zc_check(const unsigned char *p, size_t n, unsigned long long *seq)
{
    *seq = zc_get64(p);
    for (size_t i = 16; i < n; i++)
        if (p[i] != (unsigned char)(*seq * 131 + i * 7))
            return 0;
    return 1;
}

/* ------------------------------------------------------------ sender */

static void *zc_sender(void *arg)
{
    zc_stream *s = arg;
    const zc_quic_stream_opts *o = s->o;
    size_t hdrlen = 1 + ZC_DCID_LEN + 4, cap = hdrlen + o->size + ZC_QUIC_TAG_LEN, nb = o->burst;
    unsigned char *payload[ZC_QUIC_BURST_MAX], *pkt[ZC_QUIC_BURST_MAX], *prev = malloc(cap);
    unsigned char hdr[1 + ZC_DCID_LEN + 4];
    size_t len[ZC_QUIC_BURST_MAX], prevlen = 0;
    uint64_t pns[ZC_QUIC_BURST_MAX];
    zc_damage dmg[ZC_QUIC_BURST_MAX];
    zc_quic_keys k;
    int have_keys = 0;

    for (size_t i = 0; i < ZC_QUIC_BURST_MAX; i++)
        payload[i] = i < nb ? malloc(o->size) : NULL, pkt[i] = i < nb ? malloc(cap) : NULL;
    for (size_t i = 0; i < nb; i++)
        if (payload[i] == NULL || pkt[i] == NULL)
            goto done;
    if (prev == NULL
        || !(have_keys = zc_quic_keys_init(&k, NULL, o->aead, s->key, s->keylen, s->iv, 12,
                                           s->hp, s->keylen)))
        goto done;
    s->tx_pipeline = nb > 1 && zc_quic_keys_can_burst(&k);
    hdr[0] = 0x43;                            /* short header, 4-byte pn */
    memset(hdr + 1, 0xdc, ZC_DCID_LEN);
    for (unsigned long long pn = 0; pn < o->packets; pn += nb) {
        unsigned long long start = zc_now_ns(), t;
        size_t n = o->packets - pn < nb ? (size_t)(o->packets - pn) : nb;

        /* Keep loopback's socket buffer from overflowing: losses would be
         * indistinguishable from drops. */
        while (pn + n - __atomic_load_n(&s->received, __ATOMIC_ACQUIRE) > ZC_WINDOW) {
            if (zc_now_ns() - start > ZC_RUN_LIMIT_NS)
                goto done;
            sched_yield();
        }
        for (size_t i = 0; i < n; i++) {
            unsigned long long q = pn + i;

            dmg[i] = ZC_DMG_NONE;
            if (o->corrupt_every && q % o->corrupt_every == o->corrupt_every - 1)
                dmg[i] = (zc_damage)(1 + (q / o->corrupt_every) % (ZC_DMG_COUNT - 1));
            if (dmg[i] == ZC_DMG_REPLAY && prevlen == 0 && i == 0)
                dmg[i] = ZC_DMG_TAG;
            zc_fill(payload[i], o->size, q);
            /* wrong-pn: sealed under another packet number with the same low bits. */
            pns[i] = dmg[i] == ZC_DMG_WRONG_PN ? q + (1ULL << 32) : q;
        }
        t = zc_now_ns();
        if (zc_quic_protect_burst(&k, n, pns, hdr, hdrlen, (const unsigned char *const *)payload,
                                  o->size, pkt, cap, len) != ZC_QUIC_OK)
            goto done;
        s->tx_ns += zc_now_ns() - t;
        for (size_t i = 0; i < n; i++) {
            unsigned long long q = pn + i;
            zc_damage d = dmg[i];

            switch (d) {
            case ZC_DMG_TRUNCATE: len[i] = 1 + (size_t)(q % (len[i] - 1)); break;
            case ZC_DMG_HEADER:   pkt[i][1 + q % (ZC_DCID_LEN + 4)] ^= 0x10; break;
            case ZC_DMG_PAYLOAD:  pkt[i][hdrlen + q % o->size] ^= 0x01; break;
            case ZC_DMG_TAG:      pkt[i][len[i] - 1 - q % ZC_QUIC_TAG_LEN] ^= 0x80; break;
            default: break;
            }
            if (d == ZC_DMG_REPLAY && prevlen == 0) {   /* nothing sent intact yet */
                d = ZC_DMG_TAG;
                pkt[i][len[i] - 1] ^= 0x80;
            }
            s->injected[d]++;
            if (d == ZC_DMG_REPLAY) {
                if (send(s->tx, prev, prevlen, 0) < 0)
                    goto done;
            } else if (send(s->tx, pkt[i], len[i], 0) < 0) {
                goto done;
            }
            if (d == ZC_DMG_NONE) {
                memcpy(prev, pkt[i], len[i]);
                prevlen = len[i];
            }
            __atomic_add_fetch(&s->sent, 1, __ATOMIC_RELEASE);
        }
    }
done:
    __atomic_store_n(&s->sender_done, 1, __ATOMIC_RELEASE);
    if (have_keys)
        zc_quic_keys_clear(&k);
    for (size_t i = 0; i < ZC_QUIC_BURST_MAX; i++)
        free(payload[i]), free(pkt[i]);
    free(prev);
    return NULL;
}

/* ------------------------------------------------------------ receiver */

typedef struct zc_rx_slot {
    zc_quic_keys k;
    ASYNC_JOB *job;
    ASYNC_WAIT_CTX *wctx;
    unsigned char buf[ZC_QUIC_MAX_PACKET];
    size_t len, hl, pl;
    uint64_t pn;
    int64_t largest;
    zc_quic_err err;
    int busy;
} zc_rx_slot;

static int zc_rx_job(void *arg)
{
    zc_rx_slot *slot = *(zc_rx_slot **)arg;

    slot->err = zc_quic_unprotect(&slot->k, slot->buf, slot->len, ZC_DCID_LEN, slot->largest,
                                  &slot->hl, &slot->pn, &slot->pl);
    return 1;
}

typedef struct zc_rx_state {
    int64_t largest;
    unsigned long long seen;   /* bit i: largest - i was accepted */
} zc_rx_state;

static void zc_rx_finish(zc_stream *s, zc_rx_state *st, zc_rx_slot *slot)
{
    unsigned long long seq;
    zc_quic_err e = slot->err;

    if (e == ZC_QUIC_OK) {
        /* Replays and packets older than the window are not accepted twice. */
        int64_t pn = (int64_t)slot->pn;

        if (pn > st->largest) {
            st->seen = pn - st->largest >= 64 ? 0 : st->seen << (pn - st->largest);
            st->seen |= 1;
            st->largest = pn;
        } else if (st->largest - pn >= 64 || (st->seen >> (st->largest - pn) & 1)) {
            e = ZC_QUIC_ERR_PN;
        } else {
            st->seen |= 1ULL << (st->largest - pn);
        }
    }
    if (e != ZC_QUIC_OK) {
        s->dropped[e]++;
    } else if (slot->pl != s->o->size || !zc_check(slot->buf + slot->hl, slot->pl, &seq)
               || seq != slot->pn) {
        s->content_errors++;
    } else {
        s->accepted++;
        s->rx_bytes += slot->pl;
        s->lat_ns[s->nlat++] = zc_now_ns() - zc_get64(slot->buf + slot->hl + 8);
    }
    slot->busy = 0;
    __atomic_add_fetch(&s->received, 1, __ATOMIC_RELEASE);
}

/* Runs (or resumes) the slot's job; finishes it when it completes. */
static void zc_rx_step(zc_stream *s, zc_rx_state *st, zc_rx_slot *slot)
{
    int ret;
    zc_rx_slot *arg = slot;

    switch (ASYNC_start_job(&slot->job, slot->wctx, &ret, zc_rx_job, &arg, sizeof(arg))) {
    case ASYNC_FINISH:
        slot->job = NULL;
        zc_rx_finish(s, st, slot);
        break;
    case ASYNC_PAUSE:
        break;
    default:                   /* no job could be started: do it here */
        slot->job = NULL;
        zc_rx_job(&arg);
        zc_rx_finish(s, st, slot);
        break;
    }
}

/*
 * The synchronous receiver in bursts: up to o->burst datagrams that are
 * already queued (a GSO/GRO batch's worth), unprotected in one call, then
 * judged one by one (replay window, content) like the per-packet path.
 */
static void zc_receiver_burst(zc_stream *s)
{
    size_t nb = s->o->burst;
    zc_rx_slot *slots = calloc(nb, sizeof(*slots));
    unsigned char *bufs[ZC_QUIC_BURST_MAX], *scratch[ZC_QUIC_BURST_MAX];
    size_t lens[ZC_QUIC_BURST_MAX], hl[ZC_QUIC_BURST_MAX], pl[ZC_QUIC_BURST_MAX];
    uint64_t pns[ZC_QUIC_BURST_MAX];
    zc_quic_err errs[ZC_QUIC_BURST_MAX];
    zc_rx_state st = { -1, 0 };
    unsigned long long idle_since = 0, start = zc_now_ns();
    size_t nscratch = 0;
    int have_keys = 0;

    if (slots == NULL
        || !(have_keys = zc_quic_keys_init(&slots[0].k, NULL, s->o->aead, s->key, s->keylen,
                                           s->iv, 12, s->hp, s->keylen)))
        goto done;
    for (; nscratch < nb; nscratch++)
        if ((scratch[nscratch] = malloc(ZC_QUIC_MAX_PACKET)) == NULL)
            goto done;
    s->rx_pipeline = zc_quic_keys_can_burst(&slots[0].k);
    for (;;) {
        struct pollfd pfd = { s->rx, POLLIN, 0 };
        size_t n = 0;

        if (__atomic_load_n(&s->sender_done, __ATOMIC_ACQUIRE)
            && __atomic_load_n(&s->received, __ATOMIC_ACQUIRE)
               == __atomic_load_n(&s->sent, __ATOMIC_ACQUIRE))
            break;
        if (zc_now_ns() - start > ZC_RUN_LIMIT_NS)
            break;
        if (poll(&pfd, 1, 50) <= 0) {
            /* Sender finished but datagrams went missing: give up after 2 s. */
            if (__atomic_load_n(&s->sender_done, __ATOMIC_ACQUIRE)) {
                if (idle_since == 0)
                    idle_since = zc_now_ns();
                else if (zc_now_ns() - idle_since > 2000000000ULL)
                    break;
            }
            continue;
        }
        idle_since = 0;
        while (n < nb) {
            ssize_t r = recv(s->rx, slots[n].buf, sizeof(slots[n].buf), n ? MSG_DONTWAIT : 0);

            if (r < 0)
                break;
            bufs[n] = slots[n].buf, lens[n] = (size_t)r;
            n++;
        }
        if (n == 0)
            continue;
        unsigned long long t = zc_now_ns();
        zc_quic_unprotect_burst(&slots[0].k, n, bufs, lens, ZC_DCID_LEN, st.largest, hl, pns, pl,
                                errs, scratch);
        s->rx_ns += zc_now_ns() - t;
        s->rx_timed += n;
        for (size_t i = 0; i < n; i++) {
            slots[i].err = errs[i], slots[i].hl = hl[i], slots[i].pl = pl[i];
            slots[i].pn = pns[i];
            zc_rx_finish(s, &st, &slots[i]);
        }
    }
done:
    if (have_keys)
        zc_quic_keys_clear(&slots[0].k);
    for (size_t i = 0; i < nscratch; i++)
        free(scratch[i]);
    free(slots);
}

static void *zc_receiver(void *arg)
{
    zc_stream *s = arg;
    size_t nslots = s->o->async_jobs ? s->o->async_jobs : 1;
    zc_rx_slot *slots = calloc(nslots, sizeof(*slots));
    zc_rx_state st = { -1, 0 };
    unsigned long long idle_since = 0, start = zc_now_ns();

    if (s->o->burst > 1 && s->o->async_jobs == 0) {
        free(slots);
        zc_receiver_burst(s);
        return NULL;
    }
    if (slots == NULL)
        return NULL;
    for (size_t i = 0; i < nslots; i++) {
        if (!zc_quic_keys_init(&slots[i].k, NULL, s->o->aead, s->key, s->keylen, s->iv, 12,
                               s->hp, s->keylen)
            || (s->o->async_jobs && (slots[i].wctx = ASYNC_WAIT_CTX_new()) == NULL))
            goto done;
    }
    for (;;) {
        zc_rx_slot *free_slot = NULL;
        int inflight = 0;
        struct pollfd pfd = { s->rx, POLLIN, 0 };

        for (size_t i = 0; i < nslots; i++) {
            if (slots[i].busy) {
                inflight++;
                if (s->o->async_jobs)
                    zc_rx_step(s, &st, &slots[i]);
            }
            if (!slots[i].busy && free_slot == NULL)
                free_slot = &slots[i];
        }
        if (__atomic_load_n(&s->sender_done, __ATOMIC_ACQUIRE) && inflight == 0
            && __atomic_load_n(&s->received, __ATOMIC_ACQUIRE)
               == __atomic_load_n(&s->sent, __ATOMIC_ACQUIRE))
            break;
        if (zc_now_ns() - start > ZC_RUN_LIMIT_NS)
            break;
        if (free_slot == NULL)
            continue;
        if (poll(&pfd, 1, inflight ? 0 : 50) <= 0) {
            /* Sender finished but datagrams went missing: give up after 2 s. */
            if (__atomic_load_n(&s->sender_done, __ATOMIC_ACQUIRE)) {
                if (idle_since == 0)
                    idle_since = zc_now_ns();
                else if (zc_now_ns() - idle_since > 2000000000ULL && inflight == 0)
                    break;
            }
            continue;
        }
        idle_since = 0;
        ssize_t n = recv(s->rx, free_slot->buf, sizeof(free_slot->buf), 0);
        if (n < 0)
            continue;
        free_slot->len = (size_t)n;
        free_slot->largest = st.largest;
        free_slot->busy = 1;
        if (s->o->async_jobs) {
            zc_rx_step(s, &st, free_slot);
        } else {
            zc_rx_slot *a = free_slot;
            unsigned long long t = zc_now_ns();

            zc_rx_job(&a);
            s->rx_ns += zc_now_ns() - t;
            s->rx_timed++;
            zc_rx_finish(s, &st, free_slot);
        }
    }
done:
    for (size_t i = 0; i < nslots; i++) {
        zc_quic_keys_clear(&slots[i].k);
        ASYNC_WAIT_CTX_free(slots[i].wctx);
    }
    free(slots);
    return NULL;
}

/* ------------------------------------------------------------ report */

static int zc_cmp_ull(const void *a, const void *b)
{
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

    return x < y ? -1 : x > y;
}

static int zc_udp_pair(int *tx, int *rx)
{
    struct sockaddr_in a = { .sin_family = AF_INET }, b = { .sin_family = AF_INET };
    socklen_t al = sizeof(a), bl = sizeof(b);
    int buf = 8 << 20;

    a.sin_addr.s_addr = b.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((*tx = socket(AF_INET, SOCK_DGRAM, 0)) < 0 || (*rx = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
        return 0;
    setsockopt(*rx, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    if (bind(*tx, (struct sockaddr *)&a, sizeof(a)) != 0 || bind(*rx, (struct sockaddr *)&b, sizeof(b)) != 0
        || getsockname(*tx, (struct sockaddr *)&a, &al) != 0
        || getsockname(*rx, (struct sockaddr *)&b, &bl) != 0
        || connect(*tx, (struct sockaddr *)&b, sizeof(b)) != 0
        || connect(*rx, (struct sockaddr *)&a, sizeof(a)) != 0)
        return 0;
    return 1;
}

static void zc_print_zcrypto_stats(void)
{
    OSSL_PROVIDER *z;
    char *json = NULL;
    OSSL_PARAM p[2] = { OSSL_PARAM_utf8_string("zcrypto-stats", NULL, 0), OSSL_PARAM_END };

    if (!OSSL_PROVIDER_available(NULL, "zcrypto") || (z = OSSL_PROVIDER_load(NULL, "zcrypto")) == NULL) {
        printf("zcrypto stats: zcrypto not loaded\n");
        return;
    }
    if (OSSL_PROVIDER_get_params(z, p) && (json = malloc(p[0].return_size + 1)) != NULL) {
        p[0].data = json;
        p[0].data_size = p[0].return_size + 1;
        if (OSSL_PROVIDER_get_params(z, p))
            printf("zcrypto stats: %s", json);
    }
    free(json);
    OSSL_PROVIDER_unload(z);
}

int zc_quic_stream_run(const zc_quic_stream_opts *o)
{
    zc_stream s;
    pthread_t tt, rt;
    unsigned long long t0, dt;
    size_t corrupted, dropped = 0;
    int ok;

    memset(&s, 0, sizeof(s));
    s.o = o;
    s.keylen = strcmp(o->aead, "aes-128-gcm") == 0 ? 16 : 32;
    if (o->size < 32 || o->size > 60000 || o->async_jobs > ZC_MAX_JOBS || o->burst < 1
        || o->burst > ZC_QUIC_BURST_MAX) {
        fprintf(stderr, "zc-quic stream: --size 32..60000, --async-jobs 0..%d, --burst 1..%d\n",
                ZC_MAX_JOBS, ZC_QUIC_BURST_MAX);
        return 0;
    }
    if ((s.lat_ns = calloc(o->packets + 1, sizeof(*s.lat_ns))) == NULL
        || RAND_bytes(s.key, sizeof(s.key)) <= 0 || RAND_bytes(s.iv, 12) <= 0
        || RAND_bytes(s.hp, sizeof(s.hp)) <= 0 || !zc_udp_pair(&s.tx, &s.rx)) {
        fprintf(stderr, "zc-quic stream: setup failed: %s\n", strerror(errno));
        return 0;
    }
    t0 = zc_now_ns();
    pthread_create(&rt, NULL, zc_receiver, &s);
    pthread_create(&tt, NULL, zc_sender, &s);
    pthread_join(tt, NULL);
    pthread_join(rt, NULL);
    dt = zc_now_ns() - t0;
    close(s.tx), close(s.rx);

    corrupted = o->packets - s.injected[ZC_DMG_NONE];
    for (int e = 1; e < ZC_QUIC_ERR_COUNT; e++)
        dropped += s.dropped[e];
    qsort(s.lat_ns, s.nlat, sizeof(*s.lat_ns), zc_cmp_ull);
    printf("aead %s, %zu packets of %zu bytes, %s\n", o->aead, o->packets, o->size,
           o->async_jobs ? "receiver in ASYNC jobs" : "receiver synchronous");
    printf("sent %llu, accepted %zu, dropped %zu, content errors %zu, in %.3f s\n",
           s.sent, s.accepted, dropped, s.content_errors, dt / 1e9);
    printf("rate %.0f packets/s, %.1f MB/s; latency p50 %.1f us, p99 %.1f us\n",
           s.sent / (dt / 1e9), s.rx_bytes / (dt / 1e3), 
           s.nlat ? s.lat_ns[s.nlat / 2] / 1e3 : 0.0,
           s.nlat ? s.lat_ns[(s.nlat * 99) / 100] / 1e3 : 0.0);
    printf("aead + header protection alone, burst %zu: protect %.0f packets/s (%s), "
           "unprotect %.0f packets/s (%s)\n", o->burst,
           s.tx_ns ? s.sent / (s.tx_ns / 1e9) : 0.0,
           o->burst == 1 ? "per packet"
           : s.tx_pipeline ? "pipeline API" : "no pipeline API: per packet",
           s.rx_ns ? s.rx_timed / (s.rx_ns / 1e9) : 0.0,
           o->async_jobs ? "per packet, ASYNC jobs"
           : o->burst == 1 ? "per packet"
           : s.rx_pipeline ? "bursts as queued, pipeline API" : "no pipeline API: per packet");
    printf("damaged on the way:");
    for (int d = 1; d < ZC_DMG_COUNT; d++)
        printf(" %s=%zu", zc_damage_names[d], s.injected[d]);
    printf("\ndropped by reason:");
    for (int e = 1; e < ZC_QUIC_ERR_COUNT; e++)
        printf(" %s=%zu", zc_quic_err_name((zc_quic_err)e), s.dropped[e]);
    printf("\n");
    zc_print_zcrypto_stats();
    ok = s.sent == o->packets && s.content_errors == 0 && dropped == corrupted
         && s.accepted == o->packets - corrupted;
    printf("%s\n", ok ? "RESULT: every damaged packet dropped, every intact one accepted"
                      : "RESULT: FAILED");
    free(s.lat_ns);
    return ok;
}
