/* zc-quic stream: protect -> UDP on 127.0.0.1 -> unprotect, with corruption. */
#ifndef ZC_QUIC_STREAM_H
#define ZC_QUIC_STREAM_H

#include <stddef.h>

typedef struct zc_quic_stream_opts {
    const char *aead;
    size_t packets;        /* packets the sender emits */
    size_t size;           /* payload bytes per packet (>= 32) */
    size_t corrupt_every;  /* every K-th packet is damaged on the way; 0: none */
    size_t async_jobs;     /* receiver unprotects inside this many ASYNC jobs; 0: sync */
    size_t burst;          /* packets per protect/unprotect call (1: per packet) */
} zc_quic_stream_opts;

/* Runs the pipeline, prints its report; 1 when every damaged packet was
 * dropped and every intact one accepted with the right content. */
int zc_quic_stream_run(const zc_quic_stream_opts *o);

#endif
