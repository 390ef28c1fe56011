/* SPDX-License-Identifier: MIT */
/* A thread per request that returns on an error path still holding its
 * request's lock (the bug, reported once for the place it took the lock);
 * the server then frees the request, and the next request's lock is made
 * at the same address. Once that lock is made again, the ended thread
 * holds nothing and tangle must let its record go: the program measures
 * its own resident memory after a warm-up of 1,000 threads and again
 * after 5,000 more, and says so only if it grew by at most 1.5 MB (each
 * thread kept its record and a report of its own for good before: some
 * 10 kB a thread). */
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

struct request {
    pthread_mutex_t lock;
    int failed;
};

static void *serve_one(void *arg)
{
    struct request *rq = arg;
    pthread_mutex_lock(&rq->lock); // @take
    if (rq->failed)
        return NULL; /* forgot to unlock */
    pthread_mutex_unlock(&rq->lock);
    return NULL;
}

static void serve(int n)
{
    for (int i = 0; i < n; i++) {
        struct request *rq = malloc(sizeof *rq);
        if (!rq)
            exit(2);
        pthread_mutex_init(&rq->lock, NULL);
        rq->failed = 1;
        pthread_t t;
        if (pthread_create(&t, NULL, serve_one, rq) != 0) {
            perror("case_exit_holding_memory: pthread_create");
            exit(2);
        }
        pthread_join(t, NULL);
        free(rq);
    }
}

int main(void)
{
    serve(1000);
    long before = resident_kb();
    serve(5000);
    long after = resident_kb();
    if (before < 0 || after < 0) {
        fprintf(stderr, "case_exit_holding_memory: cannot read VmRSS\n");
        return 2;
    }
    if (after - before > 1536)
        printf("resident memory grew from %ld kB to %ld kB over 5000 threads\n", before, after);
    else
        printf("resident memory stayed flat (%ld kB, then %ld kB)\n", before, after);
    return 0;
}
