/* SPDX-License-Identifier: MIT */
/* select.c: blocking on one or more arms; every blocking call goes here.
 *
 * The locks of all arms are taken in address order, every arm is tried in
 * order, and only if none can complete are all arms queued, still under
 * those locks. While the calling task runs and holds them, nobody can claim
 * its park (peers need one of the locks; timers and cancellations are
 * handled by its own scheduler, which is busy running it). So an arm
 * completes here only if it is the only one to, and once queued the arms
 * race through tg__park_claim: exactly one wins, and a primitive skips any
 * waiter whose park is already claimed. That is why a lock is never handed
 * to a select arm that lost (futurelock cannot happen).
 */
#include "task/task_int.h"
#include "task/detect.h"

#define TG__MAX_ARMS 64

static int *tg__arm_lock(const struct tg_sel *a)
{
    if (a->op == TG__OP_JOIN)
        return &((struct tg_task *)a->obj)->join_lock;
    return tg__prim_lock(a->obj);
}

static int tg__arm_try(struct tg_sel *a, struct tg__waiter *w, struct tg__wakes *k)
{
    switch (a->op) {
    case TG_SEL_SEND:
    case TG_SEL_RECV: return tg__chan_try(a->obj, w, k);
    case TG_SEL_LOCK: return tg__mutex_try(a->obj, w);
    case TG_SEL_RDLOCK:
    case TG_SEL_WRLOCK: return tg__rwlock_try(a->obj, w);
    case TG_SEL_ACQUIRE: return tg__sem_try(a->obj, w);
    case TG_SEL_WAIT: return tg__event_try(a->obj, w);
    case TG__OP_WG: return tg__waitgroup_try(a->obj, w);
    case TG__OP_JOIN: return tg__join_try(a->obj, w);
    }
    return 0;
}

static struct tg__waitq *tg__arm_queue(struct tg_sel *a)
{
    switch (a->op) {
    case TG_SEL_SEND: return &((tg_chan *)a->obj)->sendq;
    case TG_SEL_RECV: return &((tg_chan *)a->obj)->recvq;
    case TG_SEL_LOCK: return &((tg_mutex *)a->obj)->q;
    case TG_SEL_RDLOCK:
    case TG_SEL_WRLOCK: return &((tg_rwlock *)a->obj)->q;
    case TG_SEL_ACQUIRE: return &((tg_sem *)a->obj)->q;
    case TG_SEL_WAIT: return &((tg_event *)a->obj)->q;
    case TG__OP_WG: return &((tg_waitgroup *)a->obj)->q;
    case TG__OP_JOIN: return &((struct tg_task *)a->obj)->joinq;
    }
    return NULL;
}

/* The winner of a lock-like arm records its hold on its own thread. */
static void tg__arm_won(struct tg_sel *a, struct tg_task *t, uintptr_t pc)
{
    switch (a->op) {
    case TG_SEL_LOCK: tg__mutex_won(a->obj, t, pc); break;
    case TG_SEL_RDLOCK: tg__rwlock_won(a->obj, t, 0, pc); break;
    case TG_SEL_WRLOCK: tg__rwlock_won(a->obj, t, 1, pc); break;
    case TG_SEL_ACQUIRE: tg__sem_won(a->obj, t, pc); break;
    }
}

static inline int tg__arm_kind_of(const struct tg_sel *a, struct tg_task **target)
{
    *target = NULL;
    switch (a->op) {
    case TG_SEL_LOCK: return TG__W_LOCK;
    case TG_SEL_RDLOCK: return TG__W_READ;
    case TG_SEL_WRLOCK: return TG__W_WRITE;
    case TG_SEL_ACQUIRE:
        return ((tg_sem *)a->obj)->flags & TG_SEM_SIGNAL ? TG__W_SIGNAL : TG__W_PERMIT;
    case TG__OP_JOIN:
        *target = a->obj;
        return TG__W_JOIN;
    case TG_SEL_SEND:
    case TG_SEL_RECV: return TG__W_CHANNEL;
    default: return TG__W_SIGNAL;
    }
}

int tg__arm_kind(const struct tg_sel *a, struct tg_task **target)
{
    return tg__arm_kind_of(a, target);
}

/* The engine's view of a one-arm wait; returns 1 when detection should run
 * now (the wait can only end through a holder that is itself blocked). */
static int tg__arm_wait_kind(const struct tg_sel *a, struct tg_task *self, int *kind,
                             struct tg_task **target)
{
    *kind = tg__arm_kind_of(a, target);
    if (*kind != TG__W_READ && *kind != TG__W_WRITE)
        return 0; /* locks and joins: detect.c follows the chain of holders itself;
                     permits are found by the stall scan (see tg_sem_init) */
    /* Readers are not known by name, so no chain is walked: check now when
     * the writer is blocked or the task already holds the lock (a re-read
     * behind a queued writer); any other cycle through an rwlock is found
     * by the watchdog's scan of published waits. */
    tg_rwlock *l = a->obj;
    struct tg_task *w = __atomic_load_n((struct tg_task **)&l->writer, __ATOMIC_RELAXED);
    return (w && (w == self || tg__det_holder_blocked(w, &l->p))) || tg__det_holds(self, &l->p);
}

static void tg__locks_sorted(struct tg_sel *arms, int n, int **locks, int *nl)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        int *l = tg__arm_lock(&arms[i]), j = m;
        while (j > 0 && (uintptr_t)locks[j - 1] > (uintptr_t)l)
            j--;
        if (j > 0 && locks[j - 1] == l)
            continue; /* the same primitive twice: lock it once */
        for (int k = m; k > j; k--)
            locks[k] = locks[k - 1];
        locks[j] = l;
        m++;
    }
    *nl = m;
}

static int tg__wait_parked(struct tg_sel *arms, int n, struct tg__park *p, int flags, uintptr_t pc)
{
    int kind = TG__W_CHANNEL, check = 0;
    struct tg_task *target = NULL;
    if (n > 1) { /* the engine sees an "any of" wait over every arm */
        struct tg__sel_set set = { arms, n };
        return tg__park_as(p, flags, TG__W_ANY, &set, NULL, 0, "select", pc);
    }
    if (tg__detect_on)
        check = tg__arm_wait_kind(&arms[0], p->task, &kind, &target);
    p->task->wait_op = arms[0].op;
    return tg__park_as(p, flags, kind, arms[0].obj, target, check, NULL, pc);
}

/* After the arms were tried: wait if none completed, then settle the result. */
static int tg__finish(struct tg_sel *arms, struct tg__waiter *ws, int n, int won,
                      struct tg__park *p, int flags, uintptr_t pc)
{
    if (won < 0) {
        if (flags & TG__B_TRY)
            return TG_EAGAIN;
        won = tg__wait_parked(arms, n, p, flags, pc);
        tg__waiters_withdraw(ws, n, won);
    }
    if (won >= 0) {
        arms[won].result = ws[won].result;
        if (ws[won].result == 0)
            tg__arm_won(&arms[won], p->task, pc);
    }
    return won;
}

static inline void tg__waiter_init(struct tg__waiter *w, struct tg__park *p, int i,
                                   const struct tg_sel *a)
{
    w->park = p;
    w->q = NULL;
    w->arm = i;
    w->op = a->op;
    w->data = a->data;
    w->result = 0;
}

/* One arm: one lock, no sorting (every plain blocking call comes here). */
static int tg__block1(struct tg_sel *arm, int64_t deadline, int flags, uintptr_t pc,
                      struct tg_task *t)
{
    struct tg__park p;
    struct tg__waiter w;
    struct tg__wakes k = { 0 };
    int *lock = tg__arm_lock(arm), won = -1;
    tg__park_init(&p, t, deadline);
    if (deadline == TG_FOREVER)
        p.lock = lock; /* every claim will hold it */
    tg__waiter_init(&w, &p, 0, arm);
    tg__spin_lock(lock);
    if (tg__arm_try(arm, &w, &k))
        won = 0;
    else if (!(flags & TG__B_TRY))
        tg__waitq_push(tg__arm_queue(arm), lock, &w);
    tg__spin_unlock(lock);
    if (k.head)
        tg__wakes_flush(&k);
    return tg__finish(arm, &w, 1, won, &p, flags, pc);
}

int tg__task_block(struct tg_sel *arms, int n, int64_t deadline, int flags, uintptr_t pc)
{
    if (n < 1 || n > TG__MAX_ARMS)
        return TG_EINVAL;
    struct tg_task *t;
    int e = tg__block_start(&t, flags);
    if (e)
        return e;
    if (n == 1)
        return tg__block1(arms, deadline, flags, pc, t);
    struct tg__park p;
    struct tg__waiter ws[n];
    int *locks[n], nl, won = -1;
    struct tg__wakes k = { 0 };
    tg__park_init(&p, t, deadline);
    tg__locks_sorted(arms, n, locks, &nl);
    for (int i = 0; i < nl; i++)
        tg__spin_lock(locks[i]);
    for (int i = 0; i < n && won < 0; i++) {
        tg__waiter_init(&ws[i], &p, i, &arms[i]);
        if (tg__arm_try(&arms[i], &ws[i], &k))
            won = i;
    }
    if (won < 0 && !(flags & TG__B_TRY))
        for (int i = 0; i < n; i++)
            tg__waitq_push(tg__arm_queue(&arms[i]), tg__arm_lock(&arms[i]), &ws[i]);
    for (int i = nl - 1; i >= 0; i--)
        tg__spin_unlock(locks[i]);
    tg__wakes_flush(&k);
    return tg__finish(arms, ws, n, won, &p, flags, pc);
}

int tg_select(struct tg_sel *arms, int n, int64_t deadline)
{
    for (int i = 0; i < n; i++)
        if (!arms[i].obj || arms[i].op < TG_SEL_SEND || arms[i].op > TG_SEL_WAIT)
            return TG_EINVAL;
    return tg__task_block(arms, n, deadline, 0, (uintptr_t)__builtin_return_address(0));
}
