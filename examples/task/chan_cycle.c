/* SPDX-License-Identifier: MIT */
/* chan_cycle.c: two tasks connected by two bounded channels, each sending a
 * batch before it receives: once both channels are full, both senders wait
 * for room only the other could make.
 *
 * Expected: a stall report (no task can progress) naming "left" and "right",
 * each waiting to send at its @wait line; exit status 66.
 */
#include "tangle/task.h"

static tg_chan to_left, to_right;

static void pump(tg_chan *out, tg_chan *in)
{
    for (int i = 0; i < 8; i++)
        tg_chan_send(out, &i); /* @wait */
    for (int i = 0; i < 8; i++) {
        int v;
        tg_chan_recv(in, &v);
    }
}

static void *left(void *arg) { (void)arg; pump(&to_right, &to_left); return NULL; }
static void *right(void *arg) { (void)arg; pump(&to_left, &to_right); return NULL; }

static void *start(void *arg)
{
    (void)arg;
    tg_chan_init(&to_left, sizeof(int), 4);
    tg_chan_init(&to_right, sizeof(int), 4);
    tg_spawn(NULL, "left", left, NULL);
    tg_spawn(NULL, "right", right, NULL);
    return NULL;
}

int main(void)
{
    return tg_run(start, NULL);
}
