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

#include <stdlib.h>

int tg_sem_init(tg_sem *s, long permits, unsigned flags)
{
    if (!s || permits < 0 || (flags & ~(unsigned)TG_SEM_SIGNAL))
        return TG_EINVAL;
    s->p.lock = 0;
    s->p.kind = TG__K_SEM;
    s->permits = permits;
    s->flags = flags;
    s->q.head = s->q.tail = NULL;
    s->holders = NULL;
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
    /* Permits still held end with the semaphore (their nodes are freed). */
    for (struct tg__permits *n = s->holders; n; n = n->next)
        n->sem = NULL;
    s->holders = NULL;
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

/* ---- holders (detection on, owned permits) ---------------------------- */
static struct tg__permits *tg__permits_next(struct tg_task *t, struct tg__permits *n)
{
    return n == &t->permits[0] ? &t->permits[1] : n->more;
}

/* t's node for s; else, with make, a free one (allocated if need be); else
 * NULL. */
static struct tg__permits *tg__permits_of(struct tg_task *t, tg_sem *s, int make)
{
    struct tg__permits *free_node = NULL, *n;
    for (n = &t->permits[0]; n; n = tg__permits_next(t, n)) {
        if (n->sem == s)
            return n;
        if (!n->sem && !free_node)
            free_node = n;
    }
    if (!make || free_node)
        return free_node && make ? free_node : NULL;
    if (!(n = calloc(1, sizeof *n)))
        return NULL; /* then this hold is not listed (see tg__sem_unhold) */
    n->more = t->permits[1].more;
    t->permits[1].more = n;
    return n;
}

/* Under s's lock: one permit more or less for node n. */
static void tg__permits_add(tg_sem *s, struct tg__permits *n, struct tg_task *t, long d)
{
    if (!n->sem) {
        n->sem = s;
        n->task = t;
        n->n = 0;
        n->prev = NULL;
        n->next = s->holders;
        if (n->next)
            n->next->prev = n;
        s->holders = n;
    }
    if ((n->n += d) > 0)
        return;
    if (n->prev)
        n->prev->next = n->next;
    else
        s->holders = n->next;
    if (n->next)
        n->next->prev = n->prev;
    n->sem = NULL;
}

void tg__permits_free(struct tg_task *t)
{
    for (struct tg__permits *n = t->permits[1].more, *next; n; n = next) {
        next = n->more;
        free(n);
    }
    t->permits[1].more = NULL;
}

void tg__sem_won(tg_sem *s, struct tg_task *t, uintptr_t pc)
{
    if (!tg__detect_on || (s->flags & TG_SEM_SIGNAL) || !t->actor)
        return;
    tg__det_acquired(t, &s->p, TG__MODE_EXCL, pc);
    tg__spin_lock(&s->p.lock);
    struct tg__permits *n = tg__permits_of(t, s, 1);
    if (n)
        tg__permits_add(s, n, t, 1);
    tg__spin_unlock(&s->p.lock);
}

/* The calling task t returns a permit of s: its own, or (a task may return
 * one for another, as with a plain semaphore) a listed holder's, whose hold
 * ends; or a permit nobody holds, which ends no hold. */
static void tg__sem_unhold(tg_sem *s, struct tg_task *t)
{
    tg__spin_lock(&s->p.lock);
    struct tg__permits *n = tg__permits_of(t, s, 0);
    struct tg_task *holder = n ? t : s->holders ? ((struct tg__permits *)s->holders)->task : NULL;
    if (!n)
        n = s->holders;
    if (n)
        tg__permits_add(s, n, n->task, -1);
    tg__spin_unlock(&s->p.lock);
    if (holder == t)
        tg__det_released(t, &s->p);
    else if (holder)
        tg__det_released_for(holder, &s->p);
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
    if (tg__detect_on) {
        if (s->flags & TG_SEM_SIGNAL) /* reports name the last releaser */
            tg__det_used_by_caller(&s->p, TG__BY_RELEASE, (uintptr_t)__builtin_return_address(0));
        else if (t->actor)
            tg__sem_unhold(s, t);
    }
    struct tg__wakes k = { 0 };
    tg__spin_lock(&s->p.lock);
    s->permits++;
    tg__sem_grant(s, &k);
    tg__spin_unlock(&s->p.lock);
    tg__wakes_flush(&k);
    return 0;
}
