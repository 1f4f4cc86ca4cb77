/*
 * Fixed-size object pools: every object is allocated once, at init, 64-byte
 * aligned (no false sharing between neighbours, and room for SIMD state);
 * get and put are a lock-free ring pop and push. After init nothing here
 * touches the heap, which is what keeps the async hot path allocation-free.
 */
#ifndef ZC_POOL_H
#define ZC_POOL_H

#include <stddef.h>
#include "zc_ring.h"

typedef struct zc_pool {
    zc_ring free;
    unsigned char *objects;     /* count * stride bytes, 64-byte aligned */
    void *alloc_base;
    size_t count, stride, objsize;
} zc_pool;

/* count is rounded up to a power of two. Objects start zeroed. */
int zc_pool_init(zc_pool *p, size_t count, size_t objsize);
/* Wipes every object (they may have held pointers to secrets) and frees. */
void zc_pool_fini(zc_pool *p);
/* NULL when every object is out. */
void *zc_pool_get(zc_pool *p);
void zc_pool_put(zc_pool *p, void *obj);
/* Every object, for scans (object i, i < p->count); valid until fini. */
void *zc_pool_at(const zc_pool *p, size_t i);

#endif
