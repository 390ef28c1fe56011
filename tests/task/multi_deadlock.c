/* SPDX-License-Identifier: MIT */
/* multi_deadlock.c: deadlocks between tasks of two schedulers (two threads),
 * while the main thread waits in pthread_join; run by check_example.py.
 *
 *   multi_deadlock locks   task "east" (thread 1) holds lock A and waits for
 *                          B; task "west" (thread 2) holds B and waits for
 *                          A: a deadlock naming both, with their @acquire
 *                          and @wait lines; exit status 66.
 *   multi_deadlock chans   "east" and "west" each send on an unbuffered
 *                          channel only the other would receive from: a
 *                          global stall naming both at @send, with the two
 *                          idle scheduler threads waiting on their
 *                          schedulers; exit 66.
 */
#include <pthread.h>
#include <string.h>
#include "tangle/task.h"

static tg_mutex a, b;
static tg_chan to_east, to_west;
static tg_waitgroup both_hold;
static const char *mode;

static void cross(tg_mutex *first, tg_mutex *second, tg_chan *out)
{
    if (strcmp(mode, "locks") == 0) {
        tg_mutex_lock(first); /* @acquire */
        tg_waitgroup_done(&both_hold);
        tg_waitgroup_wait(&both_hold);
        tg_mutex_lock(second); /* @wait */
        tg_mutex_unlock(second);
        tg_mutex_unlock(first);
    } else {
        int v = 1;
        tg_chan_send(out, &v); /* @send */
    }
}

static void *east(void *arg) { (void)arg; cross(&a, &b, &to_west); return NULL; }
static void *west(void *arg) { (void)arg; cross(&b, &a, &to_east); return NULL; }

static void *side(void *arg)
{
    tg_spawn(NULL, arg == NULL ? "east" : "west", arg == NULL ? east : west, NULL);
    return NULL;
}

static void *thread(void *arg)
{
    tg_run(side, arg);
    return NULL;
}

int main(int argc, char **argv)
{
    mode = argc > 1 ? argv[1] : "locks";
    tg_mutex_init(&a);
    tg_mutex_init(&b);
    tg_chan_init(&to_east, sizeof(int), 0);
    tg_chan_init(&to_west, sizeof(int), 0);
    tg_waitgroup_init(&both_hold);
    tg_waitgroup_add(&both_hold, 2);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, thread, NULL);
    pthread_create(&t2, NULL, thread, (void *)1);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    return 0;
}
