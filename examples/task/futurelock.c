/* SPDX-License-Identifier: MIT */
/* futurelock.c: the pattern of the futurelock write-ups (Oxide RFD 609),
 * which hangs under tokio and must run to completion here.
 *
 * In Rust: a background task holds a lock for a while; the main task polls
 * `do_stuff(lock)` once inside `select!` against a timeout, so the future
 * queues for the lock; the timeout wins and the arm's body awaits
 * `do_other_stuff(lock)`. The lock is then handed to the queued future,
 * which nobody polls again: deadlock. Here the losing select arm is
 * withdrawn atomically with the win, so the lock goes to the task that
 * actually waits for it.
 *
 * Expected: prints "futurelock: completed" and exits with status 0, with no
 * report.
 */
#include <stdio.h>
#include "tangle/task.h"

#define MS 1000000LL

static tg_mutex lock;

static void *background(void *arg)
{
    (void)arg;
    tg_mutex_lock(&lock);
    tg_sleep(50 * MS);
    tg_mutex_unlock(&lock);
    return NULL;
}

static void do_other_stuff(void)
{
    tg_mutex_lock(&lock);
    tg_mutex_unlock(&lock);
}

static void *main_task(void *arg)
{
    (void)arg;
    tg_task *bg, *contender;
    tg_spawn(&bg, "background", background, NULL);
    tg_yield(); /* background takes the lock */
    /* A third task queues for the lock too, as in the write-up. */
    tg_spawn(&contender, "contender", background, NULL);
    tg_yield();
    struct tg_sel do_stuff = { .op = TG_SEL_LOCK, .obj = &lock };
    int r = tg_select(&do_stuff, 1, tg_now() + 10 * MS); /* select! { do_stuff, sleep } */
    if (r == 0) {
        tg_mutex_unlock(&lock);
    } else {
        do_other_stuff(); /* the timeout arm's body */
    }
    tg_join(bg, NULL);
    tg_join(contender, NULL);
    printf("futurelock: completed (select returned %s)\n", r == 0 ? "the lock" : tg_strerror(r));
    return NULL;
}

int main(void)
{
    tg_mutex_init(&lock);
    return tg_run(main_task, NULL);
}
