/* SPDX-License-Identifier: MIT */
/* cond.c: condition variables. A waiter gives up its mutex while it waits
 * and needs it back to return, so the engine records the wait as "a signal
 * from anyone, and then this mutex". */
#include "preload/preload.h"

#include <errno.h>

int tg__cond_init(pthread_cond_t *c, const pthread_condattr_t *attr, uintptr_t pc)
{
    int rc = REAL(cond_init)(c, attr);
    int pshared = 0;
    if (attr)
        pthread_condattr_getpshared(attr, &pshared);
    tg__initialized(rc, (uintptr_t)c, TG_RES_COND, pshared ? TG_RF_PSHARED : 0, pc);
    return rc;
}

int tg__cond_destroy(pthread_cond_t *c, uintptr_t pc)
{
    struct tg_res *r = tg__destroying((uintptr_t)c, TG_RES_COND, pc);
    int rc = REAL(cond_destroy)(c);
    tg__destroyed(r, rc);
    return rc;
}

TG_EXPORT int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr)
{
    return tg__cond_init(c, attr, CALLER_PC);
}

TG_EXPORT int pthread_cond_destroy(pthread_cond_t *c)
{
    return tg__cond_destroy(c, CALLER_PC);
}

/* What a waiter gave up, to be restored when glibc hands the mutex back:
 * on return, or, if the thread is cancelled in the wait, before the
 * program's cleanup handlers run (glibc re-takes the mutex first, so the
 * textbook cleanup handler that unlocks it is right). */
struct waiting {
    struct tg_actor *a;
    struct tg_res *cr;
    pthread_mutex_t *m;
    struct tg_held saved;
    int had;
    uintptr_t pc;
};

static void mutex_back(struct waiting *wt)
{
    struct tg_actor *a = wt->a;
    if (wt->cr)
        tg__wait_end(a);
    if (wt->had) {
        const struct tg_held *h = &wt->saved;
        tg__push_hold(a, h->addr, h->res, h->res_id, (enum tg_mode)h->mode, h->pc);
        a->held[a->n_held - 1].stack = h->stack;
    } else {
        /* Waiting without the mutex is undefined, but glibc returns with it
         * locked all the same: the caller holds it now. */
        tg__acquired_addr(a, (uintptr_t)wt->m, TG_MODE_EXCL, wt->pc);
    }
    REC(tg__rec_acquire(a, (uintptr_t)wt->m, TG_RES_MUTEX, TG_MODE_EXCL, 0, wt->pc, 0));
}

static void cancelled_in_wait(void *p)
{
    mutex_back(p);
}

static int real_wait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
                     const struct timespec *abs, int which)
{
    if (which == 0)
        return REAL(cond_wait)(c, m);
    return which == 1 ? REAL(cond_timedwait)(c, m, abs) : REAL(cond_clockwait)(c, m, clk, abs);
}

/* The wait proper, with wt restored if the thread is cancelled in it. A
 * function of its own: the cleanup handler is registered with setjmp. */
static __attribute__((noinline)) int cancellable_wait(struct waiting *wt, pthread_cond_t *c,
                                                      clockid_t clk, const struct timespec *abs,
                                                      int which)
{
    int rc;
    pthread_cleanup_push(cancelled_in_wait, wt);
    rc = real_wait(c, wt->m, clk, abs, which);
    pthread_cleanup_pop(0);
    return rc;
}

/* A wait without holding m: say what m is instead (not a mutex at all,
 * another thread's, or simply not locked). */
static void not_held(struct tg_actor *a, const struct tg_res *cr, const struct tg_res *mr,
                     pthread_mutex_t *m, uintptr_t pc)
{
    const char *advice = "lock the mutex before pthread_cond_wait; without it a signal can be "
                         "lost between the check and the wait.";
    unsigned long long c = (unsigned long long)cr->id;
    if (tg__res_kind_of(mr) != TG_RES_MUTEX || !tg__object_valid(m, TG_RES_MUTEX)) {
        tg__misuse(TG_HAZARD_COND_MUTEX_NOT_HELD, a, pc,
                   "pass pthread_cond_wait the pthread_mutex_t that protects the condition.",
                   "waits on condition #%llu with %p as its mutex, which is %s%s", c, (void *)m,
                   tg__res_kind_of(mr) != TG_RES_MUTEX ? "a " : "not a mutex (misaligned)",
                   tg__res_kind_of(mr) != TG_RES_MUTEX ? tg__res_kind_name(tg__res_kind_of(mr)) : "");
        return;
    }
    long owner = m->__data.__owner;
    if (owner > 0 && owner != a->tid)
        tg__misuse(TG_HAZARD_COND_MUTEX_NOT_HELD, a, pc, advice,
                   "waits on condition #%llu with mutex #%llu, which another thread (tid %ld) "
                   "holds", c, (unsigned long long)mr->id, owner);
    else
        tg__misuse(TG_HAZARD_COND_MUTEX_NOT_HELD, a, pc, advice,
                   "waits on condition #%llu with mutex #%llu, which it does not hold", c,
                   (unsigned long long)mr->id);
}

static int wait_common(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
                       const struct timespec *abs, int which, uintptr_t pc)
{
    struct tg_actor *a = tg__self();
    if (!a)
        return real_wait(c, m, clk, abs, which);
    struct tg_res *cr = tg__res_get((uintptr_t)c, TG_RES_COND, tg__object_flags(c, TG_RES_COND), pc);
    struct tg_res *mr = tg__res_get((uintptr_t)m, TG_RES_MUTEX, tg__object_flags(m, TG_RES_MUTEX), pc);
    cr = tg__live_res(a, cr, c, pc);
    struct waiting wt = {.a = a, .cr = cr, .m = m, .pc = pc};
    for (int i = a->n_held - 1; mr && i >= 0; i--) {
        if (a->held[i].addr == (uintptr_t)m) {
            wt.saved = a->held[i];
            wt.had = 1;
            break;
        }
    }
    if (wt.had) {
        tg__released(a, mr);
        REC(tg__rec_release(a, (uintptr_t)m, TG_RES_MUTEX, pc));
    } else if (cr && mr) {
        not_held(a, cr, mr, m, pc);
    }
    if (cr && cr->cond_mutex && cr->cond_mutex != (uintptr_t)m &&
        __atomic_load_n(&cr->waiters, __ATOMIC_RELAXED) > 0)
        tg__misuse(TG_HAZARD_COND_MUTEX_MISMATCH, a, pc,
                   "every waiter of one condition variable must use the same mutex (POSIX "
                   "leaves anything else undefined).",
                   "waits on condition #%llu with mutex %p while other waiters use mutex %p",
                   (unsigned long long)cr->id, (void *)m, (void *)cr->cond_mutex);
    uint32_t site = tg__wait_site(pc);
    struct tg_wait_desc w = {.res = cr, .kind = TG_RES_COND, .mode = TG_MODE_EXCL,
                             .flags = abs ? TG_WF_TIMED : 0, .mutex = mr, .pc = pc};
    if (cr) {
        cr->cond_mutex = (uintptr_t)m;
        tg__wait_begin(a, &w);
        a->wait_stack = site;
    }
    REC(tg__rec_wait(a, (uintptr_t)c, (uintptr_t)m, pc));
    int rc = cancellable_wait(&wt, c, clk, abs, which);
    if (rc == EPERM || rc == EINVAL) {
        /* Refused before the wait: glibc never touched the mutex. EPERM: an
         * errorcheck, recursive or robust mutex the caller does not own;
         * EINVAL (a bad deadline or clock): it still holds what it held. */
        if (cr)
            tg__wait_end(a);
        wt.cr = NULL;
        if (rc == EPERM || !wt.had)
            return rc;
    }
    mutex_back(&wt);
    return rc;
}

int tg__cond_wait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abs, uintptr_t pc)
{
    return wait_common(c, m, CLOCK_REALTIME, abs, abs ? 1 : 0, pc);
}

TG_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    return wait_common(c, m, CLOCK_REALTIME, NULL, 0, CALLER_PC);
}

TG_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abs)
{
    return wait_common(c, m, CLOCK_REALTIME, abs, 1, CALLER_PC);
}

TG_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
                                     const struct timespec *abs)
{
    return wait_common(c, m, clk, abs, 2, CALLER_PC);
}

int tg__cond_notify(pthread_cond_t *c, int broadcast, uintptr_t pc)
{
    struct tg_actor *a;
    if (TG_UNLIKELY(tg__recording) && (a = tg__self()) != NULL)
        tg__rec_notify(a, (uintptr_t)c, broadcast, pc);
    return broadcast ? REAL(cond_broadcast)(c) : REAL(cond_signal)(c);
}

TG_EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
    return tg__cond_notify(c, 0, CALLER_PC);
}

TG_EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
    return tg__cond_notify(c, 1, CALLER_PC);
}
