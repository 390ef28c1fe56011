/* SPDX-License-Identifier: MIT */
/* static_init.c: every task primitive initialized statically (TG_*_INIT),
 * never by its _init call.
 *
 *   static_init use       each primitive does its job: a mutex and a rwlock
 *                         guard a counter, a semaphore, an event, a
 *                         condition, a wait group, a buffered, an unbuffered
 *                         and an unbounded channel pass values. Prints
 *                         "static primitives ok", status 0.
 *   static_init deadlock  two tasks take a static mutex and a static rwlock
 *                         in opposite orders: tangle reports the deadlock
 *                         (both locks named) and the status is 66.
 */
#include <stdio.h>
#include <string.h>

#include <tangle/task.h>

static tg_mutex count_lock = TG_MUTEX_INIT;
static tg_rwlock table_lock = TG_RWLOCK_INIT;
static tg_sem slots = TG_SEM_INIT(2, 0);
static tg_event go = TG_EVENT_INIT;
static tg_cond changed = TG_COND_INIT;
static tg_waitgroup workers = TG_WAITGROUP_INIT;
static tg_chan buffered = TG_CHAN_INIT(sizeof(int), 4);
static tg_chan unbuffered = TG_CHAN_INIT(sizeof(int), 0);
static tg_chan unbounded = TG_CHAN_INIT(sizeof(int), TG_CHAN_UNBOUNDED);
static int counter, failures;

#define EXPECT(c)                                                                  \
    do {                                                                           \
        if (!(c)) {                                                                \
            fprintf(stderr, "static_init.c:%d: expected %s\n", __LINE__, #c);      \
            failures++;                                                            \
        }                                                                          \
    } while (0)

static void *worker(void *arg)
{
    (void)arg;
    EXPECT(tg_event_wait(&go) == 0);
    EXPECT(tg_sem_acquire(&slots) == 0);
    EXPECT(tg_mutex_lock(&count_lock) == 0);
    counter++;
    EXPECT(tg_cond_broadcast(&changed) == 0);
    EXPECT(tg_mutex_unlock(&count_lock) == 0);
    EXPECT(tg_sem_release(&slots) == 0);
    EXPECT(tg_rwlock_rdlock(&table_lock) == 0);
    EXPECT(tg_rwlock_unlock(&table_lock) == 0);
    int v = 7;
    EXPECT(tg_chan_send(&unbuffered, &v) == 0);
    EXPECT(tg_waitgroup_done(&workers) == 0);
    return NULL;
}

static void *use_main(void *arg)
{
    (void)arg;
    enum { N = 3 };
    EXPECT(tg_waitgroup_add(&workers, N) == 0);
    for (int i = 0; i < N; i++)
        EXPECT(tg_spawn(NULL, "worker", worker, NULL) == 0);
    EXPECT(tg_event_set(&go) == 0);
    for (int i = 0; i < N; i++) {
        int v = 0;
        EXPECT(tg_chan_recv(&unbuffered, &v) == 0 && v == 7);
    }
    EXPECT(tg_mutex_lock(&count_lock) == 0);
    while (counter < N)
        EXPECT(tg_cond_wait(&changed, &count_lock) == 0);
    EXPECT(tg_mutex_unlock(&count_lock) == 0);
    EXPECT(tg_waitgroup_wait(&workers) == 0);
    EXPECT(tg_rwlock_wrlock(&table_lock) == 0);
    EXPECT(tg_rwlock_unlock(&table_lock) == 0);
    for (int i = 0; i < 4; i++)
        EXPECT(tg_chan_send(&buffered, &i) == 0);
    EXPECT(tg_chan_trysend(&buffered, &counter) == TG_EAGAIN);
    for (int i = 0; i < 100; i++)
        EXPECT(tg_chan_send(&unbounded, &i) == 0);
    for (int i = 0; i < 4; i++) {
        int v = -1;
        EXPECT(tg_chan_recv(&buffered, &v) == 0 && v == i);
    }
    for (int i = 0; i < 100; i++) {
        int v = -1;
        EXPECT(tg_chan_recv(&unbounded, &v) == 0 && v == i);
    }
    return NULL;
}

static void *table_first(void *arg)
{
    (void)arg;
    tg_rwlock_wrlock(&table_lock);
    tg_yield();
    tg_mutex_lock(&count_lock);
    return NULL;
}

static void *deadlock_main(void *arg)
{
    (void)arg;
    tg_task *t;
    tg_mutex_lock(&count_lock);
    tg_spawn(&t, "table-first", table_first, NULL);
    tg_yield();
    tg_rwlock_wrlock(&table_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "deadlock"))
        return tg_run(deadlock_main, NULL);
    int rc = tg_run(use_main, NULL);
    EXPECT(rc == 0 && counter == 3);
    if (failures)
        return 1;
    printf("static primitives ok\n");
    return 0;
}
