/* SPDX-License-Identifier: MIT */
/* rwlock.c: a task-fair reader-writer lock with hand-off (like tokio's).
 *
 * One FIFO queue holds readers and writers. A newcomer takes the lock only
 * if nobody live is queued, so a queued writer blocks new readers and writers
 * cannot starve. On release the lock passes to the head of the queue: a
 * writer alone, or every reader up to the next writer. The engine records
 * the lock as writer-preferring, so a task that read-locks twice while a
 * writer queues is reported as the deadlock it is.
 */
#include "task/task_int.h"
#include "task/detect.h"

int tg_rwlock_init(tg_rwlock *l)
{
    if (!l)
        return TG_EINVAL;
    l->p.lock = 0;
    l->p.kind = TG__K_RWLOCK;
    l->readers = 0;
    l->writer = NULL;
    l->since = 0;
    l->q.head = l->q.tail = NULL;
    tg__det_res_init(&l->p, TG_RF_WRITER_PREF, (uintptr_t)__builtin_return_address(0));
    return 0;
}

int tg_rwlock_destroy(tg_rwlock *l)
{
    if (!l)
        return TG_EINVAL;
    if (l->readers || l->writer || l->q.head)
        return TG_EBUSY;
    tg__det_res_destroy(&l->p);
    return 0;
}

int tg__rwlock_try(tg_rwlock *l, struct tg__waiter *w)
{
    if (l->writer || tg__waitq_live_head(&l->q))
        return 0;
    if (w->op == TG_SEL_RDLOCK) {
        l->readers++;
        return 1;
    }
    if (l->readers)
        return 0;
    l->writer = w->park->task;
    return 1;
}

void tg__rwlock_grant(tg_rwlock *l, struct tg__wakes *k)
{
    struct tg__waiter *w;
    if (l->writer)
        return;
    while ((w = tg__waitq_claim_first(&l->q, TG_SEL_RDLOCK))) {
        l->readers++;
        tg__wakes_add(k, w);
    }
    if (l->readers == 0 && (w = tg__waitq_claim_first(&l->q, TG_SEL_WRLOCK))) {
        l->writer = w->park->task;
        tg__wakes_add(k, w);
    }
}

void tg__rwlock_won(tg_rwlock *l, struct tg_task *t, int write, uintptr_t pc)
{
    if (write) {
        l->since = tg__coarse();
        t->holds++;
    }
    if (tg__detect_on)
        tg__det_acquired(t, &l->p, write ? TG__MODE_WRITE : TG__MODE_READ, pc);
}

static int tg__rwlock_lock(tg_rwlock *l, int op, int64_t deadline, int flags, uintptr_t pc)
{
    struct tg_sel arm = { .op = op, .obj = l };
    int r = tg__task_block(&arm, 1, deadline, flags, pc);
    return r < 0 ? r : 0;
}

#define TG__PC ((uintptr_t)__builtin_return_address(0))
int tg_rwlock_rdlock(tg_rwlock *l) { return tg__rwlock_lock(l, TG_SEL_RDLOCK, TG_FOREVER, 0, TG__PC); }
int tg_rwlock_wrlock(tg_rwlock *l) { return tg__rwlock_lock(l, TG_SEL_WRLOCK, TG_FOREVER, 0, TG__PC); }
int tg_rwlock_rdlock_until(tg_rwlock *l, int64_t d) { return tg__rwlock_lock(l, TG_SEL_RDLOCK, d, 0, TG__PC); }
int tg_rwlock_wrlock_until(tg_rwlock *l, int64_t d) { return tg__rwlock_lock(l, TG_SEL_WRLOCK, d, 0, TG__PC); }
int tg_rwlock_tryrdlock(tg_rwlock *l) { return tg__rwlock_lock(l, TG_SEL_RDLOCK, 0, TG__B_TRY, TG__PC); }
int tg_rwlock_trywrlock(tg_rwlock *l) { return tg__rwlock_lock(l, TG_SEL_WRLOCK, 0, TG__B_TRY, TG__PC); }

int tg_rwlock_unlock(tg_rwlock *l)
{
    struct tg_task *t = tg__self();
    if (!t)
        return TG_ENOTASK;
    struct tg__wakes k = { 0 };
    int r = 0;
    int64_t held = 0;
    tg__spin_lock(&l->p.lock);
    if (l->writer == t) {
        l->writer = NULL;
        t->holds--;
        held = tg__coarse() - l->since;
    } else if (l->readers > 0) {
        l->readers--;
    } else {
        r = TG_EPERM;
    }
    if (r == 0)
        tg__rwlock_grant(l, &k);
    tg__spin_unlock(&l->p.lock);
    if (r == 0 && tg__detect_on) {
        tg__det_released(t, &l->p);
        if (tg__config.long_hold_ns && held > tg__config.long_hold_ns)
            tg__det_hazard_long_hold(t, &l->p, held);
    }
    tg__wakes_flush(&k);
    return r;
}
