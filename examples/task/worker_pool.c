/* SPDX-License-Identifier: MIT */
/* worker_pool.c: a clean worker pool spread over two scheduler threads:
 * workers take jobs from a shared bounded channel, update shared totals under
 * a tg_mutex, limit a "connection" resource with a semaphore, and report
 * completion through a wait group.
 *
 * Expected: prints "worker_pool: 20000 jobs, total 199990000" and exits with
 * status 0; tangle reports nothing.
 */
#include <pthread.h>
#include <stdio.h>
#include "tangle/task.h"

#define JOBS 20000
#define WORKERS 8

static tg_chan jobs;
static tg_mutex totals_lock;
static tg_sem connections;
static tg_waitgroup finished;
static long total, done;

static void *worker(void *arg)
{
    (void)arg;
    long job;
    while (tg_chan_recv(&jobs, &job) == 0) {
        tg_sem_acquire(&connections);
        if (job % 64 == 0)
            tg_yield(); /* pretend to wait for I/O now and then */
        tg_sem_release(&connections);
        tg_mutex_lock(&totals_lock);
        total += job;
        done++;
        tg_mutex_unlock(&totals_lock);
    }
    tg_waitgroup_done(&finished);
    return NULL;
}

static void *pool(void *arg)
{
    for (int i = 0; i < WORKERS / 2; i++)
        tg_spawn(NULL, "worker", worker, NULL);
    if (arg) { /* the first scheduler also feeds the jobs */
        for (long j = 0; j < JOBS; j++)
            tg_chan_send(&jobs, &j);
        tg_chan_close(&jobs);
        tg_waitgroup_wait(&finished);
    }
    return NULL;
}

static void *second_thread(void *arg)
{
    (void)arg;
    tg_run(pool, NULL);
    return NULL;
}

int main(void)
{
    tg_chan_init(&jobs, sizeof(long), 32);
    tg_mutex_init(&totals_lock);
    tg_sem_init(&connections, 3, 0);
    tg_waitgroup_init(&finished);
    tg_waitgroup_add(&finished, WORKERS);
    pthread_t th;
    pthread_create(&th, NULL, second_thread, NULL);
    tg_run(pool, (void *)1);
    pthread_join(th, NULL);
    printf("worker_pool: %ld jobs, total %ld\n", done, total);
    return done == JOBS && total == (long)JOBS * (JOBS - 1) / 2 ? 0 : 1;
}
