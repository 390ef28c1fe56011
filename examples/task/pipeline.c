/* SPDX-License-Identifier: MIT */
/* pipeline.c: a clean three-stage pipeline (generate -> square -> sum)
 * connected by bounded channels, shut down by closing each channel.
 *
 * Expected: prints "pipeline: sum of squares 0..9999 = 333283335000" and
 * exits with status 0; tangle reports nothing.
 */
#include <stdio.h>
#include "tangle/task.h"

#define N 10000

static tg_chan numbers, squares;

static void *generate(void *arg)
{
    (void)arg;
    for (long i = 0; i < N; i++)
        tg_chan_send(&numbers, &i);
    tg_chan_close(&numbers);
    return NULL;
}

static void *square(void *arg)
{
    (void)arg;
    long v;
    while (tg_chan_recv(&numbers, &v) == 0) {
        v *= v;
        tg_chan_send(&squares, &v);
    }
    tg_chan_close(&squares);
    return NULL;
}

static void *start(void *arg)
{
    (void)arg;
    tg_chan_init(&numbers, sizeof(long), 16);
    tg_chan_init(&squares, sizeof(long), 0);
    tg_spawn(NULL, "generate", generate, NULL);
    tg_spawn(NULL, "square", square, NULL);
    long v, sum = 0;
    while (tg_chan_recv(&squares, &v) == 0)
        sum += v;
    printf("pipeline: sum of squares 0..%d = %ld\n", N - 1, sum);
    tg_chan_destroy(&numbers);
    tg_chan_destroy(&squares);
    return sum == 333283335000L ? NULL : (void *)1;
}

int main(void)
{
    return tg_run(start, NULL);
}
