/* SPDX-License-Identifier: MIT */
/* select_deadlock.c: selects over lock arms; run by check_example.py.
 *
 * In every mode a "ticker" task sleeps and wakes every millisecond, so its
 * scheduler never runs out of work and no stall can be seen: a deadlock
 * must be found the moment it closes, or not at all.
 *
 *   select_deadlock locks   "picker" holds lock A and selects on lock B or
 *                           lock C; "left" holds B and "right" holds C, and
 *                           both wait for A. The cycle closes when the last
 *                           of them blocks: a deadlock naming all three,
 *                           whose cycle is picker and one holder (2), and
 *                           picker's wait lists both arms with their
 *                           holders; exit 66.
 *   select_deadlock split   the same with "left" and "right" on a second
 *                           scheduler thread.
 *   select_deadlock escape  as locks, but "right" releases C after 50 ms
 *                           instead of waiting for A: the select wins C,
 *                           everyone finishes, no report, exit 0.
 *   select_deadlock mixed   "picker" selects on lock B or a channel the
 *                           ticker sends on after 50 ms, while "left" holds
 *                           B and waits for A: the channel arm wins, no
 *                           report, exit 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "tangle/task.h"

static tg_mutex a, b, c;
static tg_chan ch;
static tg_waitgroup holding;
static const char *mode;
static int stop;

static int is(const char *m) { return strcmp(mode, m) == 0; }

static void *ticker(void *arg)
{
    (void)arg;
    for (int n = 0; !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); n++) {
        tg_sleep(1000000);
        if (n == 50 && is("mixed")) {
            int v = 7;
            tg_chan_send(&ch, &v);
        }
    }
    return NULL;
}

static void *picker(void *arg)
{
    (void)arg;
    tg_mutex_lock(&a); /* @hold-a */
    tg_waitgroup_done(&holding);
    tg_waitgroup_wait(&holding);
    int v = 0;
    struct tg_sel arms[2] = { { .op = TG_SEL_LOCK, .obj = &b } };
    if (is("mixed"))
        arms[1] = (struct tg_sel){ .op = TG_SEL_RECV, .obj = &ch, .data = &v };
    else
        arms[1] = (struct tg_sel){ .op = TG_SEL_LOCK, .obj = &c };
    int won = tg_select(arms, 2, TG_FOREVER); /* @select */
    if (won == 0)
        tg_mutex_unlock(&b);
    else if (!is("mixed"))
        tg_mutex_unlock(&c);
    tg_mutex_unlock(&a);
    return (void *)(intptr_t)won;
}

static void *holder(void *arg)
{
    tg_mutex *mine = arg;
    tg_mutex_lock(mine); /* @hold-mine */
    tg_waitgroup_done(&holding);
    tg_waitgroup_wait(&holding);
    if (mine == &c && is("escape")) {
        tg_sleep(50000000);
        tg_mutex_unlock(mine);
        return NULL;
    }
    tg_mutex_lock(&a); /* @want-a */
    tg_mutex_unlock(&a);
    tg_mutex_unlock(mine);
    return NULL;
}

static void *holders(void *arg)
{
    (void)arg;
    tg_task *l, *r = NULL;
    tg_spawn(&l, "left", holder, &b);
    if (!is("mixed"))
        tg_spawn(&r, "right", holder, &c);
    tg_join(l, NULL);
    if (r)
        tg_join(r, NULL);
    return NULL;
}

static void *second(void *arg)
{
    tg_run(holders, arg);
    return NULL;
}

static void *main_task(void *arg)
{
    pthread_t *other = arg;
    tg_task *tick, *p, *h = NULL;
    tg_spawn(&tick, "ticker", ticker, NULL);
    tg_spawn(&p, "picker", picker, NULL);
    if (!other)
        tg_spawn(&h, "holders", holders, NULL);
    void *won;
    tg_join(p, &won);
    if (h)
        tg_join(h, NULL);
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    tg_join(tick, NULL);
    printf("select won arm %d\n", (int)(intptr_t)won);
    return NULL;
}

int main(int argc, char **argv)
{
    mode = argc > 1 ? argv[1] : "locks";
    if (!is("locks") && !is("split") && !is("escape") && !is("mixed")) {
        fprintf(stderr, "usage: select_deadlock locks|split|escape|mixed\n");
        return 2;
    }
    tg_mutex_init(&a);
    tg_mutex_init(&b);
    tg_mutex_init(&c);
    tg_chan_init(&ch, sizeof(int), 0);
    tg_waitgroup_init(&holding);
    tg_waitgroup_add(&holding, is("mixed") ? 2 : 3);
    pthread_t t;
    int split = is("split");
    if (split)
        pthread_create(&t, NULL, second, NULL);
    tg_run(main_task, split ? &t : NULL);
    if (split)
        pthread_join(t, NULL);
    return 0;
}
