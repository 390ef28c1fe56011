/* SPDX-License-Identifier: MIT */
/* A worker locks a mutex and returns without unlocking it; two threads
 * then wait for it forever. Its owner TID names no live thread. */
// EXIT: 66
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].summary ~ "held by a thread that has exited"
// CHECK: reports[0].threads# == 3
// CHECK: reports[0].threads[*].state == "exited"
// CHECK: reports[0].threads[*].waits_for.lock.name == "table_lock"
// CHECK: reports[0].threads[*].holds[0].lock.name == "table_lock"
// STDOUT: 2 threads wait for a lock held by a thread that has exited
#define _GNU_SOURCE
#include "hang.h"

pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static void *leaver(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&table_lock);
    return NULL; /* forgets to unlock */
}

static void *waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&table_lock);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, leaver, NULL);
    pthread_join(t, NULL);
    pthread_create(&t, NULL, waiter, NULL);
    ready();
    pthread_mutex_lock(&table_lock);
    return 0;
}
