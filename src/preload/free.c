/* SPDX-License-Identifier: MIT */
/* free.c: free() is watched for one mistake: freeing memory that holds a
 * lock the freeing thread still holds; and locks of the lock-order graph
 * whose memory is freed without a destroy leave the graph. It costs a
 * thread-local load and a test when the thread holds no lock and the graph
 * holds no lock instance; else the block's size and two loads when the
 * block lies in a 2 MiB region without a lock of the graph, a load per
 * 128-byte grain near one. Locks held by other threads in the freed block
 * are not looked for (that would need a global search on every free). */
#include "preload/preload.h"

#include <dlfcn.h>
#include <malloc.h>

static void (*next_free)(void *);
static _Atomic int resolving;

void tg__free_resolve(void)
{
    if (next_free || __atomic_exchange_n(&resolving, 1, __ATOMIC_ACQ_REL))
        return;
    void (*f)(void *);
    *(void **)&f = dlsym(RTLD_NEXT, "free");
    __atomic_store_n(&next_free, f, __ATOMIC_RELEASE);
}

/* The block [p, hi) leaves the lock-order graph, then is freed. */
static inline __attribute__((always_inline)) void free_sized(void *p, uintptr_t hi,
                                                            void (*f)(void *))
{
    tg__lockorder_freed((uintptr_t)p, hi);
    f(p);
}

/* The check of a block freed while the graph has lock instances, then
 * the free itself: only p and f live across the size's call. */
static __attribute__((noinline)) void free_checked(void *p, void (*f)(void *))
{
    free_sized(p, (uintptr_t)p + malloc_usable_size(p), f);
}

/* The same for a block freed while the thread holds a lock (a has one),
 * which may be in it. */
static __attribute__((noinline)) void free_held(void *p, void (*f)(void *), struct tg_actor *a,
                                                uintptr_t pc)
{
    uintptr_t hi = (uintptr_t)p + malloc_usable_size(p);
    tg__misuse_freed(a, (uintptr_t)p, hi, "freed", pc);
    free_sized(p, hi, f);
}

/* Frameless (preload.h): both ways out are tail calls. */
TG_EXPORT TG_FRAMELESS void free(void *p)
{
    void (*f)(void *) = __atomic_load_n(&next_free, __ATOMIC_ACQUIRE);
    if (TG_UNLIKELY(!f)) {
        tg__free_resolve();
        f = __atomic_load_n(&next_free, __ATOMIC_ACQUIRE);
        if (!f)
            return; /* only while dlsym itself frees: a small leak, never a wrong free */
    }
    struct tg_actor *a = tg__current;
    if (TG_UNLIKELY(a && a->n_held > 0) && p && !tg__guard) {
        free_held(p, f, a, CALLER_PC);
        return;
    }
    if (TG_UNLIKELY(__atomic_load_n(&tg__graph_instances, __ATOMIC_RELAXED)) && p && !tg__guard) {
        free_checked(p, f);
        return;
    }
    f(p);
}
