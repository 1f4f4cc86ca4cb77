/*
 * Bounded lock-free rings of pointers, many producers and many consumers.
 * Each cell carries a sequence number (D. Vyukov's bounded MPMC queue), so a
 * push or pop is one CAS on the shared index and never blocks on another
 * thread's progress except the one cell it is handing over. Capacity is
 * fixed at init: a full ring says so and the caller decides what to do.
 */
#ifndef ZC_RING_H
#define ZC_RING_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct zc_ring_cell {
    _Atomic size_t seq;
    void *item;
} zc_ring_cell;

typedef struct zc_ring {
    /* Producers and consumers hammer different indices: keep them apart. */
    _Alignas(64) _Atomic size_t head;   /* next cell to push */
    _Alignas(64) _Atomic size_t tail;   /* next cell to pop */
    _Alignas(64) size_t mask;
    zc_ring_cell *cells;
} zc_ring;

/* capacity must be a power of two >= 2. The one allocation happens here. */
int zc_ring_init(zc_ring *r, size_t capacity);
void zc_ring_fini(zc_ring *r);
/* 1 on success, 0 if full. */
int zc_ring_push(zc_ring *r, void *item);
/* The oldest item, or NULL if empty. */
void *zc_ring_pop(zc_ring *r);
/* Items waiting (a snapshot: exact only when nobody is pushing or popping). */
size_t zc_ring_depth(const zc_ring *r);

#endif
