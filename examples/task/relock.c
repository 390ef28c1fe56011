/* SPDX-License-Identifier: MIT */
/* relock.c: a task awaits a lock it already holds, directly ("direct") and
 * through a task it awaits while holding the lock ("nested": the awaited
 * task needs the same lock, like a coroutine awaited under a guard).
 *
 * Run:      ./task_relock [direct|nested]
 * Expected: tangle reports the deadlock the moment it forms (the task, the
 *           lock, where it was taken and where the task waits) and the
 *           program ends with exit status 66 instead of hanging.
 */
#include <string.h>
#include "tangle/task.h"

static tg_mutex cache_lock;

static void *refresh_entry(void *arg)
{
    (void)arg;
    tg_mutex_lock(&cache_lock); /* @wait-refresh: waits for its own awaiter */
    tg_mutex_unlock(&cache_lock);
    return NULL;
}

static void *handler(void *arg)
{
    tg_mutex_lock(&cache_lock); /* @acquire */
    if (strcmp(arg, "nested") == 0) {
        tg_task *t;
        tg_spawn(&t, "refresh", refresh_entry, NULL);
        tg_join(t, NULL); /* @wait-join */
    } else {
        tg_mutex_lock(&cache_lock); /* @wait-relock: the same task, the same lock */
    }
    tg_mutex_unlock(&cache_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    tg_mutex_init(&cache_lock);
    return tg_run(handler, argc > 1 ? argv[1] : "direct");
}
