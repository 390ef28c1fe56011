/* SPDX-License-Identifier: MIT */
/* mutex.c: a FIFO mutex with hand-off.
 *
 * state is the owner task, with bit 0 set while waiters may be queued. An
 * uncontended lock or unlock is one compare-and-swap on state. With bit 0
 * set, unlock takes the spinlock and hands the mutex to the first waiter
 * whose park it claims: ownership moves without the mutex ever being free,
 * so a newcomer cannot overtake a waiter, and a select arm that already lost
 * is skipped.
 */
#include "task/task_int.h"
#include "task/detect.h"

#define TG__MW 1u /* waiters may be queued */

int tg_mutex_init(tg_mutex *m)
{
    if (!m)
        return TG_EINVAL;
    m->p.lock = 0;
    m->p.kind = TG__K_MUTEX;
    m->state = 0;
    m->since = 0;
    m->q.head = m->q.tail = NULL;
    tg__det_res_init(&m->p, 0, (uintptr_t)__builtin_return_address(0));
    return 0;
}

int tg_mutex_destroy(tg_mutex *m)
{
    if (!m)
        return TG_EINVAL;
    if (__atomic_load_n(&m->state, __ATOMIC_ACQUIRE) & ~(uintptr_t)TG__MW || m->q.head)
        return TG_EBUSY;
    tg__det_res_destroy(&m->p);
    return 0;
}

int tg__mutex_try(tg_mutex *m, struct tg__waiter *w)
{
    uintptr_t me = (uintptr_t)w->park->task;
    uintptr_t st = __atomic_load_n(&m->state, __ATOMIC_RELAXED);
    for (;;) {
        if (st == 0) {
            if (__atomic_compare_exchange_n(&m->state, &st, me, 1, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
                return 1;
        } else if (st & TG__MW ||
                   __atomic_compare_exchange_n(&m->state, &st, st | TG__MW, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            /* With the bit set, the owner's unlock needs our spinlock. */
            return 0;
        }
    }
}

/* The uncontended lock and unlock: one compare-and-swap (a compare and a
 * store on the solo thread). */
static inline int tg__mutex_cas(tg_mutex *m, uintptr_t from, uintptr_t to)
{
    return tg__cas(&m->state, &from, to);
}

/* t took m: the hold is counted (inlined in the fast path). With detection
 * on, the hold record counts it (a task that ends with entries in it stays
 * allocated, like one whose holds count is not 0). */
static inline __attribute__((always_inline)) void tg__mutex_took(tg_mutex *m, struct tg_task *t,
                                                                  uintptr_t pc)
{
    m->since = tg__coarse();
    if (tg__det_on())
        tg__det_hold_push(t, m, pc);
    else
        t->holds++;
}

void tg__mutex_won(tg_mutex *m, struct tg_task *t, uintptr_t pc)
{
    tg__mutex_took(m, t, pc);
}

/* Inlined into each caller: a call more would cost a tenth of the
 * uncontended lock. */
static inline __attribute__((always_inline)) int tg__mutex_lock(tg_mutex *m, int64_t deadline,
                                                                 int flags, uintptr_t pc)
{
    struct tg__sched *s = tg__sched_self;
    struct tg_task *t = s ? s->current : NULL;
    if (!t)
        return TG_ENOTASK;
    /* The last unit of budget is spent by tg__task_block, which yields:
     * the fast path stays free of calls. */
    if (__builtin_expect(--s->budget != 0, 1)) {
        if (tg__mutex_cas(m, 0, (uintptr_t)t)) {
            tg__mutex_took(m, t, pc);
            return 0;
        }
    }
    struct tg_sel arm = { .op = TG_SEL_LOCK, .obj = m };
    int r = tg__task_block(&arm, 1, deadline, flags, pc);
    return r < 0 ? r : 0;
}

int tg_mutex_lock(tg_mutex *m)
{
    return tg__mutex_lock(m, TG_FOREVER, 0, (uintptr_t)__builtin_return_address(0));
}

int tg_mutex_lock_until(tg_mutex *m, int64_t deadline)
{
    return tg__mutex_lock(m, deadline, 0, (uintptr_t)__builtin_return_address(0));
}

int tg__mutex_relock(tg_mutex *m, uintptr_t pc)
{
    return tg__mutex_lock(m, TG_FOREVER, TG__B_NOCANCEL, pc);
}

int tg_mutex_trylock(tg_mutex *m)
{
    struct tg_task *t = tg__self();
    if (!t)
        return TG_ENOTASK;
    if (!tg__mutex_cas(m, 0, (uintptr_t)t))
        return TG_EAGAIN;
    tg__mutex_took(m, t, (uintptr_t)__builtin_return_address(0));
    return 0;
}

/* The unlock of a mutex whose waiter bit is set: the first waiter whose
 * park this claims becomes the owner. Out of line, so that the uncontended
 * unlock saves no registers for it. */
static __attribute__((noinline)) void tg__mutex_hand_off(tg_mutex *m)
{
    struct tg__wakes k = { 0 };
    tg__spin_lock(&m->p.lock);
    struct tg__waiter *w = tg__waitq_claim_first(&m->q, -1);
    if (w) {
        tg__wakes_add(&k, w);
        __atomic_store_n(&m->state, (uintptr_t)w->park->task | (m->q.head ? TG__MW : 0), __ATOMIC_RELEASE);
    } else {
        __atomic_store_n(&m->state, 0, __ATOMIC_RELEASE);
    }
    tg__spin_unlock(&m->p.lock);
    tg__wakes_flush(&k);
}

int tg_mutex_unlock(tg_mutex *m)
{
    struct tg_task *t = tg__self();
    if (!t)
        return TG_ENOTASK;
    uintptr_t me = (uintptr_t)t;
    if ((__atomic_load_n(&m->state, __ATOMIC_RELAXED) & ~(uintptr_t)TG__MW) != me)
        return TG_EPERM;
    if (tg__det_on()) {
        tg__det_hold_pop(t, m);
        if (__builtin_expect(m->since < tg__long_hold_before, 0))
            tg__det_hazard_long_hold(t, &m->p, tg__coarse() - m->since);
    } else {
        t->holds--;
    }
    if (tg__mutex_cas(m, me, 0))
        return 0;
    tg__mutex_hand_off(m);
    return 0;
}

