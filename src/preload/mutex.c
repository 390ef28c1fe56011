/* SPDX-License-Identifier: MIT */
/* mutex.c: pthread_mutex_* and pthread_spin_* hooks.
 *
 * pthread_mutex_lock publishes the call on the thread's own actor (plain
 * stores), calls glibc's lock, then pushes the hold, by address, on the
 * thread's own held list; a nesting probes the thread's chain cache. If the
 * call blocks for good, the watchdog sees the unchanged publication and
 * treats the thread as blocked. Timed locks try first and go to the slow
 * path (check after check_ms) when busy. Unlock pops, usually from the top.
 * Relocks and misuse take the slow path.
 *
 * The lock and unlock hooks are split in two: an inline fast path for the
 * common case (a registered thread outside tangle, a mutex not among its
 * newest holds, glibc's call succeeding, nothing recorded) that needs few
 * registers and no call besides glibc's, and out-of-line functions for
 * every other case, which do the whole work as if the fast path had not
 * run. */
#include "preload/preload.h"

#include "core/stack_memo.h"

#include <errno.h>

/* glibc's mutex kind bits (nptl's pthreadP.h; stable since 2.3). */
#define KIND_TYPE_MASK 3
#define KIND_ROBUST 16
#define KIND_PSHARED 128

static uint32_t mutex_flags(const pthread_mutex_t *m)
{
    int kind = m->__data.__kind;
    uint32_t f = 0;
    if (TG_LIKELY(kind == PTHREAD_MUTEX_NORMAL))
        return 0;
    if ((kind & KIND_TYPE_MASK) == PTHREAD_MUTEX_RECURSIVE)
        f |= TG_RF_RECURSIVE;
    if ((kind & KIND_TYPE_MASK) == PTHREAD_MUTEX_ERRORCHECK)
        f |= TG_RF_ERRORCHECK;
    if (kind & KIND_ROBUST)
        f |= TG_RF_ROBUST;
    if (kind & KIND_PSHARED)
        f |= TG_RF_PSHARED;
    return f;
}

static inline struct tg_res *mutex_res(pthread_mutex_t *m, uintptr_t pc)
{
    struct tg_res *r = tg__res_lookup((uintptr_t)m);
    return TG_LIKELY(r != NULL) ? r : tg__res_get((uintptr_t)m, TG_RES_MUTEX, mutex_flags(m), pc);
}

/* A program that makes a lock per object inits and destroys all the
 * time: the destroy of a mutex whose lock word says nobody holds or waits
 * for it, by a registered thread outside tangle, goes straight to the
 * entry's end (what tg__destroying would do, with fewer calls); an init
 * goes straight to the new instance (tg__initialized). mutex_inited runs
 * after glibc's init of m answered rc (the call site is read after it, so
 * that it is not kept in a register across glibc's call). */
static inline __attribute__((always_inline)) int mutex_inited(pthread_mutex_t *m, int rc,
                                                             uintptr_t pc)
{
    if (TG_UNLIKELY(rc != 0))
        return rc;
    tg__initialized(0, (uintptr_t)m, TG_RES_MUTEX, mutex_flags(m), pc);
    return 0;
}

/* Every destroy that mutex_destroy does not end inline: out of line, so
 * that the common one keeps no call site in registers. */
static __attribute__((noinline)) int destroy_checked(pthread_mutex_t *m, uintptr_t pc)
{
    struct tg_res *r = tg__destroying((uintptr_t)m, TG_RES_MUTEX, pc);
    int rc = REAL(mutex_destroy)(m);
    tg__destroyed(r, rc);
    return rc;
}

static inline __attribute__((always_inline)) int mutex_destroy(pthread_mutex_t *m, uintptr_t pc)
{
    if (TG_LIKELY(tg__current != NULL && !tg__guard) &&
        TG_LIKELY(__atomic_load_n(&m->__data.__lock, __ATOMIC_ACQUIRE) == 0)) {
        int rc = REAL(mutex_destroy)(m);
        if (TG_UNLIKELY(rc != 0))
            return rc;
        tg__res_destroy_at((uintptr_t)m);
        return 0;
    }
    return destroy_checked(m, pc);
}

int tg__mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr, uintptr_t pc)
{
    return mutex_inited(m, REAL(mutex_init)(m, attr), pc);
}

int tg__mutex_destroy(pthread_mutex_t *m, uintptr_t pc)
{
    return mutex_destroy(m, pc);
}

TG_EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
    int rc = REAL(mutex_init)(m, attr);
    return mutex_inited(m, rc, CALLER_PC);
}

TG_EXPORT int pthread_mutex_destroy(pthread_mutex_t *m)
{
    return mutex_destroy(m, CALLER_PC);
}

/* glibc refused a lock: a destroyed mutex answers EINVAL. */
static void lock_failed(struct tg_actor *a, pthread_mutex_t *m, int rc, uintptr_t pc)
{
    struct tg_res *r = tg__res_lookup((uintptr_t)m);
    if (rc == EINVAL && r && (r->flags & TG_RF_DESTROYED))
        tg__misuse_after_destroy(a, r, pc);
}

/* After glibc's untimed lock answered rc: the hold, or the misuse. */
static __attribute__((noinline)) int lock_taken(struct tg_actor *a, pthread_mutex_t *m, uintptr_t pc,
                                                int rc)
{
    if (TG_LIKELY(rc == 0 || rc == EOWNERDEAD)) {
        tg__acquired_addr(a, (uintptr_t)m, TG_MODE_EXCL, pc);
        tg__lockorder_note(a);
        REC(tg__rec_acquire(a, (uintptr_t)m, TG_RES_MUTEX, TG_MODE_EXCL, 0, pc, 0));
    } else {
        lock_failed(a, m, rc, pc);
    }
    return rc;
}

/* The untimed lock succeeded with the held list full: it grows. (Not
 * lock_taken itself: the fast path keeps glibc's answer out of its
 * argument register that way.) */
static __attribute__((noinline)) int lock_list_full(struct tg_actor *a, pthread_mutex_t *m,
                                                    uintptr_t pc)
{
    return lock_taken(a, m, pc, 0);
}

static int timed_lock(void *m, clockid_t clk, const struct timespec *abs)
{
    return REAL(mutex_clocklock)(m, clk, abs);
}

static int untimed_lock(void *m)
{
    return REAL_MUTEX(mutex_lock)(m);
}

static int lock_slow(struct tg_actor *a, pthread_mutex_t *m, uintptr_t pc, clockid_t clk,
                     const struct timespec *abs)
{
    struct tg_res *r = mutex_res(m, pc);
    if (!r)
        return abs ? REAL(mutex_clocklock)(m, clk, abs) : REAL(mutex_lock)(m);
    if (tg__holds(a, r, NULL) && (mutex_flags(m) & TG_RF_ERRORCHECK)) {
        /* glibc answers EDEADLK: a bug, but not a hang. */
        tg__misuse(TG_HAZARD_RELOCK_ERRORCHECK, a, pc,
                   "check the result of pthread_mutex_lock, and do not lock a mutex this thread "
                   "already holds.",
                   "locks errorcheck mutex #%llu again while holding it; the call fails with "
                   "EDEADLK", (unsigned long long)r->id);
        return abs ? REAL(mutex_clocklock)(m, clk, abs) : REAL(mutex_lock)(m);
    }
    struct tg_wait_desc w = {.res = r, .kind = TG_RES_MUTEX, .mode = TG_MODE_EXCL,
                             .flags = abs ? TG_WF_TIMED : 0, .pc = pc};
    int rc = tg__block(a, &w, m, REAL(mutex_clocklock) ? timed_lock : NULL, untimed_lock, clk, abs);
    if (rc == 0 || rc == EOWNERDEAD) {
        tg__acquired_slow(a, r, TG_MODE_EXCL, pc);
        tg__lockorder_note(a);
        REC(tg__rec_acquire(a, (uintptr_t)m, TG_RES_MUTEX, TG_MODE_EXCL, 0, pc, a->wait_stack));
    } else if (rc == EINVAL && (r->flags & TG_RF_DESTROYED))
        tg__misuse_after_destroy(a, r, pc);
    return rc;
}

static inline int lock_fast(pthread_mutex_t *m, uintptr_t pc, clockid_t clk,
                            const struct timespec *abs)
{
    struct tg_actor *a = tg__self();
    if (TG_UNLIKELY(!a))
        return abs ? REAL(mutex_clocklock)(m, clk, abs) : REAL(mutex_lock)(m);
    int rc = REAL_MUTEX(mutex_trylock)(m);
    if (TG_LIKELY(rc == 0 || rc == EOWNERDEAD)) {
        struct tg_res *r = mutex_res(m, pc);
        if (TG_LIKELY(r != NULL))
            tg__acquired(a, r, TG_MODE_EXCL, pc);
        tg__lockorder_note(a);
        REC(tg__rec_acquire(a, (uintptr_t)m, TG_RES_MUTEX, TG_MODE_EXCL, 0, pc, 0));
        return rc;
    }
    if (rc != EBUSY) /* an error of trylock's own: the lock call says its own */
        return lock_taken(a, m, pc, abs ? REAL(mutex_clocklock)(m, clk, abs) : REAL(mutex_lock)(m));
    return lock_slow(a, m, pc, clk, abs);
}

/* 1 if m is among the newest holds of a: a relock, which must not go
 * straight into glibc (it would hang unseen until the watchdog's next
 * ticks). Deeper relocks are left to the watchdog, while there is one. */
static inline int recently_held(const struct tg_actor *a, const pthread_mutex_t *m)
{
    int n = a->n_held;
    if ((n > 0 && a->held[n - 1].addr == (uintptr_t)m) ||
        (n > 1 && a->held[n - 2].addr == (uintptr_t)m))
        return 1;
    if (TG_LIKELY(n <= 2 || tg__watchdog_running()))
        return 0;
    for (int i = 0; i < n - 2; i++)
        if (a->held[i].addr == (uintptr_t)m)
            return 1;
    return 0;
}

/* What lock order has left to do after a nesting (tg__lockorder_nest):
 * a function with a frame of its own, reached by tail calls only, so that
 * a stack captured in it is the program's from its first frame on. Its
 * own return address is the program's, usually: the walk to the program's
 * frame (tg__program_slot) is one step from here, and the slow path takes
 * that slot instead of walking from its own frame. */
static __attribute__((noinline)) int nest_left(struct tg_actor *a, int n, int left)
{
    if (left >= TG_NEST_SLOW)
        tg__lockorder_slow_at(a, tg__program_slot(), left - TG_NEST_SLOW);
    else
        tg__lockorder_deep(a, n);
    return 0;
}

/* The untimed lock in every case the fast path below leaves: a thread
 * not registered yet or inside tangle, a relock, a fork child's inherited
 * holds, hold times (hold_ms) or a recording. */
static __attribute__((noinline)) int lock_general(pthread_mutex_t *m, uintptr_t pc)
{
    struct tg_actor *a = tg__self();
    if (TG_UNLIKELY(!a))
        return REAL_MUTEX(mutex_lock)(m);
    if (TG_UNLIKELY(recently_held(a, m)) && !(mutex_flags(m) & TG_RF_RECURSIVE))
        return lock_slow(a, m, pc, CLOCK_REALTIME, NULL);
    if (TG_UNLIKELY(tg__inherited_holds))
        return lock_fast(m, pc, CLOCK_REALTIME, NULL);
    /* Untimed lock: glibc's own fast path (its trylock costs several ns
     * more), with the call published for the watchdog in case it blocks. */
    a->pending_pc = pc;
    a->pending_seq++;
    __atomic_store_n(&a->pending, (uintptr_t)m, __ATOMIC_RELEASE);
    int rc = REAL_MUTEX(mutex_lock)(m);
    __atomic_store_n(&a->pending, 0, __ATOMIC_RELAXED);
    return lock_taken(a, m, pc, rc);
}

/* The untimed lock, shared by pthread_mutex_lock and C11's mtx_lock: the
 * same as lock_general, in fewer instructions where it can be. */
static inline __attribute__((always_inline)) int mutex_lock(pthread_mutex_t *m, uintptr_t pc)
{
    struct tg_actor *a = tg__current;
    if (TG_UNLIKELY(!a || (tg__guard | tg__modes.any)))
        return lock_general(m, pc);
    int n = a->n_held;
    if (n > 0) { /* recently_held, but for its rare deep scan */
        const struct tg_held *top = &a->held[(unsigned)n - 1];
        if (TG_UNLIKELY(top->addr == (uintptr_t)m) ||
            (n > 1 && (TG_UNLIKELY(top[-1].addr == (uintptr_t)m) ||
                       (n > 2 && TG_UNLIKELY(!tg__watchdog_running())))))
            return lock_general(m, pc);
    }
    a->pending_pc = pc;
    a->pending_seq++;
    __atomic_store_n(&a->pending, (uintptr_t)m, __ATOMIC_RELEASE);
    int rc = REAL_MUTEX(mutex_lock)(m);
    __atomic_store_n(&a->pending, 0, __ATOMIC_RELAXED);
    /* A signal handler may have changed the holds meanwhile: n again. */
    n = a->n_held;
    if (TG_UNLIKELY(rc != 0))
        return lock_taken(a, m, pc, rc);
    if (n == 0) { /* a lock taken alone: the list has room for one (held_inline) */
        tg__hold_fill_addr(a->held, (uintptr_t)m, TG_MODE_EXCL, pc, 0);
        __atomic_store_n(&a->n_held, 1, __ATOMIC_RELEASE);
        return 0;
    }
    if (TG_UNLIKELY(n == a->cap_held))
        return lock_list_full(a, m, pc);
    struct tg_held *h = &a->held[(unsigned)n];
    tg__hold_fill_addr(h, (uintptr_t)m, TG_MODE_EXCL, pc, 0);
    __atomic_store_n(&a->n_held, n + 1, __ATOMIC_RELEASE);
    /* m is not the hold below: checked above. (A signal handler that kept
     * a hold of a recursive m would at worst make this a nesting of m in
     * itself, which adds no edge.) */
    int left = tg__lockorder_nest(a, h, n + 1, (uintptr_t)m, TG_MODE_EXCL, 0);
    if (TG_UNLIKELY(left != TG_NEST_DONE))
        return nest_left(a, n + 1, left); /* a tail call: see TG_FRAMELESS */
    return 0;
}

TG_EXPORT TG_FRAMELESS int pthread_mutex_lock(pthread_mutex_t *m)
{
    return mutex_lock(m, CALLER_PC);
}

int tg__mutex_lock(pthread_mutex_t *m, uintptr_t pc)
{
    return mutex_lock(m, pc);
}

int tg__mutex_timedlock(pthread_mutex_t *m, const struct timespec *abs, uintptr_t pc)
{
    return lock_fast(m, pc, CLOCK_REALTIME, abs);
}

TG_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abs)
{
    return lock_fast(m, CALLER_PC, CLOCK_REALTIME, abs);
}

TG_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk, const struct timespec *abs)
{
    return lock_fast(m, CALLER_PC, clk, abs);
}

int tg__mutex_trylock(pthread_mutex_t *m, uintptr_t pc)
{
    int rc = REAL_MUTEX(mutex_trylock)(m);
    if (rc == 0 || rc == EOWNERDEAD) {
        /* By address, as the untimed lock does: slow paths find its entry. */
        struct tg_actor *a = tg__self();
        if (a) {
            tg__acquired_addr(a, (uintptr_t)m, TG_MODE_EXCL, pc);
            REC(tg__rec_acquire(a, (uintptr_t)m, TG_RES_MUTEX, TG_MODE_EXCL, 1, pc, 0));
        }
    }
    return rc;
}

TG_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
    return tg__mutex_trylock(m, CALLER_PC);
}

/* The unlock in every case the fast path below leaves. */
static __attribute__((noinline)) int unlock_general(pthread_mutex_t *m, uintptr_t pc)
{
    struct tg_actor *a = tg__self();
    if (TG_UNLIKELY(!a))
        return REAL_MUTEX(mutex_unlock)(m);
    if (tg__release_addr(a, (uintptr_t)m, pc) == 0) {
        REC(tg__rec_release(a, (uintptr_t)m, TG_RES_MUTEX, pc));
        int rc = REAL_MUTEX(mutex_unlock)(m);
        tg__lockorder_idle(a); /* its first nestings, now that it holds nothing */
        return rc;
    }
    struct tg_res *r = mutex_res(m, pc); /* before: the kind is read from m */
    /* Its owner as glibc records it (the unlock clears it): the holder is
     * found by its TID, not by a search of every thread. */
    long owner = __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED);
    int rc = REAL_MUTEX(mutex_unlock)(m);
    tg__misuse_unlock(a, (uintptr_t)m, TG_RES_MUTEX, rc, pc);
    if (rc == 0 && r)
        tg__released_by_other(a, r, owner);
    return rc;
}

/* The unlock of the last hold of a thread with first nestings queued:
 * they are handled after glibc's unlock (tg__lockorder_idle). */
static __attribute__((noinline)) int unlock_last(pthread_mutex_t *m, struct tg_actor *a)
{
    __atomic_store_n(&a->n_held, 0, __ATOMIC_RELEASE);
    int rc = REAL_MUTEX(mutex_unlock)(m);
    tg__lockorder_idle(a);
    return rc;
}

/* The unlock of the newest hold by a thread outside tangle, with nothing
 * recorded or timed, pops it and leaves the rest to glibc. */
static inline __attribute__((always_inline)) int mutex_unlock(pthread_mutex_t *m, uintptr_t pc)
{
    struct tg_actor *a = tg__current;
    int n;
    if (TG_LIKELY(a != NULL && !(tg__guard | tg__modes.any)) &&
        TG_LIKELY((n = a->n_held) > 0)) {
        struct tg_held *top = &a->held[(unsigned)n - 1];
        if (TG_LIKELY(top->addr == (uintptr_t)m)) {
            if (TG_UNLIKELY(a->lo_queued) && n == 1)
                return unlock_last(m, a);
            __atomic_store_n(&a->n_held, n - 1, __ATOMIC_RELEASE);
            return REAL_MUTEX(mutex_unlock)(m);
        }
        if (n > 1 && top[-1].addr == (uintptr_t)m) { /* a table lock released first */
            /* The top moves down but for its chain key, which counted the
             * hold removed (as tg__held_remove does), and its time (since,
             * written only while hold_ms is set: then this path is not
             * taken). */
            memcpy(&top[-1], top, offsetof(struct tg_held, chain));
            top[-1].chain = 0;
            memcpy(&top[-1].stack, &top->stack, offsetof(struct tg_held, since) -
                                                    offsetof(struct tg_held, stack));
            __atomic_store_n(&a->n_held, n - 1, __ATOMIC_RELEASE);
            return REAL_MUTEX(mutex_unlock)(m);
        }
    }
    return unlock_general(m, pc);
}

TG_EXPORT TG_FRAMELESS int pthread_mutex_unlock(pthread_mutex_t *m)
{
    return mutex_unlock(m, CALLER_PC);
}

int tg__mutex_unlock(pthread_mutex_t *m, uintptr_t pc)
{
    return mutex_unlock(m, pc);
}

/* ---- spinlocks ------------------------------------------------------------ */

TG_EXPORT int pthread_spin_init(pthread_spinlock_t *l, int pshared)
{
    int rc = REAL(spin_init)(l, pshared);
    tg__initialized(rc, (uintptr_t)l, TG_RES_SPIN, pshared ? TG_RF_PSHARED : 0, CALLER_PC);
    return rc;
}

TG_EXPORT int pthread_spin_destroy(pthread_spinlock_t *l)
{
    struct tg_res *r = tg__destroying((uintptr_t)l, TG_RES_SPIN, CALLER_PC);
    int rc = REAL(spin_destroy)(l);
    tg__destroyed(r, rc);
    return rc;
}

static int spin_untimed(void *l)
{
    return REAL(spin_lock)(l);
}

TG_EXPORT int pthread_spin_lock(pthread_spinlock_t *l)
{
    struct tg_actor *a = tg__self();
    if (!a || REAL(spin_trylock)(l) == 0) {
        if (!a)
            return REAL(spin_lock)(l);
        struct tg_res *r = tg__res_get((uintptr_t)l, TG_RES_SPIN, 0, CALLER_PC);
        if (r) {
            tg__acquired(a, r, TG_MODE_EXCL, CALLER_PC);
            tg__lockorder_note(a); /* spinlocks nest like mutexes */
        }
        return 0;
    }
    struct tg_res *r = tg__res_get((uintptr_t)l, TG_RES_SPIN, 0, CALLER_PC);
    if (!r)
        return REAL(spin_lock)(l);
    /* Spin briefly as the program would, then check, then spin for good. */
    uint64_t until = tg__now_ns() + (uint64_t)tg__opt.check_ms * 1000000ull;
    for (unsigned i = 1;; i++) {
        if (REAL(spin_trylock)(l) == 0) {
            tg__acquired(a, r, TG_MODE_EXCL, CALLER_PC);
            tg__lockorder_note(a);
            return 0;
        }
        if ((i & 1023) == 0 && tg__now_ns() > until)
            break;
    }
    struct tg_wait_desc w = {.res = r, .kind = TG_RES_SPIN, .mode = TG_MODE_EXCL, .pc = CALLER_PC};
    int rc = tg__block(a, &w, (void *)l, NULL, spin_untimed, CLOCK_MONOTONIC, NULL);
    if (rc == 0) {
        tg__acquired_slow(a, r, TG_MODE_EXCL, CALLER_PC);
        tg__lockorder_note(a);
    }
    return rc;
}

TG_EXPORT int pthread_spin_trylock(pthread_spinlock_t *l)
{
    int rc = REAL(spin_trylock)(l);
    struct tg_actor *a;
    if (rc == 0 && (a = tg__self()) != NULL) {
        struct tg_res *r = tg__res_get((uintptr_t)l, TG_RES_SPIN, 0, CALLER_PC);
        if (r)
            tg__acquired(a, r, TG_MODE_EXCL, CALLER_PC);
    }
    return rc;
}

TG_EXPORT int pthread_spin_unlock(pthread_spinlock_t *l)
{
    struct tg_actor *a = tg__self();
    if (!a)
        return REAL(spin_unlock)(l);
    if (tg__release_addr(a, (uintptr_t)l, CALLER_PC) == 0) {
        int rc = REAL(spin_unlock)(l);
        tg__lockorder_idle(a);
        return rc;
    }
    tg__misuse_unlock(a, (uintptr_t)l, TG_RES_SPIN, 0, CALLER_PC);
    struct tg_res *r = tg__res_get((uintptr_t)l, TG_RES_SPIN, 0, CALLER_PC);
    if (r)
        tg__released_by_other(a, r, 0);
    return REAL(spin_unlock)(l);
}
