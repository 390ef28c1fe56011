/* SPDX-License-Identifier: MIT */
/* event.c: events (a flag tasks wait to see set) and wait groups (a count
 * tasks wait to see reach zero). Both wake every waiter at once. */
#include "task/task_int.h"
#include "task/detect.h"

static void tg__prim_setup(struct tg__prim *p, int kind, struct tg__waitq *q, uintptr_t pc)
{
    p->lock = 0;
    p->kind = kind;
    q->head = q->tail = NULL;
    tg__det_res_init(p, 0, pc);
}

/* Under the lock: claim every waiter (FIFO) into k. */
static void tg__claim_all(struct tg__waitq *q, struct tg__wakes *k)
{
    struct tg__waiter *w;
    while ((w = tg__waitq_claim_first(q, -1)))
        tg__wakes_add(k, w);
}

int tg_event_init(tg_event *e)
{
    if (!e)
        return TG_EINVAL;
    e->set = 0;
    tg__prim_setup(&e->p, TG__K_EVENT, &e->q, (uintptr_t)__builtin_return_address(0));
    return 0;
}

int tg_event_destroy(tg_event *e)
{
    if (!e)
        return TG_EINVAL;
    if (e->q.head)
        return TG_EBUSY;
    tg__det_res_destroy(&e->p);
    return 0;
}

int tg__event_try(tg_event *e, struct tg__waiter *w)
{
    (void)w;
    return e->set;
}

#define TG__PC ((uintptr_t)__builtin_return_address(0))
int tg_event_set(tg_event *e)
{
    struct tg__wakes k = { 0 };
    if (tg__detect_on) /* before the waiters wake: a report may follow at once */
        tg__det_used_by_caller(&e->p, TG__BY_SET, TG__PC);
    tg__spin_lock(&e->p.lock);
    e->set = 1;
    tg__claim_all(&e->q, &k);
    tg__spin_unlock(&e->p.lock);
    tg__wakes_flush(&k);
    return 0;
}

int tg_event_reset(tg_event *e)
{
    if (tg__detect_on)
        tg__det_used_by_caller(&e->p, TG__BY_RESET, TG__PC);
    tg__spin_lock(&e->p.lock);
    e->set = 0;
    tg__spin_unlock(&e->p.lock);
    return 0;
}

static int tg__event_wait(tg_event *e, int64_t deadline, uintptr_t pc)
{
    struct tg_sel arm = { .op = TG_SEL_WAIT, .obj = e };
    int r = tg__task_block(&arm, 1, deadline, 0, pc);
    return r < 0 ? r : 0;
}

int tg_event_wait(tg_event *e) { return tg__event_wait(e, TG_FOREVER, TG__PC); }
int tg_event_wait_until(tg_event *e, int64_t d) { return tg__event_wait(e, d, TG__PC); }

int tg_waitgroup_init(tg_waitgroup *g)
{
    if (!g)
        return TG_EINVAL;
    g->count = 0;
    tg__prim_setup(&g->p, TG__K_WAITGROUP, &g->q, (uintptr_t)__builtin_return_address(0));
    return 0;
}

int tg_waitgroup_destroy(tg_waitgroup *g)
{
    if (!g)
        return TG_EINVAL;
    if (g->q.head)
        return TG_EBUSY;
    tg__det_res_destroy(&g->p);
    return 0;
}

int tg__waitgroup_try(tg_waitgroup *g, struct tg__waiter *w)
{
    (void)w;
    return g->count == 0;
}

static int tg__waitgroup_add(tg_waitgroup *g, long n, uintptr_t pc)
{
    struct tg__wakes k = { 0 };
    int r = 0;
    tg__spin_lock(&g->p.lock);
    if (g->count + n < 0)
        r = TG_EINVAL;
    else if ((g->count += n) == 0)
        tg__claim_all(&g->q, &k);
    tg__spin_unlock(&g->p.lock);
    if (tg__detect_on && n != 0 && r == 0) /* (before the waiters run) */
        tg__det_used_by_caller(&g->p, n > 0 ? TG__BY_ADD : TG__BY_DONE, pc);
    tg__wakes_flush(&k);
    return r;
}

int tg_waitgroup_add(tg_waitgroup *g, long n) { return tg__waitgroup_add(g, n, TG__PC); }
int tg_waitgroup_done(tg_waitgroup *g) { return tg__waitgroup_add(g, -1, TG__PC); }

static int tg__waitgroup_wait(tg_waitgroup *g, int64_t deadline, uintptr_t pc)
{
    struct tg_sel arm = { .op = TG__OP_WG, .obj = g };
    int r = tg__task_block(&arm, 1, deadline, 0, pc);
    return r < 0 ? r : 0;
}

int tg_waitgroup_wait(tg_waitgroup *g) { return tg__waitgroup_wait(g, TG_FOREVER, TG__PC); }
int tg_waitgroup_wait_until(tg_waitgroup *g, int64_t d) { return tg__waitgroup_wait(g, d, TG__PC); }
