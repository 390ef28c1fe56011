/* SPDX-License-Identifier: MIT */
/* annotate.h: the engine entry points behind include/tangle/annotate.h,
 * shared by the public annotation calls and by the hooks of libraries
 * whose locks bypass pthreads (glib.c). `pc` is the call site a report
 * shows for the operation. Flags are the TG_LOCK_* and TG_WAIT_* values of
 * the public header. */
#ifndef TG_PRELOAD_ANNOTATE_H
#define TG_PRELOAD_ANNOTATE_H

#include "preload/preload.h"
#include "tangle/annotate.h"

/* A flag of the hooks' own, with the public TG_LOCK_* flags: the lock is
 * an rwlock (GRWLock), write locks included, from its creation on. */
#define TG__LOCK_RWLOCK (1u << 30)

void tg__ann_create(uintptr_t addr, unsigned flags, uintptr_t pc);
void tg__ann_destroy(uintptr_t addr, unsigned flags, uintptr_t pc);
void tg__ann_pre_lock(uintptr_t addr, unsigned flags, uintptr_t pc);
void tg__ann_post_lock(uintptr_t addr, unsigned flags, int recursion, uintptr_t pc);
int tg__ann_pre_unlock(uintptr_t addr, unsigned flags, uintptr_t pc);
void tg__ann_post_unlock(uintptr_t addr, unsigned flags);
/* A bracket in which nothing is watched (signals, and hooks that call the
 * real function with the lock's state already recorded). */
void tg__ann_quiet_begin(void);
void tg__ann_quiet_end(void);
/* A wait anyone may end; `mutex` (0 if none) is a lock the waiter gave up
 * for the wait and needs back to return, as in a condition wait. */
void tg__ann_pre_wait(uintptr_t addr, unsigned flags, uintptr_t mutex, uintptr_t pc);
void tg__ann_post_wait(uintptr_t addr, unsigned flags);

/* The entry of the lock at addr, fit for use: created on first use (with
 * the creation flags given to this operation), a new instance if it was
 * destroyed and is used again without a create (a static lock), an rwlock
 * once it is read-locked. NULL only if the table is full. */
struct tg_res *tg__ann_lock_res_slow(uintptr_t addr, unsigned flags, uintptr_t pc,
                                     struct tg_res *r);
static inline struct tg_res *tg__ann_lock_res(uintptr_t addr, unsigned flags, uintptr_t pc)
{
    struct tg_res *r = tg__res_lookup(addr);
    /* The common case: a live lock that already is what the flags say. */
    if (TG_LIKELY(r != NULL)) {
        uint32_t have = __atomic_load_n(&r->flags, __ATOMIC_ACQUIRE);
        if (TG_LIKELY(!(have & TG_RF_DESTROYED) &&
                      !(flags & ~(TG_LOCK_TRY | TG_LOCK_TRY_FAILED | TG_LOCK_READ |
                                  TG_LOCK_WRITE_REENTRANT | TG__LOCK_RWLOCK)) &&
                      (!(flags & (TG_LOCK_READ | TG__LOCK_RWLOCK)) || tg__res_kind_of(r) == TG_RES_RWLOCK) &&
                      (!(flags & TG_LOCK_WRITE_REENTRANT) || (have & TG_RF_RECURSIVE))))
            return r;
    }
    return tg__ann_lock_res_slow(addr, flags, pc, r);
}

/* What a lock operation with these flags says the lock is (TG_AS_*), so
 * that the operation needs only the lock's address, as a pthread mutex
 * hook does: the entry is looked up (or made, as `as` says) by the slow
 * paths that need it. 0 if the flags carry creation flags (linker-init,
 * writer-preferring, ...), which the operation must give the entry first. */
static inline unsigned tg__ann_as(unsigned flags)
{
    if (flags & ~(TG_LOCK_TRY | TG_LOCK_TRY_FAILED | TG_LOCK_READ | TG_LOCK_WRITE_REENTRANT |
                  TG_LOCK_RECURSIVE_LOCK | TG__LOCK_RWLOCK))
        return 0;
    return TG_AS_DESCRIBED | ((flags & (TG_LOCK_READ | TG__LOCK_RWLOCK)) ? TG_AS_RWLOCK : 0) |
           ((flags & TG_LOCK_WRITE_REENTRANT) ? TG_AS_RECURSIVE : 0);
}

/* The kind of the lock at addr that a lock operation described as `as`
 * records in a trace (a slow path: recording only). */
enum tg_res_kind tg__ann_rec_kind(uintptr_t addr, unsigned as, uintptr_t pc);

/* Publishes a lock call on the actor for the watchdog (plain stores);
 * `as` (non-zero) tells it what the lock is should it have no entry yet. */
static inline void tg__ann_publish(struct tg_actor *a, uintptr_t addr, unsigned flags, uintptr_t pc,
                                   unsigned as)
{
    a->pending_pc = pc;
    a->pending_mode = (flags & TG_LOCK_READ) ? TG_MODE_READ : TG_MODE_EXCL;
    a->pending_as = (uint8_t)as;
    a->pending_seq++;
    __atomic_store_n(&a->pending, addr, __ATOMIC_RELEASE);
}

/* Ends a published call (tg__ann_publish). */
static inline void tg__ann_unpublish(struct tg_actor *a)
{
    __atomic_store_n(&a->pending, 0, __ATOMIC_RELAXED);
    a->pending_mode = TG_MODE_EXCL;
    a->pending_as = 0;
}

/* A whole lock or unlock call of a library's lock (glib.c): fn(l) runs
 * unwatched inside, described to the engine as the pre and post calls
 * would describe it. The common case (not a relock, not a fork child
 * whose parent's other threads held locks, the newest hold unlocked first)
 * is inline and costs what a pthread mutex hook costs: the
 * lock's address and the flags are all it needs (no lookup of its entry);
 * the rest is a bracket of pre and post calls. */
void tg__ann_lock_bracketed(void *l, unsigned flags, void (*fn)(void *), uintptr_t pc);
void tg__ann_unlock_bracketed(void *l, unsigned flags, void (*fn)(void *), uintptr_t pc);

/* 1 if a lock call on addr by a may be a relock: addr is among the two
 * newest holds, or deeper while no watchdog runs (as mutex.c decides). A
 * bracket then describes it (and starts the watchdog if need be). */
static inline int tg__ann_maybe_relock(const struct tg_actor *a, uintptr_t addr)
{
    int n = a->n_held;
    if ((n > 0 && a->held[n - 1].addr == addr) || (n > 1 && a->held[n - 2].addr == addr))
        return 1;
    return n > 2 && !tg__watchdog_running();
}

__attribute__((always_inline)) static inline void tg__ann_lock_call(void *l, unsigned flags, void (*fn)(void *), uintptr_t pc)
{
    uintptr_t addr = (uintptr_t)l;
    struct tg_actor *a = tg__self();
    unsigned as = tg__ann_as(flags);
    if (TG_UNLIKELY(!a)) { /* not watched: inside a bracket, or not a program thread */
        fn(l);
        return;
    }
    if ((!(flags & TG_LOCK_WRITE_REENTRANT) && TG_UNLIKELY(tg__ann_maybe_relock(a, addr))) ||
        TG_UNLIKELY(!as || tg__inherited_holds)) {
        tg__ann_lock_bracketed(l, flags, fn, pc);
        return;
    }
    tg__ann_publish(a, addr, flags, pc, as);
    tg__guard++; /* the lock's own code (futex waits, pthread calls) is not watched */
    fn(l);
    tg__guard--;
    tg__ann_unpublish(a);
    enum tg_mode m = (flags & TG_LOCK_READ) ? TG_MODE_READ : TG_MODE_EXCL;
    tg__acquired_as(a, addr, m, pc, as);
    tg__lockorder_note(a);
    REC(tg__rec_acquire(a, addr, tg__ann_rec_kind(addr, as, pc), m, 0, pc, 0));
}

__attribute__((always_inline)) static inline void tg__ann_unlock_call(void *l, unsigned flags, void (*fn)(void *), uintptr_t pc)
{
    uintptr_t addr = (uintptr_t)l;
    struct tg_actor *a = tg__self();
    if (TG_UNLIKELY(!a)) {
        fn(l);
        return;
    }
    int n = a->n_held;
    if (TG_UNLIKELY(n == 0 || a->held[n - 1].addr != addr || tg__hold_watch)) {
        tg__ann_unlock_bracketed(l, flags, fn, pc);
        return;
    }
    __atomic_store_n(&a->n_held, n - 1, __ATOMIC_RELEASE);
    REC(tg__rec_release(a, addr, TG_RES_MUTEX, pc));
    tg__guard++;
    fn(l);
    tg__guard--;
}

#endif
