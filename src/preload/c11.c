/* SPDX-License-Identifier: MIT */
/* c11.c: C11 <threads.h>: mtx_*, cnd_* and thrd_*.
 *
 * glibc implements them on its pthread functions, but calls their internal
 * names (__pthread_mutex_lock, ...), which no preloaded library can
 * interpose: without these hooks a C11 program's locks, waits and threads
 * are invisible. Each hook does what glibc's C11 function does (the same
 * objects, which glibc lays out as its pthread ones) through tangle's
 * pthread hooks, and maps the errno result to a thrd_* code as glibc does.
 * mtx_plain and mtx_timed make a normal mutex, mtx_recursive a recursive
 * one. thrd_exit needs no hook: a thread's end is seen however it comes. */
#include "preload/preload.h"

#include <errno.h>
#include <threads.h>

_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "mtx_t is glibc's pthread_mutex_t");
_Static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t), "cnd_t is glibc's pthread_cond_t");
_Static_assert(sizeof(thrd_t) == sizeof(pthread_t), "thrd_t is glibc's pthread_t");

#define MTX(m) ((pthread_mutex_t *)(void *)(m))
#define CND(c) ((pthread_cond_t *)(void *)(c))

/* glibc's own mapping (thrd_err_map). */
static int thrd_code(int rc)
{
    switch (rc) {
    case 0:
        return thrd_success;
    case ENOMEM:
        return thrd_nomem;
    case ETIMEDOUT:
        return thrd_timedout;
    case EBUSY:
        return thrd_busy;
    default:
        return thrd_error;
    }
}

TG_EXPORT int mtx_init(mtx_t *m, int type)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, (type & mtx_recursive) ? PTHREAD_MUTEX_RECURSIVE
                                                             : PTHREAD_MUTEX_NORMAL);
    int rc = tg__mutex_init(MTX(m), &attr, CALLER_PC);
    pthread_mutexattr_destroy(&attr);
    return thrd_code(rc);
}

TG_EXPORT void mtx_destroy(mtx_t *m)
{
    tg__mutex_destroy(MTX(m), CALLER_PC);
}

TG_EXPORT int mtx_lock(mtx_t *m)
{
    return thrd_code(tg__mutex_lock(MTX(m), CALLER_PC));
}

TG_EXPORT int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict abs)
{
    return thrd_code(tg__mutex_timedlock(MTX(m), abs, CALLER_PC));
}

TG_EXPORT int mtx_trylock(mtx_t *m)
{
    return thrd_code(tg__mutex_trylock(MTX(m), CALLER_PC));
}

TG_EXPORT int mtx_unlock(mtx_t *m)
{
    return thrd_code(tg__mutex_unlock(MTX(m), CALLER_PC));
}

TG_EXPORT int cnd_init(cnd_t *c)
{
    return thrd_code(tg__cond_init(CND(c), NULL, CALLER_PC));
}

TG_EXPORT void cnd_destroy(cnd_t *c)
{
    tg__cond_destroy(CND(c), CALLER_PC);
}

TG_EXPORT int cnd_signal(cnd_t *c)
{
    return thrd_code(tg__cond_notify(CND(c), 0, CALLER_PC));
}

TG_EXPORT int cnd_broadcast(cnd_t *c)
{
    return thrd_code(tg__cond_notify(CND(c), 1, CALLER_PC));
}

TG_EXPORT int cnd_wait(cnd_t *c, mtx_t *m)
{
    return thrd_code(tg__cond_wait(CND(c), MTX(m), NULL, CALLER_PC));
}

TG_EXPORT int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict abs)
{
    return thrd_code(tg__cond_wait(CND(c), MTX(m), abs, CALLER_PC));
}

TG_EXPORT int thrd_create(thrd_t *t, thrd_start_t fn, void *arg)
{
    return thrd_code(tg__thread_create(t, NULL, NULL, fn, arg));
}

TG_EXPORT int thrd_join(thrd_t t, int *res)
{
    void *ret;
    int rc = tg__thread_join(t, &ret, CLOCK_REALTIME, NULL, CALLER_PC);
    if (rc == 0 && res)
        *res = (int)(uintptr_t)ret;
    return thrd_code(rc);
}

TG_EXPORT int thrd_detach(thrd_t t)
{
    return thrd_code(tg__thread_detach(t));
}
