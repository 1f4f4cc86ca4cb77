#include "config.h"

#include <stdint.h>
#include <openssl/crypto.h>
#include "zc_pool.h"

int zc_pool_init(zc_pool *p, size_t count, size_t objsize)
{
    size_t n = 2;

    while (n < count)
        n <<= 1;
    p->count = n;
    p->objsize = objsize;
    p->stride = (objsize + 63) & ~(size_t)63;
    if ((p->alloc_base = OPENSSL_zalloc(n * p->stride + 63)) == NULL)
        return 0;
    p->objects = (unsigned char *)(((uintptr_t)p->alloc_base + 63) & ~(uintptr_t)63);
    if (!zc_ring_init(&p->free, n)) {
        OPENSSL_free(p->alloc_base);
        p->alloc_base = NULL;
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        zc_ring_push(&p->free, p->objects + i * p->stride);
    return 1;
}

void zc_pool_fini(zc_pool *p)
{
    if (p->alloc_base == NULL)
        return;
    zc_ring_fini(&p->free);
    OPENSSL_clear_free(p->alloc_base, p->count * p->stride + 63);
    p->alloc_base = NULL;
}

void *zc_pool_get(zc_pool *p)
{
    return zc_ring_pop(&p->free);
}

void zc_pool_put(zc_pool *p, void *obj)
{
    /* Cannot fail: the ring holds exactly as many cells as objects. */
    zc_ring_push(&p->free, obj);
}

void *zc_pool_at(const zc_pool *p, size_t i)
{
    return p->objects + i * p->stride;
}
