/* SPDX-License-Identifier: MIT */
/* consumer.c: a program outside tangle's tree, built against an installed
 * (or embedded) tangle the ways the manual describes.
 *
 *   consumer sum       two tasks pass 1..10 over a channel; prints "sum 55",
 *                      exit status 0.
 *   consumer relock    a task re-locks a task mutex it holds: a task
 *                      deadlock, reported by either library; exit status 66.
 *   consumer unlock    unlocks a pthread mutex nobody holds (glibc returns 0):
 *                      a hazard only the whole engine (libtangle) reports
 *                      (exit status 66); with libtangle-tasks the pthread
 *                      call is not watched and the status is 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <tangle/task.h>

static tg_chan numbers;
static tg_mutex cache_lock;
static long total;

static void *producer(void *arg)
{
    (void)arg;
    for (long i = 1; i <= 10; i++)
        tg_chan_send(&numbers, &i);
    tg_chan_close(&numbers);
    return NULL;
}

static void *sum_main(void *arg)
{
    (void)arg;
    tg_task *t;
    if (tg_spawn(&t, "producer", producer, NULL) != 0)
        return NULL;
    long v;
    while (tg_chan_recv(&numbers, &v) == 0)
        total += v;
    tg_join(t, NULL);
    return NULL;
}

static void *relock_main(void *arg)
{
    (void)arg;
    tg_mutex_lock(&cache_lock);
    tg_mutex_lock(&cache_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "sum";
    if (!strcmp(mode, "unlock")) {
        static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
        pthread_mutex_unlock(&m);
        return 0;
    }
    if (tg_mutex_init(&cache_lock) != 0 || tg_chan_init(&numbers, sizeof(long), 0) != 0)
        return 1;
    if (!strcmp(mode, "relock"))
        return tg_run(relock_main, NULL);
    int rc = tg_run(sum_main, NULL);
    printf("sum %ld\n", total);
    return rc == 0 && total == 55 ? 0 : 1;
}
