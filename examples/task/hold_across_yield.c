/* SPDX-License-Identifier: MIT */
/* hold_across_yield.c: a task yields while holding a pthread mutex (the
 * run-time form of clippy's await_holding_lock). Another task of the same
 * scheduler thread then blocks the whole thread on that mutex, so the
 * holder can never run to release it.
 *
 * Expected: a "hold-across-switch" hazard naming task "holder", then a
 * deadlock: "other" blocks its scheduler thread in pthread_mutex_lock (at
 * @wait) while "holder", the owner, cannot run; exit status 66.
 */
#include <pthread.h>
#include "tangle/task.h"

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;

static void *holder(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&stats_lock); /* @acquire */
    tg_yield();                      /* @switch: the hazard */
    pthread_mutex_unlock(&stats_lock);
    return NULL;
}

static void *other(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&stats_lock); /* @wait: blocks the scheduler thread */
    pthread_mutex_unlock(&stats_lock);
    return NULL;
}

static void *start(void *arg)
{
    (void)arg;
    tg_spawn(NULL, "holder", holder, NULL);
    tg_spawn(NULL, "other", other, NULL);
    return NULL;
}

int main(void)
{
    return tg_run(start, NULL);
}
