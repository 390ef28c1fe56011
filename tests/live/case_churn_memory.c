/* SPDX-License-Identifier: MIT */
/* A server's thread per request: short-lived threads, two alive at a
 * time, each taking the same two locks in the same order and ending. The
 * program measures its own resident memory after a warm-up of 2,000
 * threads and again after 20,000 more, and fails if it grew by more than
 * 1.5 MB: what tangle keeps for a thread must go with it (each kept about
 * 300 bytes for good before the inner lock's kept records were bounded,
 * 6 MB here). Silent: the order never changes. */
// EXIT: 0
// NOSTDERR: tangle:
// CHECK: reports# == 0
#include <pthread.h>
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
    for (int i = 0; i < n; i += 2) {
        pthread_t t[2];
        for (int k = 0; k < 2; k++)
            if (pthread_create(&t[k], NULL, request, NULL) != 0) {
                perror("case_churn_memory: pthread_create");
                exit(2);
            }
        for (int k = 0; k < 2; k++)
            pthread_join(t[k], NULL);
    }
}

int main(void)
{
    serve(2000);
    long before = resident_kb();
    serve(20000);
    long after = resident_kb();
    return resident_check("case_churn_memory", before, after, 1536, "20000 threads");
}
