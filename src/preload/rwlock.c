/* SPDX-License-Identifier: MIT */
/* rwlock.c: pthread_rwlock_* hooks, with the lock's fairness kind.
 *
 * glibc's default rwlock lets a reader in past a queued writer (so a
 * thread may read twice); PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP
 * makes new readers queue behind a waiting writer, so a second read by a
 * reader deadlocks once a writer queues. The engine models that through
 * TG_RF_WRITER_PREF. */
#include "preload/preload.h"

#include <errno.h>

static uint32_t rwlock_flags(const pthread_rwlock_t *l)
{
    uint32_t f = 0;
    if (l->__data.__flags == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP)
        f |= TG_RF_WRITER_PREF;
    if (l->__data.__shared)
        f |= TG_RF_PSHARED;
    return f;
}

static inline struct tg_res *rwlock_res(pthread_rwlock_t *l, uintptr_t pc)
{
    struct tg_res *r = tg__res_lookup((uintptr_t)l);
    return TG_LIKELY(r != NULL) ? r : tg__res_get((uintptr_t)l, TG_RES_RWLOCK, rwlock_flags(l), pc);
}

TG_EXPORT int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *attr)
{
    int rc = REAL(rwlock_init)(l, attr);
    tg__initialized(rc, (uintptr_t)l, TG_RES_RWLOCK, rc == 0 ? rwlock_flags(l) : 0, CALLER_PC);
    return rc;
}

TG_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
    struct tg_res *r = tg__destroying((uintptr_t)l, TG_RES_RWLOCK, CALLER_PC);
    int rc = REAL(rwlock_destroy)(l);
    tg__destroyed(r, rc);
    return rc;
}

static int timed_rd(void *l, clockid_t clk, const struct timespec *abs)
{
    return REAL(rwlock_clockrdlock)(l, clk, abs);
}
static int timed_wr(void *l, clockid_t clk, const struct timespec *abs)
{
    return REAL(rwlock_clockwrlock)(l, clk, abs);
}
static int untimed_rd(void *l)
{
    return REAL(rwlock_rdlock)(l);
}
static int untimed_wr(void *l)
{
    return REAL(rwlock_wrlock)(l);
}

static void relock_hazard(struct tg_actor *a, struct tg_res *r, int write, uintptr_t pc)
{
    tg__misuse(TG_HAZARD_RWLOCK_RELOCK, a, pc,
               "check the result of the call, and release the write lock first.",
               "asks for a %s lock on rwlock #%llu while holding its write lock; the call fails "
               "with EDEADLK", write ? "write" : "read", (unsigned long long)r->id);
}

static void recursive_read_hazard(struct tg_actor *a, struct tg_res *r, uintptr_t pc)
{
    tg__misuse(TG_HAZARD_RECURSIVE_READ, a, pc,
               "do not take a read lock twice on a writer-preferring rwlock "
               "(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP): pass the fact that it is held "
               "down to the inner code.",
               "read-locks writer-preferring rwlock #%llu again while already reading it; if a "
               "writer queues in between, this thread deadlocks", (unsigned long long)r->id);
}

static int lock_common(pthread_rwlock_t *l, int write, uintptr_t pc, clockid_t clk,
                       const struct timespec *abs)
{
    struct tg_actor *a = tg__self();
    if (TG_UNLIKELY(!a)) {
        if (abs)
            return write ? REAL(rwlock_clockwrlock)(l, clk, abs) : REAL(rwlock_clockrdlock)(l, clk, abs);
        return write ? REAL(rwlock_wrlock)(l) : REAL(rwlock_rdlock)(l);
    }
    enum tg_mode mode = write ? TG_MODE_WRITE : TG_MODE_READ;
    struct tg_res *r = tg__live_res(a, rwlock_res(l, pc), l, pc); /* before the lock changes l */
    int rc = write ? REAL(rwlock_trywrlock)(l) : REAL(rwlock_tryrdlock)(l);
    if (TG_LIKELY(rc == 0)) {
        if (TG_LIKELY(r != NULL)) {
            if (TG_UNLIKELY(!write && (r->flags & TG_RF_WRITER_PREF)) && tg__holds(a, r, NULL))
                recursive_read_hazard(a, r, pc);
            tg__acquired(a, r, mode, pc);
            tg__lockorder_note(a);
            REC(tg__rec_acquire(a, (uintptr_t)l, TG_RES_RWLOCK, mode, 0, pc, 0));
        }
        return 0;
    }
    enum tg_mode held_mode;
    if (r && tg__holds(a, r, &held_mode) && held_mode == TG_MODE_WRITE)
        relock_hazard(a, r, write, pc);
    else if (r && !write && (r->flags & TG_RF_WRITER_PREF) && tg__holds(a, r, NULL))
        recursive_read_hazard(a, r, pc);
    if (!r || rc != EBUSY) {
        if (abs)
            rc = write ? REAL(rwlock_clockwrlock)(l, clk, abs) : REAL(rwlock_clockrdlock)(l, clk, abs);
        else
            rc = write ? REAL(rwlock_wrlock)(l) : REAL(rwlock_rdlock)(l);
        if (rc == 0 && r) {
            tg__acquired(a, r, mode, pc);
            tg__lockorder_note(a);
            REC(tg__rec_acquire(a, (uintptr_t)l, TG_RES_RWLOCK, mode, 0, pc, 0));
        }
        return rc;
    }
    struct tg_wait_desc w = {.res = r, .kind = TG_RES_RWLOCK, .mode = (uint8_t)mode,
                             .flags = abs ? TG_WF_TIMED : 0, .pc = pc};
    rc = tg__block(a, &w, l, write ? timed_wr : timed_rd, write ? untimed_wr : untimed_rd, clk, abs);
    if (rc == 0) {
        tg__acquired_slow(a, r, mode, pc);
        tg__lockorder_note(a);
        REC(tg__rec_acquire(a, (uintptr_t)l, TG_RES_RWLOCK, mode, 0, pc, a->wait_stack));
    }
    return rc;
}

TG_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    return lock_common(l, 0, CALLER_PC, CLOCK_REALTIME, NULL);
}

TG_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    return lock_common(l, 1, CALLER_PC, CLOCK_REALTIME, NULL);
}

TG_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abs)
{
    return lock_common(l, 0, CALLER_PC, CLOCK_REALTIME, abs);
}

TG_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abs)
{
    return lock_common(l, 1, CALLER_PC, CLOCK_REALTIME, abs);
}

TG_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clk, const struct timespec *abs)
{
    return lock_common(l, 0, CALLER_PC, clk, abs);
}

TG_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clk, const struct timespec *abs)
{
    return lock_common(l, 1, CALLER_PC, clk, abs);
}

static int try_common(pthread_rwlock_t *l, int write, uintptr_t pc)
{
    int rc = write ? REAL(rwlock_trywrlock)(l) : REAL(rwlock_tryrdlock)(l);
    struct tg_actor *a;
    if (rc == 0 && (a = tg__self()) != NULL) {
        struct tg_res *r = rwlock_res(l, pc);
        if (r) {
            tg__acquired(a, r, write ? TG_MODE_WRITE : TG_MODE_READ, pc);
            REC(tg__rec_acquire(a, (uintptr_t)l, TG_RES_RWLOCK, write ? TG_MODE_WRITE : TG_MODE_READ,
                                1, pc, 0));
        }
    }
    return rc;
}

TG_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    return try_common(l, 0, CALLER_PC);
}

TG_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    return try_common(l, 1, CALLER_PC);
}

TG_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    struct tg_actor *a = tg__self();
    if (TG_UNLIKELY(!a))
        return REAL(rwlock_unlock)(l);
    if (tg__release_addr(a, (uintptr_t)l, CALLER_PC) == 0) {
        REC(tg__rec_release(a, (uintptr_t)l, TG_RES_RWLOCK, CALLER_PC));
        int rc = REAL(rwlock_unlock)(l);
        tg__lockorder_idle(a);
        return rc;
    }
    long writer = __atomic_load_n(&l->__data.__cur_writer, __ATOMIC_RELAXED); /* 0 for readers */
    int rc = REAL(rwlock_unlock)(l);
    tg__misuse_unlock(a, (uintptr_t)l, TG_RES_RWLOCK, rc, CALLER_PC);
    struct tg_res *r = rwlock_res(l, CALLER_PC);
    if (rc == 0 && r)
        tg__released_by_other(a, r, writer);
    return rc;
}
