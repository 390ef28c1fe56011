/* SPDX-License-Identifier: MIT */
/* hazards.c: programs that raise one hazard each; run by check_example.py.
 *
 *   hazards long_hold    a task holds a tg_mutex for 300 ms (threshold 50 ms):
 *                        a lock-held-too-long hazard names task "slow" and
 *                        the unlock line; exit status 66 (a report was made).
 *   hazards cancelled    a task cancelled while holding a lock unwinds
 *                        without releasing it: exit-holding-lock names task
 *                        "victim" and the line it took the lock; exit 66.
 *   blocking             a task sleeps 1.5 s in nanosleep, a plain blocking
 *                        call, while another task is runnable (threshold
 *                        300 ms): the time asleep in its own call counts as
 *                        the task's, so a long-running-task hazard names
 *                        task "sleeper" and the runnable "starved"; exit 66.
 */
#include <string.h>
#include <time.h>
#include "tangle/task.h"

#define MS 1000000LL

static tg_mutex m;

static void *slow(void *arg)
{
    (void)arg;
    tg_mutex_lock(&m);
    tg_sleep(300 * MS);
    tg_mutex_unlock(&m); /* @unlock */
    return NULL;
}

static void *victim(void *arg)
{
    (void)arg;
    tg_mutex_lock(&m); /* @acquire */
    if (tg_sleep(10000 * MS) == TG_ECANCELED)
        return NULL; /* unwinds but forgets the lock */
    tg_mutex_unlock(&m);
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    struct timespec ts = { 1, 500 * MS };
    nanosleep(&ts, NULL); /* blocks the scheduler thread */
    return NULL;
}

static void *starved(void *arg)
{
    (void)arg;
    return NULL;
}

static void *start(void *arg)
{
    tg_task *t;
    if (strcmp(arg, "blocking") == 0) {
        tg_spawn(&t, "sleeper", sleeper, NULL);
        tg_spawn(NULL, "starved", starved, NULL);
    } else if (strcmp(arg, "long_hold") == 0) {
        tg_spawn(&t, "slow", slow, NULL);
    } else {
        tg_spawn(&t, "victim", victim, NULL);
        tg_sleep(5 * MS);
        tg_cancel(t);
    }
    tg_join(t, NULL);
    return NULL;
}

int main(int argc, char **argv)
{
    struct tg_config c;
    tg_config_get(&c);
    c.long_hold_ns = 50 * MS;
    c.long_task_ns = 300 * MS;
    tg_config_set(&c);
    tg_mutex_init(&m);
    return tg_run(start, argc > 1 ? argv[1] : "long_hold");
}
