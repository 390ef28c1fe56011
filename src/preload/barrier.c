/* SPDX-License-Identifier: MIT */
/* barrier.c: pthread barriers. Every wait blocks until the count is met,
 * and anyone may complete it, so a barrier wait is stuck only in a stall. */
#include "preload/preload.h"

/* Threads now waiting at barrier r (published waits). */
static int waiting_at(const struct tg_res *r)
{
    int n = 0;
    tg__guard++;
    tg__lock();
    for (int i = 0; i < tg__actor_slots; i++) {
        const struct tg_actor *t = tg__actors[i];
        if (t && t->state != TG_ST_EXITED && (__atomic_load_n(&t->wait_seq, __ATOMIC_ACQUIRE) & 1) &&
            t->wait.res == r)
            n++;
    }
    tg__unlock();
    tg__guard--;
    return n;
}

TG_EXPORT int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *attr,
                                   unsigned count)
{
    struct tg_actor *a = tg__self();
    struct tg_res *old = a ? tg__res_lookup((uintptr_t)b) : NULL;
    int n = old && !(old->flags & TG_RF_DESTROYED) ? waiting_at(old) : 0;
    if (n > 0)
        tg__misuse(TG_HAZARD_BARRIER_MISUSE, a, CALLER_PC,
                   "initialise a barrier again only once nobody waits at it (after destroy).",
                   "initialises barrier #%llu again while %d thread%s wait%s at it; they may "
                   "never be let through", (unsigned long long)old->id, n, n > 1 ? "s" : "",
                   n > 1 ? "" : "s");
    int rc = REAL(barrier_init)(b, attr, count);
    if (rc != 0 && count == 0 && (a = tg__self()) != NULL)
        tg__misuse(TG_HAZARD_BARRIER_MISUSE, a, CALLER_PC,
                   "a barrier needs a count of at least 1; check pthread_barrier_init's result.",
                   "initialises a barrier with count 0; pthread_barrier_init fails with EINVAL");
    int pshared = 0;
    if (attr)
        pthread_barrierattr_getpshared(attr, &pshared);
    tg__initialized(rc, (uintptr_t)b, TG_RES_BARRIER, pshared ? TG_RF_PSHARED : 0, CALLER_PC);
    return rc;
}

/* The barrier instance this thread last came out of: every thread of
 * that round has been let go, so destroying it now is legal (glibc waits
 * for the stragglers to leave), although they may not have returned yet
 * and still look like waiters. */
static __thread struct {
    pthread_barrier_t *b;
    uint64_t id;
} passed;

TG_EXPORT int pthread_barrier_destroy(pthread_barrier_t *b)
{
    struct tg_res *r = tg__res_lookup((uintptr_t)b);
    struct tg_actor *a;
    if (!r && !(tg__object_flags(b, TG_RES_BARRIER) & TG_RF_PSHARED) && (a = tg__self()) != NULL)
        tg__misuse(TG_HAZARD_BARRIER_MISUSE, a, CALLER_PC,
                   "destroy only a barrier pthread_barrier_init set up.",
                   "destroys barrier %p, which was never initialised", (void *)b);
    if (!(passed.b == b && r && r->id == passed.id))
        r = tg__destroying((uintptr_t)b, TG_RES_BARRIER, CALLER_PC);
    int rc = REAL(barrier_destroy)(b);
    tg__destroyed(r, rc);
    return rc;
}

TG_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
    struct tg_actor *a = tg__self();
    struct tg_res *r = a ? tg__res_get((uintptr_t)b, TG_RES_BARRIER,
                                       tg__object_flags(b, TG_RES_BARRIER), CALLER_PC) : NULL;
    r = a ? tg__live_res(a, r, b, CALLER_PC) : NULL;
    if (!r)
        return REAL(barrier_wait)(b);
    uint32_t site = tg__wait_site(CALLER_PC);
    struct tg_wait_desc w = {.res = r, .kind = TG_RES_BARRIER, .pc = CALLER_PC};
    tg__wait_begin(a, &w);
    a->wait_stack = site;
    int rc = REAL(barrier_wait)(b);
    tg__wait_end(a);
    if (rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD) {
        passed.b = b;
        passed.id = r->id;
    }
    return rc;
}
