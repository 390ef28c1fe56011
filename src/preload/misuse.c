/* SPDX-License-Identifier: MIT */
/* misuse.c: lock API misuse that glibc lets through silently, reported
 * as hazards. The calls themselves always reach glibc and return glibc's
 * result; these functions only describe what happened. Each is called off
 * the fast path (after a failed or unusual result, or from destroy, free
 * and thread exit), and a call site that raised a hazard once only counts
 * repeats after that. */
#include "preload/preload.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* A copy of another actor's holds, taken under the engine lock. The actor
 * may be running, so this is a best-effort picture for the report only. */
struct other {
    struct tg_actor *a;
    struct tg_held held[64];
    int n;
};

/* Finds an actor other than self that holds addr; 1 if found. */
static int find_holder(struct tg_actor *self, uintptr_t addr, struct other *o)
{
    int found = 0;
    tg__guard++;
    tg__lock();
    for (int i = 0; i < tg__actor_slots && !found; i++) {
        struct tg_actor *a = tg__actors[i];
        if (!a || a == self)
            continue;
        int n = __atomic_load_n(&a->n_held, __ATOMIC_ACQUIRE);
        struct tg_held *h = __atomic_load_n(&a->held, __ATOMIC_ACQUIRE);
        if (n > (int)(sizeof o->held / sizeof o->held[0]))
            n = (int)(sizeof o->held / sizeof o->held[0]);
        for (int k = 0; k < n; k++) {
            if (h[k].addr == addr && !h[k].released_by_other) {
                o->a = a;
                o->n = n;
                for (int j = 0; j < n; j++)
                    o->held[j] = h[j];
                found = 1;
                break;
            }
        }
    }
    tg__unlock();
    tg__guard--;
    return found;
}

/* Waiters on addr: published waits and pending lock calls. */
static int count_waiters(uintptr_t addr)
{
    int n = 0;
    tg__guard++;
    tg__lock();
    for (int i = 0; i < tg__actor_slots; i++) {
        struct tg_actor *a = tg__actors[i];
        if (!a || a->state == TG_ST_EXITED)
            continue;
        if (__atomic_load_n(&a->pending, __ATOMIC_ACQUIRE) == addr)
            n++;
        else if ((__atomic_load_n(&a->wait_seq, __ATOMIC_ACQUIRE) & 1) && a->wait.res &&
                 a->wait.res->addr == addr)
            n++;
    }
    tg__unlock();
    tg__guard--;
    return n;
}

static void report(struct tg_finding *f, enum tg_hazard h, uintptr_t pc, const char *advice)
{
    if (!f)
        return;
    f->advice = tg__strdup(advice);
    if (tg__report(f))
        tg__hazard_site(h, pc, f);
}

static const char *kind_name(enum tg_res_kind k)
{
    return tg__res_kind_name(k);
}

void tg__misuse_unlock(struct tg_actor *a, uintptr_t addr, enum tg_res_kind kind, int rc,
                       uintptr_t pc)
{
    if (tg__hazard_repeat(TG_HAZARD_UNLOCK_NOT_HELD, pc))
        return;
    struct other o;
    int held = find_holder(a, addr, &o);
    struct tg_res *r = tg__res_get(addr, kind, 0, pc);
    unsigned long long id = r ? (unsigned long long)r->id : 0;
    struct tg_finding *f;
    if (held) {
        f = tg__hazard_new(TG_HAZARD_UNLOCK_NOT_HELD, a,
                           "%s unlocks %s #%llu, which %s holds%s",
                           TG_LABEL(a), kind_name(kind), id,
                           TG_LABEL(o.a),
                           rc ? " (glibc refused: EPERM)" : "; that thread's critical section "
                                                           "is no longer protected");
        struct tg_actor_info *info = f ? tg__finding_add_actor(f) : NULL;
        if (info)
            tg__describe_actor(info, o.a, NULL, 0, o.held, o.n);
    } else {
        int recursive = r && (r->flags & TG_RF_RECURSIVE);
        f = tg__hazard_new(TG_HAZARD_UNLOCK_NOT_HELD, a,
                           "%s unlocks %s #%llu, which nobody holds%s%s",
                           TG_LABEL(a), kind_name(kind), id,
                           recursive ? " (a recursive mutex unlocked more times than locked)" : "",
                           rc ? " (glibc refused: EPERM)" : "");
    }
    report(f, TG_HAZARD_UNLOCK_NOT_HELD, pc,
           "unlock only what this thread locked, exactly as many times; a lock handed "
           "between threads wants a semaphore or a condition instead.");
}

/* rc: what glibc answered (-1: not known yet, the report comes first). */
static void misuse_destroy(struct tg_actor *a, uintptr_t addr, enum tg_res_kind kind, uintptr_t pc,
                           int rc)
{
    /* Semaphores and barriers have sub-kinds of their own (the issue's
     * list); locks and conditions share destroy-in-use. */
    enum tg_hazard hz = kind == TG_RES_SEM       ? TG_HAZARD_SEM_MISUSE
                        : kind == TG_RES_BARRIER ? TG_HAZARD_BARRIER_MISUSE
                                                 : TG_HAZARD_DESTROY_HELD;
    struct other o;
    int held = kind != TG_RES_SEM && find_holder(NULL, addr, &o);
    int waiters = count_waiters(addr);
    if ((!held && !waiters) || tg__hazard_repeat(hz, pc))
        return;
    struct tg_res *r = tg__res_lookup(addr);
    unsigned long long id = r ? (unsigned long long)r->id : 0;
    struct tg_finding *f;
    /* Said as it went: glibc refuses to destroy a held mutex (EBUSY), and
     * then the mutex lives on. */
    const char *done = rc == EBUSY ? "'s destroy was refused by glibc (EBUSY; it lives on)"
                       : rc == 0   ? " is destroyed"
                                   : " is being destroyed";
    if (held)
        f = tg__hazard_new(hz, a, "%s #%llu%s while %s holds it%s", kind_name(kind), id, done,
                           TG_LABEL(o.a), waiters ? " and others wait for it" : "");
    else
        f = tg__hazard_new(hz, a, "%s #%llu%s while %d thread%s wait%s on it", kind_name(kind),
                           id, done, waiters, waiters > 1 ? "s" : "", waiters > 1 ? "" : "s");
    if (f && held && o.a != a) {
        struct tg_actor_info *info = tg__finding_add_actor(f);
        if (info)
            tg__describe_actor(info, o.a, NULL, 0, o.held, o.n);
    }
    report(f, hz, pc,
           "destroy a lock only after every thread is done with it: unlocked, nobody waiting, "
           "nobody about to use it.");
}

void tg__misuse_after_destroy(struct tg_actor *a, struct tg_res *r, uintptr_t pc)
{
    if (tg__hazard_repeat(TG_HAZARD_USE_AFTER_DESTROY, pc))
        return;
    struct tg_finding *f = tg__hazard_new(
        TG_HAZARD_USE_AFTER_DESTROY, a, "%s uses %s #%llu after it was destroyed",
        TG_LABEL(a), kind_name(tg__res_kind_of(r)),
        (unsigned long long)r->id);
    report(f, TG_HAZARD_USE_AFTER_DESTROY, pc,
           "initialise it again before use, or stop using it once it is destroyed.");
}

void tg__misuse(enum tg_hazard h, struct tg_actor *a, uintptr_t pc, const char *advice,
                const char *fmt, ...)
{
    if (tg__hazard_repeat(h, pc))
        return;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct tg_finding *f = tg__hazard_new(h, a, "%s %s", TG_LABEL(a), msg);
    report(f, h, pc, advice);
}

void tg__misuse_freed(struct tg_actor *a, uintptr_t lo, uintptr_t hi, const char *how, uintptr_t pc)
{
    for (int i = 0; i < a->n_held; i++) {
        const struct tg_held *h = &a->held[i];
        if (h->addr < lo || h->addr >= hi || h->released_by_other)
            continue;
        struct tg_res *r = tg__held_res(h);
        if (r && !tg__held_is(h, r))
            continue; /* a hold of an earlier lock at this address, given up for it */
        if (tg__hazard_repeat(TG_HAZARD_FREED_WHILE_HELD, pc ? pc : h->pc))
            return;
        struct tg_finding *f = tg__hazard_new(
            TG_HAZARD_FREED_WHILE_HELD, a, "the memory of %s #%llu is %s while %s "
            "holds it", r ? kind_name(tg__res_kind_of(r)) : "lock",
            r ? (unsigned long long)r->id : 0ull, how, TG_LABEL(a));
        report(f, TG_HAZARD_FREED_WHILE_HELD, pc ? pc : h->pc,
               "unlock and destroy a lock before the memory it lives in goes away.");
        return;
    }
}

void tg__misuse_hold_time(struct tg_actor *a, const struct tg_held *h, uintptr_t pc)
{
    uint64_t held_ms = (tg__now_ns() - h->since) / 1000000u;
    if (held_ms < (uint64_t)tg__opt.hold_ms || tg__hazard_repeat(TG_HAZARD_LOCK_HELD_TOO_LONG, h->pc))
        return;
    struct tg_res *r = tg__held_res(h);
    struct tg_finding *f = tg__hazard_new(
        TG_HAZARD_LOCK_HELD_TOO_LONG, a, "%s held %s #%llu for %llu ms (hold_ms=%d)",
        TG_LABEL(a), r ? kind_name(tg__res_kind_of(r)) : "lock",
        r ? (unsigned long long)r->id : 0ull, (unsigned long long)held_ms, tg__opt.hold_ms);
    if (f) {
        /* The hold is gone from the list by now: show where it was taken. */
        struct tg_actor_info *info = f->n_actors ? &f->actors[0] : NULL;
        struct tg_hold *hd = info ? tg__actor_info_add_hold(info) : NULL;
        if (hd) {
            tg__res_describe(r, &hd->res);
            hd->count = 1;
            tg__stack_to_info(&hd->acquired, h->stack, h->pc);
        }
    }
    (void)pc;
    report(f, TG_HAZARD_LOCK_HELD_TOO_LONG, h->pc,
           "keep critical sections short: move slow work (I/O, waits, allocation) out of them.");
}

void tg__initialized_slow(int rc, uintptr_t addr, enum tg_res_kind kind, uint32_t flags, uintptr_t pc)
{
    if (rc == 0 && !tg__guard && tg__engine_init() == 0)
        tg__res_init(addr, kind, flags, pc);
}

void tg__misuse_destroy(struct tg_actor *a, uintptr_t addr, enum tg_res_kind kind, uintptr_t pc)
{
    misuse_destroy(a, addr, kind, pc, -1);
}

/* A mutex, rwlock or spinlock destroy in progress on this thread: glibc
 * answers it at once (0, or EBUSY for a held mutex), so its misuse is
 * reported with the answer. Other kinds are reported before the call (a
 * condition's or a barrier's destroy can wait for its waiters). */
static __thread struct {
    uintptr_t addr, pc;
    enum tg_res_kind kind;
    int pending;
} destroy_call __attribute__((tls_model("initial-exec")));

struct tg_res *tg__destroying(uintptr_t addr, enum tg_res_kind kind, uintptr_t pc)
{
    return tg__destroying_word(addr, kind, -1, pc);
}

struct tg_res *tg__destroying_word(uintptr_t addr, enum tg_res_kind kind, int idle, uintptr_t pc)
{
    struct tg_actor *a = tg__self();
    destroy_call.pending = 0;
    if (!a)
        return NULL;
    /* The common case, a lock nobody holds or waits for, is read from the
     * lock itself: no engine lock, no walk over the threads. (A thread
     * between publishing its lock call and reaching glibc is not counted
     * then: it will use a destroyed lock, reported when it does.) */
    if (idle < 0 ? tg__object_idle((const void *)addr, kind) : idle)
        return tg__res_lookup(addr);
    if (kind == TG_RES_MUTEX || kind == TG_RES_RWLOCK || kind == TG_RES_SPIN) {
        destroy_call.addr = addr;
        destroy_call.pc = pc;
        destroy_call.kind = kind;
        destroy_call.pending = 1;
    } else {
        misuse_destroy(a, addr, kind, pc, -1);
    }
    return tg__res_lookup(addr);
}

void tg__destroyed(struct tg_res *r, int rc)
{
    if (destroy_call.pending) {
        destroy_call.pending = 0;
        struct tg_actor *a = tg__self();
        if (a)
            misuse_destroy(a, destroy_call.addr, destroy_call.kind, destroy_call.pc, rc);
    }
    if (r && rc == 0)
        tg__res_destroy(r);
}
