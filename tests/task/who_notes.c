/* SPDX-License-Identifier: MIT */
/* who_notes.c: stalls whose report must say who could end each wait; run by
 * check_example.py, which checks the words (ids included: one scheduler,
 * so thread 1 is "main", thread 2 the watchdog, and the tasks count from
 * 3, "main" first, in the order spawned). Every mode ends in a stall
 * report and exit status 66.
 *
 *   chan_ended    "producer" puts 2 values in a 4-slot channel and ends
 *                 without closing it; "consumer" (task 5) waits for a third:
 *                 the last to send on it was task 4 "producer", which has
 *                 ended; the last to receive, the consumer itself. The
 *                 channel is statically initialized: its record is made by
 *                 the first buffered send.
 *   chan_forgotten  the same, with 300 tasks spawned and ended between
 *                 the producer and the consumer (task 305): the producer's
 *                 name has left its scheduler's ring of the last 256 ended
 *                 tasks, so it is "task 4, which has ended".
 *   chan_blocked  "worker" (task 4) takes one value from an unbuffered
 *                 channel, then waits for an event nobody sets; "sender"
 *                 (task 5) waits to send a second value: the last to
 *                 receive from it was task 4 "worker", which is blocked.
 *                 Static too: its record is made by the first wait. The
 *                 worker's own wait says nobody has set the event yet.
 *   event_ended   "setter" (task 4) sets an event, "resetter" (task 5)
 *                 resets it, both end; "waiter" (task 6) waits for it:
 *                 the last to set it was task 4 "setter", the last to reset
 *                 it task 5 "resetter", both ended.
 *   waitgroup     "main" adds 2, "one" (task 4) calls done, "two" ends
 *                 without: main waits with the count at 1, and the last to
 *                 call tg_waitgroup_done() was task 4 "one", which has
 *                 ended; the last to add, main itself.
 *   sem           a signalling semaphore: "poster" (task 4) releases it
 *                 once and ends; "taker" (task 5) acquires twice: the last
 *                 to release it was task 4 "poster", which has ended.
 */
#include <string.h>
#include "tangle/task.h"

static tg_chan buffered = TG_CHAN_INIT(sizeof(int), 4);
static tg_chan unbuffered = TG_CHAN_INIT(sizeof(int), 0);
static tg_event never = TG_EVENT_INIT;
static tg_event flag = TG_EVENT_INIT;
static tg_waitgroup group = TG_WAITGROUP_INIT;
static tg_sem signal = TG_SEM_INIT(0, TG_SEM_SIGNAL);

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2; i++)
        tg_chan_send(&buffered, &i);
    return NULL; /* without tg_chan_close */
}

static void *consumer(void *arg)
{
    (void)arg;
    int v;
    for (int i = 0; i < 3; i++)
        tg_chan_recv(&buffered, &v); /* @recv */
    return NULL;
}

static void *worker(void *arg)
{
    (void)arg;
    int v;
    tg_chan_recv(&unbuffered, &v);
    tg_event_wait(&never); /* @never */
    return NULL;
}

static void *sender(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2; i++)
        tg_chan_send(&unbuffered, &i); /* @send */
    return NULL;
}

static void *nothing(void *arg) { (void)arg; return NULL; }

static void *setter(void *arg) { (void)arg; tg_event_set(&flag); return NULL; }
static void *resetter(void *arg) { (void)arg; tg_event_reset(&flag); return NULL; }
static void *waiter(void *arg) { (void)arg; tg_event_wait(&flag); /* @flag */ return NULL; }
static void *one(void *arg) { (void)arg; tg_waitgroup_done(&group); return NULL; }
static void *two(void *arg) { (void)arg; return NULL; /* forgets tg_waitgroup_done */ }
static void *poster(void *arg) { (void)arg; tg_sem_release(&signal); return NULL; }

static void *taker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2; i++)
        tg_sem_acquire(&signal); /* @acquire */
    return NULL;
}

/* Spawns the named pair in order, the first run to its end before the
 * second starts, and joins the second. */
static void pair(const char *n1, tg_fn f1, const char *n2, tg_fn f2)
{
    tg_task *a, *b;
    tg_spawn(&a, n1, f1, NULL);
    tg_join(a, NULL);
    tg_spawn(&b, n2, f2, NULL);
    tg_join(b, NULL);
}

static void *start(void *arg)
{
    const char *mode = arg;
    tg_task *a, *b, *c;
    if (strcmp(mode, "chan_ended") == 0) {
        pair("producer", producer, "consumer", consumer);
    } else if (strcmp(mode, "chan_forgotten") == 0) {
        tg_spawn(&a, "producer", producer, NULL);
        tg_join(a, NULL);
        for (int i = 0; i < 300; i++) {
            tg_spawn(&b, "filler", nothing, NULL);
            tg_join(b, NULL);
        }
        tg_spawn(&c, "consumer", consumer, NULL);
        tg_join(c, NULL);
    } else if (strcmp(mode, "chan_blocked") == 0) {
        tg_spawn(&a, "worker", worker, NULL);
        tg_spawn(&b, "sender", sender, NULL);
        tg_join(b, NULL);
    } else if (strcmp(mode, "event_ended") == 0) {
        tg_spawn(&a, "setter", setter, NULL);
        tg_join(a, NULL);
        tg_spawn(&b, "resetter", resetter, NULL);
        tg_join(b, NULL);
        tg_spawn(&c, "waiter", waiter, NULL);
        tg_join(c, NULL);
    } else if (strcmp(mode, "waitgroup") == 0) {
        tg_waitgroup_add(&group, 2);
        tg_spawn(NULL, "one", one, NULL);
        tg_spawn(NULL, "two", two, NULL);
        tg_waitgroup_wait(&group); /* @group */
    } else if (strcmp(mode, "sem") == 0) {
        pair("poster", poster, "taker", taker);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    return tg_run(start, argc > 1 ? argv[1] : "");
}
