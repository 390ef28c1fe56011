/* SPDX-License-Identifier: MIT */
/* objects.c: what glibc's own objects say about themselves.
 *
 * An object tangle never saw initialised (sem_open's semaphores, a mutex
 * or condition another process set up in shared memory, a statically
 * initialised lock) carries its process-shared and robust attributes in
 * its own bytes; and an object that comes back to life at an address
 * after a destroy (by a static initialiser, a C++ constructor) shows it by
 * bytes that changed since glibc destroyed it. Layouts are glibc's on
 * 64-bit Linux (stable since 2.25); where a field is unknown the answer
 * is "nothing special". */
#include "preload/preload.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* glibc's internal values, read from public and internal layouts:
 * mutex __kind bits, condition __wrefs bits, and the "shared" word of
 * semaphores (third int) and barriers (fourth int), 128 when shared. */
#define MUTEX_ROBUST 16
#define MUTEX_PSHARED 128
#define MUTEX_DESTROYED (-1)
#define COND_PSHARED 1u
#define COND_DESTROYED 4u
#define FUTEX_SHARED_WORD 128
#define RWLOCK_WRPHASE 1u

size_t tg__object_size(enum tg_res_kind kind)
{
    switch (kind) {
    case TG_RES_MUTEX: return sizeof(pthread_mutex_t);
    case TG_RES_RWLOCK: return sizeof(pthread_rwlock_t);
    case TG_RES_COND: return sizeof(pthread_cond_t);
    case TG_RES_SEM: return sizeof(sem_t);
    case TG_RES_BARRIER: return sizeof(pthread_barrier_t);
    case TG_RES_SPIN: return sizeof(pthread_spinlock_t);
    default: return 0;
    }
}

uint32_t tg__object_flags(const void *obj, enum tg_res_kind kind)
{
    uint32_t f = 0;
    switch (kind) {
    case TG_RES_MUTEX: {
        int k = ((const pthread_mutex_t *)obj)->__data.__kind;
        if (k == MUTEX_DESTROYED)
            break;
        if ((k & 3) == PTHREAD_MUTEX_RECURSIVE)
            f |= TG_RF_RECURSIVE;
        if ((k & 3) == PTHREAD_MUTEX_ERRORCHECK)
            f |= TG_RF_ERRORCHECK;
        if (k & MUTEX_ROBUST)
            f |= TG_RF_ROBUST;
        if (k & MUTEX_PSHARED)
            f |= TG_RF_PSHARED;
        break;
    }
    case TG_RES_RWLOCK: {
        const pthread_rwlock_t *l = obj;
        if (l->__data.__flags == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP)
            f |= TG_RF_WRITER_PREF;
        if (l->__data.__shared)
            f |= TG_RF_PSHARED;
        break;
    }
    case TG_RES_COND:
        if (((const pthread_cond_t *)obj)->__data.__wrefs & COND_PSHARED)
            f |= TG_RF_PSHARED;
        break;
    case TG_RES_SEM:
        if (((const int *)obj)[2] == FUTEX_SHARED_WORD)
            f |= TG_RF_PSHARED;
        break;
    case TG_RES_BARRIER:
        if (((const int *)obj)[3] == FUTEX_SHARED_WORD)
            f |= TG_RF_PSHARED;
        break;
    default:
        break;
    }
    return f;
}

/* The engine's hook (tg__res_flags_hook) for entries it creates itself. */
static uint32_t flags_at(uintptr_t addr, enum tg_res_kind kind)
{
    union {
        pthread_mutex_t m;
        pthread_rwlock_t l;
        pthread_cond_t c;
        sem_t s;
        pthread_barrier_t b;
    } u;
    size_t n = tg__object_size(kind);
    if (n == 0 || n > sizeof u || tg__peek(addr, &u, n) != 0)
        return 0;
    return tg__object_flags(&u, kind);
}

static int sem_count_at(uintptr_t addr)
{
    sem_t s;
    int v;
    if (tg__peek(addr, &s, sizeof s) != 0 || sem_getvalue(&s, &v) != 0)
        return -1;
    return v;
}

static long owner_at(uintptr_t addr)
{
    pthread_mutex_t m;
    if (tg__peek(addr, &m, sizeof m) != 0 || m.__data.__kind == MUTEX_DESTROYED)
        return -1;
    return m.__data.__owner;
}

int tg__object_valid(const void *obj, enum tg_res_kind kind)
{
    if (kind == TG_RES_SEM) {
        int w = ((const int *)obj)[2];
        return w == 0 || w == FUTEX_SHARED_WORD;
    }
    if (kind == TG_RES_MUTEX)
        return ((uintptr_t)obj & (_Alignof(pthread_mutex_t) - 1)) == 0;
    return 1;
}

int tg__object_idle(const void *obj, enum tg_res_kind kind)
{
    switch (kind) {
    case TG_RES_MUTEX: /* the lock word: 0 unlocked, else locked (and maybe waited for) */
        return __atomic_load_n(&((const pthread_mutex_t *)obj)->__data.__lock, __ATOMIC_ACQUIRE) == 0;
    case TG_RES_SPIN:
        return __atomic_load_n((const int *)obj, __ATOMIC_ACQUIRE) == 0;
    case TG_RES_RWLOCK: {
        /* __readers: its lowest bit says the lock is in its write phase,
         * which an unlock by a writer leaves set (1 with no reader, no
         * writer and nobody waiting: idle); the other bits count readers
         * and say a writer holds it or readers wait. */
        const pthread_rwlock_t *l = obj;
        return (__atomic_load_n(&l->__data.__readers, __ATOMIC_ACQUIRE) & ~RWLOCK_WRPHASE) == 0 &&
               __atomic_load_n(&l->__data.__writers, __ATOMIC_ACQUIRE) == 0 &&
               __atomic_load_n(&l->__data.__writers_futex, __ATOMIC_ACQUIRE) == 0 &&
               __atomic_load_n(&l->__data.__cur_writer, __ATOMIC_ACQUIRE) == 0;
    }
    default:
        return 0;
    }
}

void tg__objects_setup(void)
{
    tg__res_flags_hook = flags_at;
    tg__mutex_owner_hook = owner_at;
    tg__sem_count_hook = sem_count_at;
}

/* 1 if the bytes at obj show a new object, not the one glibc destroyed:
 * a destroyed mutex has kind -1 and a destroyed condition its destroy
 * bit, both cleared by any initialiser; an rwlock's destroy leaves its
 * bytes alone, so only a static initialiser's bytes (zero but for the
 * kind) count as new. Semaphores and barriers have no static initialiser:
 * only an init call (seen) makes them new. */
static int reborn(const struct tg_res *r, const void *obj)
{
    switch (tg__res_kind_of(r)) {
    case TG_RES_MUTEX:
        return ((const pthread_mutex_t *)obj)->__data.__kind != MUTEX_DESTROYED;
    case TG_RES_COND:
        return !(((const pthread_cond_t *)obj)->__data.__wrefs & COND_DESTROYED);
    case TG_RES_RWLOCK: {
        pthread_rwlock_t l;
        memcpy(&l, obj, sizeof l);
        l.__data.__flags = 0;
        static const pthread_rwlock_t zero;
        return memcmp(&l, &zero, sizeof l) == 0;
    }
    default:
        return 0;
    }
}

struct tg_res *tg__live_res(struct tg_actor *a, struct tg_res *r, const void *obj, uintptr_t pc)
{
    if (TG_LIKELY(!r || !(__atomic_load_n(&r->flags, __ATOMIC_ACQUIRE) & TG_RF_DESTROYED)))
        return r;
    enum tg_res_kind kind = tg__res_kind_of(r);
    if (!reborn(r, obj)) {
        tg__misuse_after_destroy(a, r, pc);
        return r;
    }
    /* A new object at the old address (a static initialiser, a C++
     * constructor): a new instance, created here. */
    struct tg_res *fresh = tg__res_init(r->addr, kind, tg__object_flags(obj, kind) | TG_RF_STATIC_INIT, pc);
    return fresh ? fresh : r;
}
