/* SPDX-License-Identifier: MIT */
/* cond.c: condition variables used with a tg_mutex.
 *
 * A waiter is queued on the condition before it releases the mutex, so a
 * signal sent after the release cannot be missed. Signals wake waiters in
 * FIFO order. The mutex is always re-taken before returning, even after a
 * timeout or a cancellation, so the caller can rely on holding it.
 */
#include "task/task_int.h"
#include "task/detect.h"

int tg_cond_init(tg_cond *c)
{
    if (!c)
        return TG_EINVAL;
    c->p.lock = 0;
    c->p.kind = TG__K_COND;
    c->q.head = c->q.tail = NULL;
    tg__det_res_init(&c->p, 0, (uintptr_t)__builtin_return_address(0));
    return 0;
}

int tg_cond_destroy(tg_cond *c)
{
    if (!c)
        return TG_EINVAL;
    if (c->q.head)
        return TG_EBUSY;
    tg__det_res_destroy(&c->p);
    return 0;
}

static int tg__cond_wait(tg_cond *c, tg_mutex *m, int64_t deadline, uintptr_t pc)
{
    struct tg_task *t = tg__self();
    if (!t)
        return TG_ENOTASK;
    if ((__atomic_load_n(&m->state, __ATOMIC_RELAXED) & ~(uintptr_t)1) != (uintptr_t)t)
        return TG_EPERM;
    if (__atomic_load_n(&t->cancelled, __ATOMIC_RELAXED))
        return TG_ECANCELED;
    struct tg__park p;
    struct tg__waiter w = { .park = &p, .arm = 0, .op = TG__OP_COND };
    tg__park_init(&p, t, deadline);
    __atomic_store_n(&t->claimed, 0, __ATOMIC_RELAXED);
    if (deadline == TG_FOREVER)
        p.lock = &c->p.lock; /* signals claim it holding the lock */
    tg__spin_lock(&c->p.lock);
    tg__waitq_push(&c->q, &c->p.lock, &w);
    tg__spin_unlock(&c->p.lock);
    tg_mutex_unlock(m);
    int published = tg__detect_on && t->actor;
    if (published)
        tg__det_park(t, TG__W_SIGNAL, c, NULL, deadline != TG_FOREVER, pc, 0);
    t->wait_obj = c;
    t->wait_pc = pc;
    int r = tg__park_wait(&p);
    t->wait_obj = NULL;
    if (published)
        tg__det_unpark(t);
    tg__waiter_withdraw(&w, r);
    tg__mutex_relock(m, pc);
    return r < 0 ? r : 0;
}

#define TG__PC ((uintptr_t)__builtin_return_address(0))
int tg_cond_wait(tg_cond *c, tg_mutex *m) { return tg__cond_wait(c, m, TG_FOREVER, TG__PC); }
int tg_cond_wait_until(tg_cond *c, tg_mutex *m, int64_t d) { return tg__cond_wait(c, m, d, TG__PC); }

static int tg__cond_wake(tg_cond *c, int all)
{
    struct tg__wakes k = { 0 };
    struct tg__waiter *w;
    tg__spin_lock(&c->p.lock);
    while ((w = tg__waitq_claim_first(&c->q, -1))) {
        tg__wakes_add(&k, w);
        if (!all)
            break;
    }
    tg__spin_unlock(&c->p.lock);
    tg__wakes_flush(&k);
    return 0;
}

int tg_cond_signal(tg_cond *c) { return tg__cond_wake(c, 0); }
int tg_cond_broadcast(tg_cond *c) { return tg__cond_wake(c, 1); }
