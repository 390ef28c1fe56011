/* SPDX-License-Identifier: MIT */
/* A home-made spinlock and reader-writer spinlock on C11 atomics, annotated
 * for tangle (include/tangle/annotate.h) as a program would do it. */
#ifndef TEST_SPIN_H
#define TEST_SPIN_H

#include <sched.h>
#include <stdatomic.h>
#include <tangle/annotate.h>

struct spin {
    atomic_int taken;
};

static inline void spin_init(struct spin *s)
{
    atomic_init(&s->taken, 0);
    tg_annotate_lock_create(s, 0);
}

static inline void spin_destroy(struct spin *s)
{
    tg_annotate_lock_destroy(s, 0);
}

__attribute__((noinline, unused)) static void spin_lock(struct spin *s)
{
    tg_annotate_pre_lock(s, 0);
    while (atomic_exchange_explicit(&s->taken, 1, memory_order_acquire))
        sched_yield();
    tg_annotate_post_lock(s, 0, 0);
}

__attribute__((noinline, unused)) static int spin_trylock(struct spin *s)
{
    tg_annotate_pre_lock(s, TG_LOCK_TRY);
    int busy = atomic_exchange_explicit(&s->taken, 1, memory_order_acquire);
    tg_annotate_post_lock(s, TG_LOCK_TRY | (busy ? TG_LOCK_TRY_FAILED : 0), 0);
    return busy ? -1 : 0;
}

__attribute__((noinline, unused)) static void spin_unlock(struct spin *s)
{
    tg_annotate_pre_unlock(s, 0);
    atomic_store_explicit(&s->taken, 0, memory_order_release);
    tg_annotate_post_unlock(s, 0);
}

/* Readers count up from 0; a writer holds -1. */
struct rwspin {
    atomic_int state;
};

__attribute__((noinline, unused)) static void rwspin_rdlock(struct rwspin *l)
{
    tg_annotate_pre_lock(l, TG_LOCK_READ);
    for (;;) {
        int v = atomic_load(&l->state);
        if (v >= 0 && atomic_compare_exchange_weak(&l->state, &v, v + 1))
            break;
        sched_yield();
    }
    tg_annotate_post_lock(l, TG_LOCK_READ, 0);
}

__attribute__((noinline, unused)) static void rwspin_wrlock(struct rwspin *l)
{
    tg_annotate_pre_lock(l, 0);
    for (;;) {
        int v = 0;
        if (atomic_compare_exchange_weak(&l->state, &v, -1))
            break;
        sched_yield();
    }
    tg_annotate_post_lock(l, 0, 0);
}

__attribute__((noinline, unused)) static void rwspin_unlock(struct rwspin *l, int read)
{
    tg_annotate_pre_unlock(l, read ? TG_LOCK_READ : 0);
    if (read)
        atomic_fetch_sub(&l->state, 1);
    else
        atomic_store(&l->state, 0);
    tg_annotate_post_unlock(l, read ? TG_LOCK_READ : 0);
}

#endif
