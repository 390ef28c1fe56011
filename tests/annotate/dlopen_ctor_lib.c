/* SPDX-License-Identifier: MIT */
/* The library case_libc_dlopen_ctor loads: its constructor, run by dlopen
 * with the loader's lock held, says it runs and takes the program's mutex
 * (their addresses come in the environment, as a test's shortcut). */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdlib.h>

__attribute__((constructor)) static void take_program_lock(void)
{
    const char *m = getenv("CASE_MUTEX"), *s = getenv("CASE_SEM");
    if (!m || !s)
        return;
    sem_post((sem_t *)(uintptr_t)strtoull(s, NULL, 16));
    pthread_mutex_t *lock = (pthread_mutex_t *)(uintptr_t)strtoull(m, NULL, 16);
    pthread_mutex_lock(lock); /* held by the thread that waits for the loader's lock */
    pthread_mutex_unlock(lock);
}
