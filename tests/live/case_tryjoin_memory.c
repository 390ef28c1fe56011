/* SPDX-License-Identifier: MIT */
/* A thread per request, joined by polling pthread_tryjoin_np: one alive at
 * a time, each nesting the same two locks in the same order. The program
 * measures its own resident memory after a warm-up of 1,000 threads and
 * again after 5,000 more, and fails if it grew by more than 1.5 MB: a
 * thread ended by tryjoin must give its record back as a joined one does
 * (before tryjoin was watched, each kept about 16 kB for good: some 80 MB
 * here). Silent: the order never changes. */
// EXIT: 0
// NOSTDERR: tangle:
// CHECK: reports# == 0
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "resident.h"

static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t entry = PTHREAD_MUTEX_INITIALIZER;

static void *request(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&table);
    pthread_mutex_lock(&entry);
    pthread_mutex_unlock(&entry);
    pthread_mutex_unlock(&table);
    return NULL;
}

static void serve(int n)
{
    for (int i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, request, NULL) != 0) {
            perror("case_tryjoin_memory: pthread_create");
            exit(2);
        }
        int rc;
        while ((rc = pthread_tryjoin_np(t, NULL)) == EBUSY)
            sched_yield();
        if (rc != 0) {
            fprintf(stderr, "case_tryjoin_memory: pthread_tryjoin_np: %s\n", strerror(rc));
            exit(2);
        }
    }
}

int main(void)
{
    serve(1000);
    long before = resident_kb();
    serve(5000);
    long after = resident_kb();
    return resident_check("case_tryjoin_memory", before, after, 1536, "5000 threads");
}
