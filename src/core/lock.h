/* SPDX-License-Identifier: MIT */
/* lock.h: tangle's own small lock for slow paths (engine, reports).
 *
 * A futex-based mutex (the three-state design from Drepper's "Futexes Are
 * Tricky"), so that tangle's own locking never goes through the pthread
 * functions it interposes, works before any symbol is resolved, and can be
 * reset in a fork child. */
#ifndef TG_CORE_LOCK_H
#define TG_CORE_LOCK_H

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void tg__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

typedef struct { int state; } tg_lock_t; /* 0 free, 1 locked, 2 locked with waiters */
#define TG_LOCK_INIT {0}

static inline void tg__lock_take(tg_lock_t *l)
{
    int c = 0;
    if (__atomic_compare_exchange_n(&l->state, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    /* Sections under these locks are short: spinning a little first saves
     * the sleep and the wake-up, which on a loaded machine costs a time
     * slice. */
    for (int spin = 0; spin < 256 && c != 2; spin++) {
        tg__cpu_relax();
        c = __atomic_load_n(&l->state, __ATOMIC_RELAXED);
        if (c == 0 && __atomic_compare_exchange_n(&l->state, &c, 1, 0, __ATOMIC_ACQUIRE,
                                                  __ATOMIC_RELAXED))
            return;
    }
    if (c != 2)
        c = __atomic_exchange_n(&l->state, 2, __ATOMIC_ACQUIRE);
    while (c != 0) {
        syscall(SYS_futex, &l->state, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
        c = __atomic_exchange_n(&l->state, 2, __ATOMIC_ACQUIRE);
    }
}

/* Takes l if it is free; 1 if taken. */
static inline int tg__lock_try(tg_lock_t *l)
{
    int c = 0;
    return __atomic_compare_exchange_n(&l->state, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void tg__lock_give(tg_lock_t *l)
{
    if (__atomic_exchange_n(&l->state, 0, __ATOMIC_RELEASE) == 2)
        syscall(SYS_futex, &l->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

#endif
