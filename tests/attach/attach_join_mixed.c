/* SPDX-License-Identifier: MIT */
/* main holds a mutex and joins a worker that waits for that mutex: a
 * cycle of one lock wait and one join. */
// EXIT: 66
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.lock.kind == "thread"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "mutex"
// CHECK: reports[0].threads[*].waits_for.lock.name == "jobs_lock"
// CHECK: reports[0].threads[*].holds[0].lock.name == "jobs_lock"
// STDOUT: 2 threads wait for each other in a cycle of locks and joins
#define _GNU_SOURCE
#include "hang.h"

pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&jobs_lock);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_mutex_lock(&jobs_lock);
    pthread_create(&t, NULL, worker, NULL);
    ready();
    pthread_join(t, NULL);
    return 0;
}
