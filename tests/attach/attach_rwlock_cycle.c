/* SPDX-License-Identifier: MIT */
/* A writer holds an rwlock and waits for a mutex whose owner waits to
 * write the same rwlock: glibc records the writer's TID. */
// EXIT: 66
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.lock.kind == "rwlock"
// CHECK: reports[0].threads[*].waits_for.mode == "write"
// CHECK: reports[0].threads[*].waits_for.lock.name == "index_rw"
// CHECK: reports[0].threads[*].holds[0].lock.name == "index_rw"
// CHECK: reports[0].threads[*].holds[0].mode == "write"
// CHECK: reports[0].threads[*].waits_for.lock.name == "log_lock"
#define _GNU_SOURCE
#include "hang.h"

pthread_rwlock_t index_rw = PTHREAD_RWLOCK_INITIALIZER;
pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;

static void *indexer(void *arg)
{
    (void)arg;
    pthread_rwlock_wrlock(&index_rw);
    pthread_barrier_wait(&both);
    pthread_mutex_lock(&log_lock);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_barrier_init(&both, NULL, 2);
    pthread_create(&t, NULL, indexer, NULL);
    pthread_mutex_lock(&log_lock);
    pthread_barrier_wait(&both);
    ready();
    pthread_rwlock_wrlock(&index_rw);
    return 0;
}
