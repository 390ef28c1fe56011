/* SPDX-License-Identifier: MIT */
/* free.c: free() is watched for one mistake: freeing memory that holds a
 * lock the freeing thread still holds; and locks of the lock-order graph
 * whose memory is freed without a destroy leave the graph. It costs a
 * thread-local load and a test when the thread holds no lock and the graph
 * holds no lock instance; else the block's size and a load per page it
 * spans. Locks held by other threads in the freed block are not looked for
 * (that would need a global search on every free). */
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

/* The checks of a block freed while the thread holds a lock or the graph
 * has lock instances, then the free itself. */
static __attribute__((noinline)) void free_checked(void *p, void (*f)(void *), struct tg_actor *a,
                                                   int held, uintptr_t pc)
{
    uintptr_t lo = (uintptr_t)p, hi = lo + malloc_usable_size(p);
    if (held)
        tg__misuse_freed(a, lo, hi, "freed", pc);
    tg__lockorder_freed(lo, hi);
    f(p);
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
    int held = a && a->n_held > 0;
    if (TG_UNLIKELY(p && (held || __atomic_load_n(&tg__graph_instances, __ATOMIC_RELAXED)) &&
                    !tg__guard)) {
        free_checked(p, f, a, held, CALLER_PC);
        return;
    }
    f(p);
}
