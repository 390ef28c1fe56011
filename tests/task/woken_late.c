/* SPDX-License-Identifier: MIT */
/* woken_late.c: a task's wait published after another thread ended it is
 * not blocked (the publisher's half of tg__actor_woken); run by
 * check_example.py with stall_ms=300.
 *
 * A parked channel wait is published by the task's own scheduler thread
 * when it runs out of work (tg__det_publish_parked, after its inbox was
 * found empty). When another thread ends the wait in between, its claim
 * and its look at the wait (tg__det_woken) both come before the publish:
 * only the publisher can mark the wait as ended (tg__det_begin). That
 * interleaving needs the claimer to stop between two inline steps, so this
 * program links the runtime in (libtangle-tasks' parts) and makes it
 * itself: thread A is held in its idle epoll_wait (interposed below), and
 * there, after B's wake is complete, takes the idle step it would have
 * taken had its inbox check come before B's wake (publish, then idle),
 * then stays off the CPU for 1.5 s, as a loaded machine may keep it.
 *
 *   woken_late        task "sleeper" (thread A) waits to receive on `ask`;
 *                     task "waker" (thread B) sends on `ask` (ending that
 *                     wait from B), then waits for the reply on `answer`,
 *                     which only sleeper sends. While A is held every task
 *                     waits, but sleeper's wait has ended: nothing is
 *                     reported; exit 0.
 *   woken_late stall  the same, but waker does not send: a stall naming
 *                     both tasks (at @sleep and @reply); exit 66.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include "tangle/task.h"
#include "task/task_int.h"
#include "task/detect.h"

#define MS 1000000LL
#define HOLD_MS 1500 /* five times stall_ms */

static tg_chan ask, answer;
static struct tg__sched *_Atomic sched_a; /* sleeper's scheduler, once it parks */
/* 0; 1: A is held in epoll_wait, sleeper's wait not published; 2: B's wake
 * is complete; 3: A runs again. */
static atomic_int phase;
static int send_it = 1;

static void pause_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* The runtime's idle wait. A's first one after sleeper parks is its first
 * idle step since: sleeper's wait is recorded, not yet published. */
int epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
    static int (*real)(int, struct epoll_event *, int, int);
    if (!real)
        real = (int (*)(int, struct epoll_event *, int, int))dlsym(RTLD_NEXT, "epoll_wait");
    struct tg__sched *a = atomic_load(&sched_a);
    int zero = 0;
    if (a && epfd == a->epfd && atomic_compare_exchange_strong(&phase, &zero, 1)) {
        while (atomic_load(&phase) != 2)
            pause_ms(1);
        tg__det_publish_parked(a);
        tg__det_idle(a);
        pause_ms(HOLD_MS);
        atomic_store(&phase, 3);
        return 0;
    }
    return real(epfd, evs, max, timeout);
}

static void *sleeper(void *arg)
{
    (void)arg;
    int v;
    atomic_store(&sched_a, tg_self()->sched);
    tg_chan_recv(&ask, &v); /* @sleep */
    v++;
    tg_chan_send(&answer, &v);
    return NULL;
}

static void *waker(void *arg)
{
    (void)arg;
    while (atomic_load(&phase) != 1)
        tg_sleep(1 * MS);
    int v = 41;
    if (send_it)
        tg_chan_send(&ask, &v); /* @wake */
    atomic_store(&phase, 2);
    tg_chan_recv(&answer, &v); /* @reply */
    if (v != 42 || atomic_load(&phase) != 3) {
        fprintf(stderr, "woken_late: reply %d in phase %d\n", v, atomic_load(&phase));
        exit(1);
    }
    return NULL;
}

/* A scheduler thread's first task: runs the named task to its end. */
static void *start(void *fn)
{
    tg_task *t;
    tg_spawn(&t, fn == (void *)sleeper ? "sleeper" : "waker", (tg_fn)fn, NULL);
    tg_join(t, NULL);
    return NULL;
}
static void *run(void *fn)
{
    return (void *)(long)tg_run(start, fn);
}

int main(int argc, char **argv)
{
    send_it = !(argc > 1 && strcmp(argv[1], "stall") == 0);
    tg_chan_init(&ask, sizeof(int), 0);
    tg_chan_init(&answer, sizeof(int), 0);
    pthread_t a, b;
    void *ra, *rb;
    pthread_create(&a, NULL, run, (void *)sleeper);
    pthread_create(&b, NULL, run, (void *)waker);
    pthread_join(a, &ra);
    pthread_join(b, &rb);
    return ra || rb ? 1 : 0;
}
