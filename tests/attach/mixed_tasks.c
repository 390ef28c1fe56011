/* SPDX-License-Identifier: MIT */
/* mixed_tasks.c: a deadlock whose cycle runs through threads and tasks of
 * tangle's task runtime (issue 11, item 7), for `tangle attach` on a
 * process under `tangle run` (mixed_tasks.case).
 *
 *   thread "poster" holds pthread mutex 'outbox' and waits for pthread
 *   mutex 'journal', which task "logger" (on scheduler thread 1) took;
 *   "logger" is parked on task mutex 'index', which task "indexer" (on
 *   scheduler thread 2) holds; "indexer" waits for 'outbox' in
 *   pthread_mutex_lock, which blocks its scheduler thread.
 *
 * glibc sees only "poster" waiting for scheduler thread 1 (asleep, with
 * nothing to run) and scheduler thread 2 waiting for "poster": no cycle.
 * The engine's records show who holds 'journal' (a task) and which task
 * scheduler thread 2 is running; with them the cycle closes. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "tangle/task.h"

pthread_mutex_t journal = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t outbox = PTHREAD_MUTEX_INITIALIZER;
tg_mutex index_lock;
static atomic_int holding; /* each of the three sets its bit once it holds its first lock */

static void wait_all(void)
{
    while (atomic_load(&holding) != 7)
        tg_sleep(1000000);
}

static void *logger(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&journal); // @logger_holds
    atomic_fetch_or(&holding, 1);
    wait_all();
    tg_mutex_lock(&index_lock); // @logger_waits
    tg_mutex_unlock(&index_lock);
    pthread_mutex_unlock(&journal);
    return NULL;
}

static void *indexer(void *arg)
{
    (void)arg;
    tg_mutex_lock(&index_lock); // @indexer_holds
    atomic_fetch_or(&holding, 2);
    /* A thread-level sleep, not tg_sleep: with no task switch between its
     * lock and its pthread wait, 'index_lock' stays in the task's hold
     * record (docs/tasks.md), which attach must read too. */
    while (atomic_load(&holding) != 7)
        usleep(1000);
    pthread_mutex_lock(&outbox); // @indexer_waits
    pthread_mutex_unlock(&outbox);
    tg_mutex_unlock(&index_lock);
    return NULL;
}

static void *start(void *arg)
{
    tg_spawn(NULL, arg ? "indexer" : "logger", arg ? indexer : logger, NULL);
    return NULL;
}

static void *scheduler(void *arg)
{
    tg_run(start, arg);
    return NULL;
}

static void *poster(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&outbox); // @poster_holds
    atomic_fetch_or(&holding, 4);
    while (atomic_load(&holding) != 7)
        usleep(1000);
    printf("ready\n");
    fflush(stdout);
    pthread_mutex_lock(&journal); // @poster_waits
    pthread_mutex_unlock(&journal);
    pthread_mutex_unlock(&outbox);
    return NULL;
}

int main(void)
{
    tg_mutex_init(&index_lock);
    pthread_t s1, s2, p;
    pthread_create(&s1, NULL, scheduler, NULL);
    pthread_create(&s2, NULL, scheduler, (void *)1);
    pthread_create(&p, NULL, poster, NULL);
    pthread_setname_np(p, "poster");
    pthread_join(p, NULL);
    pthread_join(s1, NULL);
    pthread_join(s2, NULL);
    return 0;
}
