/* SPDX-License-Identifier: MIT */
/* remote_wake.c: a task woken from another thread is not blocked, even
 * while its own scheduler thread does not run; run by check_example.py
 * with stall_ms=300.
 *
 *   remote_wake   task "sleeper" (scheduler thread A) waits to receive on
 *                 channel `ask`; A runs out of work and publishes that wait.
 *                 Task "waker" (scheduler thread B) sends on `ask`, which
 *                 wakes sleeper from B, then waits to receive the reply on
 *                 `answer`, which only sleeper sends. A is held inside its
 *                 idle epoll_wait (interposed below) from before the wake
 *                 until 1.5 s after it, as a loaded machine may hold it off
 *                 the CPU: meanwhile every task and thread waits, but
 *                 sleeper's wait has ended, so there is no stall. Then A
 *                 runs sleeper, which replies. Nothing is reported; exit 0.
 *   remote_wake stall  the same, but waker does not send: a stall naming
 *                 both tasks (at @sleep and @reply); exit 66.
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

#define MS 1000000LL
#define HOLD_MS 1500 /* five times stall_ms */

static tg_chan ask, answer;
static pthread_t thread_a;
static atomic_int a_set;
static atomic_int a_idle;  /* A's idle epoll_waits that timed out */
/* 0; 1: B asks A to stop in epoll_wait; 2: A has stopped there; 3: B woke
 * the sleeper; 4: A runs again. */
static atomic_int phase;
static int send_it = 1;

static void pause_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* The runtime's idle wait. On A, once B asks: stays here (its inbox and
 * eventfd unread) until HOLD_MS after B woke the sleeper. */
int epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
    static int (*real)(int, struct epoll_event *, int, int);
    if (!real)
        real = (int (*)(int, struct epoll_event *, int, int))dlsym(RTLD_NEXT, "epoll_wait");
    if (atomic_load(&a_set) && pthread_equal(pthread_self(), thread_a)) {
        int one = 1;
        if (atomic_compare_exchange_strong(&phase, &one, 2)) {
            while (atomic_load(&phase) != 3)
                pause_ms(1);
            pause_ms(HOLD_MS);
            atomic_store(&phase, 4);
            return 0;
        }
        int n = real(epfd, evs, max, timeout);
        if (n == 0)
            atomic_fetch_add(&a_idle, 1);
        return n;
    }
    return real(epfd, evs, max, timeout);
}

static void *sleeper(void *arg)
{
    (void)arg;
    int v;
    tg_chan_recv(&ask, &v); /* @sleep */
    v++;
    tg_chan_send(&answer, &v);
    return NULL;
}

static void *waker(void *arg)
{
    (void)arg;
    /* A has been idle for two rounds: the sleeper's wait is published. */
    while (atomic_load(&a_idle) < 2)
        tg_sleep(10 * MS);
    atomic_store(&phase, 1);
    while (atomic_load(&phase) != 2)
        tg_sleep(1 * MS);
    int v = 41;
    if (send_it)
        tg_chan_send(&ask, &v); /* @wake */
    atomic_store(&phase, 3);
    tg_chan_recv(&answer, &v); /* @reply */
    if (v != 42 || atomic_load(&phase) != 4) {
        fprintf(stderr, "remote_wake: reply %d in phase %d\n", v, atomic_load(&phase));
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
    pthread_t b;
    void *ra, *rb;
    pthread_create(&thread_a, NULL, run, (void *)sleeper);
    atomic_store(&a_set, 1);
    pthread_create(&b, NULL, run, (void *)waker);
    pthread_join(thread_a, &ra);
    pthread_join(b, &rb);
    return ra || rb ? 1 : 0;
}
