/* SPDX-License-Identifier: MIT */
/* park.c: FIFO wait queues of waiters, claiming and withdrawing them.
 *
 * A queue is guarded by its primitive's spinlock. A waiter is unlinked
 * exactly once: by whoever claims it, by a pruning pass that finds its park
 * already claimed by another arm, or by its own task withdrawing it. w->q is
 * NULL once unlinked; it is read without the lock only to skip a waiter that
 * is already gone (it never goes back to non-NULL).
 */
#include "task/task_int.h"

void tg__waitq_push(struct tg__waitq *q, int *lock, struct tg__waiter *w)
{
    struct tg__waiter *tail = (struct tg__waiter *)q->tail;
    w->next = NULL;
    w->prev = tail;
    w->lock = lock;
    if (tail)
        tail->next = w;
    else
        q->head = w;
    q->tail = w;
    __atomic_store_n(&w->q, q, __ATOMIC_RELAXED);
}

void tg__waitq_unlink(struct tg__waitq *q, struct tg__waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    w->prev = w->next = NULL;
    __atomic_store_n(&w->q, NULL, __ATOMIC_RELAXED);
}

static int tg__waiter_live(const struct tg__waiter *w)
{
    return __atomic_load_n(&w->park->outcome, __ATOMIC_ACQUIRE) == TG__PENDING;
}

struct tg__waiter *tg__waitq_live_head(struct tg__waitq *q)
{
    struct tg__waiter *w;
    while ((w = (struct tg__waiter *)q->head) && !tg__waiter_live(w))
        tg__waitq_unlink(q, w);
    return w;
}

struct tg__waiter *tg__waitq_claim_first(struct tg__waitq *q, int op)
{
    struct tg__waiter *w;
    while ((w = tg__waitq_live_head(q))) {
        if (op >= 0 && w->op != op)
            return NULL;
        tg__waitq_unlink(q, w);
        if (tg__park_claim_locked(w->park, w->arm))
            return w;
    }
    return NULL;
}

void tg__wakes_flush(struct tg__wakes *k)
{
    struct tg__waiter *w = k->head;
    while (w) {
        /* Once woken, the waiter's task may return and its stack reuse w. */
        struct tg__waiter *next = w->next;
        tg__park_wake(w->park);
        w = next;
    }
    k->head = k->tail = NULL;
}

void tg__waiters_withdraw(struct tg__waiter *ws, int n, int won)
{
    for (int i = 0; i < n; i++) {
        struct tg__waiter *w = &ws[i];
        if (i == won || !__atomic_load_n(&w->q, __ATOMIC_RELAXED))
            continue;
        struct tg__wakes k = { 0 };
        tg__spin_lock(w->lock);
        struct tg__waitq *q = w->q;
        if (q) {
            tg__waitq_unlink(q, w);
            /* A lost reader or permit waiter at the head may have held back
             * the waiters behind it: let the primitive grant them now. */
            if (w->op == TG_SEL_RDLOCK || w->op == TG_SEL_WRLOCK)
                tg__rwlock_grant((tg_rwlock *)((char *)w->lock - offsetof(tg_rwlock, p.lock)), &k);
            else if (w->op == TG_SEL_ACQUIRE)
                tg__sem_grant((tg_sem *)((char *)w->lock - offsetof(tg_sem, p.lock)), &k);
        }
        tg__spin_unlock(w->lock);
        tg__wakes_flush(&k);
    }
}
