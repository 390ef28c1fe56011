/* SPDX-License-Identifier: MIT */
/* real.c: the real pthread functions behind tangle's hooks. */
#include "preload/preload.h"

#include <dlfcn.h>

/* Before tg__real_resolve has run, the three mutex calls that hooks make
 * on every lock and unlock (REAL_MUTEX, without a check) resolve first. */
static int first_mutex_lock(pthread_mutex_t *m)
{
    tg__real_resolve();
    return tg__real.mutex_lock(m);
}

static int first_mutex_trylock(pthread_mutex_t *m)
{
    tg__real_resolve();
    return tg__real.mutex_trylock(m);
}

static int first_mutex_unlock(pthread_mutex_t *m)
{
    tg__real_resolve();
    return tg__real.mutex_unlock(m);
}

struct tg_real tg__real = {
    .mutex_lock = first_mutex_lock,
    .mutex_trylock = first_mutex_trylock,
    .mutex_unlock = first_mutex_unlock,
};

#define NEXT(field, name) (*(void **)&tg__real.field = dlsym(RTLD_NEXT, name))
#define NEXTV(field, name, ver)                                                   \
    do {                                                                          \
        *(void **)&tg__real.field = dlvsym(RTLD_NEXT, name, ver);                 \
        if (!tg__real.field)                                                      \
            NEXT(field, name);                                                    \
    } while (0)

void tg__real_resolve(void)
{
    if (tg__real.ready)
        return;
    tg__guard++;
    NEXT(mutex_lock, "pthread_mutex_lock");
    NEXT(mutex_trylock, "pthread_mutex_trylock");
    NEXT(mutex_unlock, "pthread_mutex_unlock");
    NEXT(mutex_init, "pthread_mutex_init");
    NEXT(mutex_destroy, "pthread_mutex_destroy");
    NEXT(rwlock_rdlock, "pthread_rwlock_rdlock");
    NEXT(rwlock_wrlock, "pthread_rwlock_wrlock");
    NEXT(rwlock_tryrdlock, "pthread_rwlock_tryrdlock");
    NEXT(rwlock_trywrlock, "pthread_rwlock_trywrlock");
    NEXT(rwlock_unlock, "pthread_rwlock_unlock");
    NEXT(rwlock_init, "pthread_rwlock_init");
    NEXT(rwlock_destroy, "pthread_rwlock_destroy");
    NEXT(mutex_clocklock, "pthread_mutex_clocklock");
    NEXT(mutex_timedlock, "pthread_mutex_timedlock");
    NEXT(rwlock_clockrdlock, "pthread_rwlock_clockrdlock");
    NEXT(rwlock_clockwrlock, "pthread_rwlock_clockwrlock");
    NEXT(rwlock_timedrdlock, "pthread_rwlock_timedrdlock");
    NEXT(rwlock_timedwrlock, "pthread_rwlock_timedwrlock");
    NEXTV(cond_wait, "pthread_cond_wait", "GLIBC_2.3.2");
    NEXTV(cond_timedwait, "pthread_cond_timedwait", "GLIBC_2.3.2");
    NEXT(cond_clockwait, "pthread_cond_clockwait");
    NEXTV(cond_init, "pthread_cond_init", "GLIBC_2.3.2");
    NEXTV(cond_signal, "pthread_cond_signal", "GLIBC_2.3.2");
    NEXTV(cond_broadcast, "pthread_cond_broadcast", "GLIBC_2.3.2");
    NEXTV(cond_destroy, "pthread_cond_destroy", "GLIBC_2.3.2");
    NEXT(sem_init, "sem_init");
    NEXT(sem_destroy, "sem_destroy");
    NEXT(sem_wait, "sem_wait");
    NEXT(sem_trywait, "sem_trywait");
    NEXT(sem_timedwait, "sem_timedwait");
    NEXT(sem_clockwait, "sem_clockwait");
    NEXT(sem_post, "sem_post");
    NEXT(barrier_init, "pthread_barrier_init");
    NEXT(barrier_wait, "pthread_barrier_wait");
    NEXT(barrier_destroy, "pthread_barrier_destroy");
    NEXT(spin_lock, "pthread_spin_lock");
    NEXT(spin_trylock, "pthread_spin_trylock");
    NEXT(spin_unlock, "pthread_spin_unlock");
    NEXT(spin_init, "pthread_spin_init");
    NEXT(spin_destroy, "pthread_spin_destroy");
    NEXT(create, "pthread_create");
    NEXT(join, "pthread_join");
    NEXT(timedjoin_np, "pthread_timedjoin_np");
    NEXT(clockjoin_np, "pthread_clockjoin_np");
    NEXT(tryjoin_np, "pthread_tryjoin_np");
    NEXT(detach, "pthread_detach");
    NEXT(exit, "pthread_exit");
    NEXT(setname_np, "pthread_setname_np");
    NEXT(c11_create, "thrd_create");
    __atomic_store_n(&tg__real.ready, 1, __ATOMIC_RELEASE);
    tg__guard--;
}
