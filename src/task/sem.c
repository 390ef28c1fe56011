/* SPDX-License-Identifier: MIT */
/* sem.c: a FIFO counting semaphore with hand-off.
 *
 * A released permit goes straight to the first live waiter, so a newcomer
 * never takes a permit someone has been waiting for. By default permits are
 * owned: the engine records each acquire as a hold, so reports show who
 * holds the permits; a permit cycle is reported as a stall (see
 * tg_sem_init). TG_SEM_SIGNAL semaphores are plain signals and record no
 * holds.
 */
#include "task/task_int.h"
#include "task/detect.h"

int tg_sem_init(tg_sem *s, long permits, unsigned flags)
{
    if (!s || permits < 0 || (flags & ~(unsigned)TG_SEM_SIGNAL))
        return TG_EINVAL;
    s->p.lock = 0;
    s->p.kind = TG__K_SEM;
    s->permits = permits;
    s->flags = flags;
    s->q.head = s->q.tail = NULL;
    /* Permits of a semaphore that is not a signal return only through
     * their holders, so a permit wait depends on the holders: a permit
     * cycle is caught when it closes, not only as a stall. */
    tg__det_res_init(&s->p, (flags & TG_SEM_SIGNAL) ? 0 : TG_RF_OWNED_PERMITS,
                     (uintptr_t)__builtin_return_address(0));
    return 0;
}

int tg_sem_destroy(tg_sem *s)
{
    if (!s)
        return TG_EINVAL;
    if (s->q.head)
        return TG_EBUSY;
    tg__det_res_destroy(&s->p);
    return 0;
}

int tg__sem_try(tg_sem *s, struct tg__waiter *w)
{
    (void)w;
    if (s->permits == 0 || tg__waitq_live_head(&s->q))
        return 0;
    s->permits--;
    return 1;
}

void tg__sem_grant(tg_sem *s, struct tg__wakes *k)
{
    struct tg__waiter *w;
    while (s->permits > 0 && (w = tg__waitq_claim_first(&s->q, -1))) {
        s->permits--;
        tg__wakes_add(k, w);
    }
}

void tg__sem_won(tg_sem *s, struct tg_task *t, uintptr_t pc)
{
    if (tg__detect_on && !(s->flags & TG_SEM_SIGNAL))
        tg__det_acquired(t, &s->p, TG__MODE_EXCL, pc);
}

static int tg__sem_acquire(tg_sem *s, int64_t deadline, int flags, uintptr_t pc)
{
    struct tg_sel arm = { .op = TG_SEL_ACQUIRE, .obj = s };
    int r = tg__task_block(&arm, 1, deadline, flags, pc);
    return r < 0 ? r : 0;
}

#define TG__PC ((uintptr_t)__builtin_return_address(0))
int tg_sem_acquire(tg_sem *s) { return tg__sem_acquire(s, TG_FOREVER, 0, TG__PC); }
int tg_sem_acquire_until(tg_sem *s, int64_t d) { return tg__sem_acquire(s, d, 0, TG__PC); }
int tg_sem_tryacquire(tg_sem *s) { return tg__sem_acquire(s, 0, TG__B_TRY, TG__PC); }

int tg_sem_release(tg_sem *s)
{
    struct tg_task *t = tg__self();
    if (!t)
        return TG_ENOTASK;
    if (tg__detect_on && !(s->flags & TG_SEM_SIGNAL))
        tg__det_released(t, &s->p);
    struct tg__wakes k = { 0 };
    tg__spin_lock(&s->p.lock);
    s->permits++;
    tg__sem_grant(s, &k);
    tg__spin_unlock(&s->p.lock);
    tg__wakes_flush(&k);
    return 0;
}
