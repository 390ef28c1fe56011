/* SPDX-License-Identifier: MIT */
/* sem_permits.c: two tasks each hold one of a semaphore's two permits and
 * need a second one to finish: neither will ever release.
 *
 * Expected: a deadlock naming "job-1" and "job-2", each holding a permit
 * (acquired at @acquire) and waiting for another (at @wait); exit status 66.
 */
#include "tangle/task.h"

static tg_sem pool;

static void *job(void *arg)
{
    (void)arg;
    tg_sem_acquire(&pool); /* @acquire */
    tg_yield();            /* the other job takes the last permit */
    tg_sem_acquire(&pool); /* @wait */
    tg_sem_release(&pool);
    tg_sem_release(&pool);
    return NULL;
}

static void *start(void *arg)
{
    (void)arg;
    tg_spawn(NULL, "job-1", job, NULL);
    tg_spawn(NULL, "job-2", job, NULL);
    return NULL;
}

int main(void)
{
    tg_sem_init(&pool, 2, 0);
    return tg_run(start, NULL);
}
