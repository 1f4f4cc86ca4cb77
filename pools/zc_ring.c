#include "config.h"

#include <openssl/crypto.h>
#include "zc_ring.h"

int zc_ring_init(zc_ring *r, size_t capacity)
{
    if (capacity < 2 || (capacity & (capacity - 1)) != 0)
        return 0;
    if ((r->cells = OPENSSL_zalloc(capacity * sizeof(*r->cells))) == NULL)
        return 0;
    for (size_t i = 0; i < capacity; i++)
        atomic_init(&r->cells[i].seq, i);
    r->mask = capacity - 1;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return 1;
}

void zc_ring_fini(zc_ring *r)
{
    OPENSSL_free(r->cells);
    r->cells = NULL;
}

int zc_ring_push(zc_ring *r, void *item)
{
    size_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);

    for (;;) {
        zc_ring_cell *c = &r->cells[pos & r->mask];
        size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        long diff = (long)(seq - pos);

        if (diff == 0) {
            /* The cell is free for this lap: claim it by moving head on. */
            if (atomic_compare_exchange_weak_explicit(&r->head, &pos, pos + 1,
                                                      memory_order_relaxed,
                                                      memory_order_relaxed)) {
                c->item = item;
                atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
                return 1;
            }
        } else if (diff < 0) {
            return 0;   /* a whole lap behind: the ring is full */
        } else {
            pos = atomic_load_explicit(&r->head, memory_order_relaxed);
        }
    }
}

void *zc_ring_pop(zc_ring *r)
{
    size_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);

    for (;;) {
        zc_ring_cell *c = &r->cells[pos & r->mask];
        size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        long diff = (long)(seq - (pos + 1));

        if (diff == 0) {
            if (atomic_compare_exchange_weak_explicit(&r->tail, &pos, pos + 1,
                                                      memory_order_relaxed,
                                                      memory_order_relaxed)) {
                void *item = c->item;

                /* Hand the cell to the producer one lap ahead. */
                atomic_store_explicit(&c->seq, pos + r->mask + 1, memory_order_release);
                return item;
            }
        } else if (diff < 0) {
            return NULL;
        } else {
            pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
        }
    }
}

size_t zc_ring_depth(const zc_ring *r)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

    return head > tail ? head - tail : 0;
}
