/* SPDX-License-Identifier: MIT */
/* park.c: withdrawing a task's waiters from their queues. The queues
 * themselves (push, unlink, claim) and waking are inline in task_int.h,
 * which says how they are guarded.
 */
#include "task/task_int.h"

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
