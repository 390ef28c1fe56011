/* SPDX-License-Identifier: MIT */
/* A task per request that returns on an error path still holding its
 * request's lock (the bug, reported once for the place it took the lock);
 * the server then frees the request, and the next request's lock is made
 * at the same address. Once that lock is made again, the ended task holds
 * nothing and tangle must let go of what it kept for it: its record and
 * stack (a task mutex names its holder by them) and its actor. The
 * program measures its own resident memory after a warm-up of 1,000 tasks
 * and again after 10,000 more, and says so only if it grew by at most
 * 1.5 MB. Arguments: the lock (task: a task mutex; pthread: a pthread
 * mutex) and how the task ends (join: joined by the server; detach:
 * detached). Before, each such task kept its record and stack for good
 * (some 4.8 kB resident with a task mutex, 48 MB here) or its actor (some
 * 500 bytes with a pthread mutex, 5 MB here). */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].hazard == "exit-holding-lock"
// CHECK: reports[0].threads[0].holds[0].acquired[0].line == @LINE(take)
// STDOUT: resident memory stayed flat
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "resident.h"
#include "tangle/task.h"

struct request {
    tg_mutex task_lock;
    pthread_mutex_t thread_lock;
    int failed;
};

static int pthread_kind, detach;

static void *serve_one(void *arg)
{
    struct request *rq = arg;
    if (pthread_kind)
        pthread_mutex_lock(&rq->thread_lock);
    else
        tg_mutex_lock(&rq->task_lock); // @take
    if (rq->failed)
        return NULL; /* forgot to unlock */
    if (pthread_kind)
        pthread_mutex_unlock(&rq->thread_lock);
    else
        tg_mutex_unlock(&rq->task_lock);
    return NULL;
}

static void serve(int n)
{
    for (int i = 0; i < n; i++) {
        struct request *rq = malloc(sizeof *rq);
        if (!rq)
            exit(2);
        tg_mutex_init(&rq->task_lock);
        pthread_mutex_init(&rq->thread_lock, NULL);
        rq->failed = 1;
        tg_task *t;
        if (tg_spawn(detach ? NULL : &t, "request", serve_one, rq) != 0) {
            fprintf(stderr, "case_task_exit_holding_memory: tg_spawn failed\n");
            exit(2);
        }
        if (detach)
            tg_yield(); /* it runs and ends */
        else
            tg_join(t, NULL);
        free(rq);
    }
}

static void *server(void *arg)
{
    (void)arg;
    serve(1000);
    long before = resident_kb();
    serve(10000);
    long after = resident_kb();
    if (resident_check("case_task_exit_holding_memory", before, after, 1536, "10000 tasks") == 0)
        printf("resident memory stayed flat (%ld kB, then %ld kB)\n", before, after);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_kind = argc > 1 && !strcmp(argv[1], "pthread");
    detach = argc > 2 && !strcmp(argv[2], "detach");
    return tg_run(server, NULL);
}
