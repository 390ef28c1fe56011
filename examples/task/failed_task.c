/* SPDX-License-Identifier: MIT */
/* failed_task.c: a task fails (returns early on an error path) while holding
 * a lock; the task that needs the lock next waits forever.
 *
 * Expected: first an "exit-holding-lock" hazard for task "loader" (which
 * took the lock at its @acquire line), then a deadlock: "reader" waits at its
 * @wait line for a mutex whose holder has ended; exit status 66.
 */
#include <stddef.h>
#include "tangle/task.h"

static tg_mutex config_lock;

static int parse(void) { return -1; /* the file is malformed */ }

static void *loader(void *arg)
{
    (void)arg;
    tg_mutex_lock(&config_lock); /* @acquire */
    if (parse() != 0)
        return (void *)-1; /* the error path forgets tg_mutex_unlock */
    tg_mutex_unlock(&config_lock);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    tg_sleep(1000000);
    tg_mutex_lock(&config_lock); /* @wait */
    tg_mutex_unlock(&config_lock);
    return NULL;
}

static void *start(void *arg)
{
    (void)arg;
    tg_spawn(NULL, "loader", loader, NULL);
    tg_spawn(NULL, "reader", reader, NULL);
    return NULL;
}

int main(void)
{
    tg_mutex_init(&config_lock);
    return tg_run(start, NULL);
}
