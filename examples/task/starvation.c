/* SPDX-License-Identifier: MIT */
/* starvation.c: a task busy-waits for a flag without yielding; the task
 * that would set the flag (and unblock everyone) is runnable on the same
 * scheduler thread but never gets to run.
 *
 * Expected: a "long-running-task" hazard naming "spinner" after the
 * threshold (here 200 ms, set with tg_config_set), followed by the runnable
 * tasks it starves ("setter"); with starvation_fatal (set here) the program then ends with exit
 * status 66, as after a deadlock.
 */
#include "tangle/task.h"

static volatile int flag;
static tg_event done;

static void *spinner(void *arg)
{
    (void)arg;
    while (!flag) /* @spin: never yields */
        ;
    return NULL;
}

static void *setter(void *arg)
{
    (void)arg;
    flag = 1;
    tg_event_set(&done);
    return NULL;
}

static void *start(void *arg)
{
    (void)arg;
    tg_event_init(&done);
    tg_spawn(NULL, "spinner", spinner, NULL);
    tg_spawn(NULL, "setter", setter, NULL);
    tg_event_wait(&done);
    return NULL;
}

int main(void)
{
    struct tg_config c;
    tg_config_get(&c);
    c.long_task_ns = 200 * 1000 * 1000;
    c.starvation_fatal = 1;
    tg_config_set(&c);
    return tg_run(start, NULL);
}
