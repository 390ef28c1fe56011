/* SPDX-License-Identifier: MIT */
/* many_tasks.c: N tasks (default 100,000; argv[1] sets it) in a ring, each
 * receiving a token from its left neighbour's channel and passing it on to
 * its own, for several laps.
 *
 * Expected: prints "many_tasks: N tasks, 3 laps, token 3N" and exits with
 * status 0; tangle reports nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include "tangle/task.h"

#define LAPS 3

static long TASKS = 100000;
static tg_chan *links; /* links[i]: from task i to task i+1 */

static void *member(void *arg)
{
    long i = (long)arg;
    tg_chan *in = &links[(i + TASKS - 1) % TASKS], *out = &links[i];
    for (int lap = 0; lap < LAPS; lap++) {
        long token;
        if (tg_chan_recv(in, &token) != 0)
            return (void *)1;
        token++;
        if (i == TASKS - 1 && lap == LAPS - 1)
            printf("many_tasks: %ld tasks, %d laps, token %ld\n", TASKS, LAPS, token);
        else
            tg_chan_send(out, &token);
    }
    return NULL;
}

static void *start(void *arg)
{
    (void)arg;
    struct tg_spawn_opts small = { .stack_size = 16 * 1024 };
    for (long i = 0; i < TASKS; i++) {
        if (tg_spawn_opts(NULL, "member", member, (void *)i, &small) != 0)
            return (void *)1;
        if (i % 1024 == 1023)
            tg_yield(); /* spawning is no yield point: without this, a slow
                         * machine reports this task as long-running */
    }
    long token = 0;
    tg_chan_send(&links[TASKS - 1], &token); /* member 0 receives it first */
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        TASKS = atol(argv[1]);
    links = calloc(TASKS, sizeof *links);
    for (int i = 0; i < TASKS; i++)
        tg_chan_init(&links[i], sizeof(long), 1);
    return tg_run(start, NULL);
}
