/* SPDX-License-Identifier: MIT */
/* A statically linked program deadlocks on two mutexes. Without
 * libc.so there is no glibc version to trust, so owners are not read:
 * the report shows the stacks and the futex waits and says why. Every
 * thread is still seen to wait for good: a whole-process stall. */
// EXIT: 66
// CHECK: reports[0].summary ~ "whole-process stall"
// CHECK: !reports[0].threads[*].waits_for.holder != null
// CHECK: reports[0].threads[*].waits_for.lock.kind == "mutex"
// CHECK: reports[0].threads[*].waits_for.lock.name == "lock_a"
// CHECK: reports[0].threads[*].waits_for.stack[*].function == "take"
// STDOUT: owners of locks cannot be read
// STDOUT: SUMMARY: tangle: deadlock /
// STDOUT: attach_static.c:@LINE(lock) in take
#define _GNU_SOURCE
#include "hang.h"

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;

__attribute__((noinline)) static void take(pthread_mutex_t *m)
{
    pthread_mutex_lock(m); // @lock
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_b);
    pthread_barrier_wait(&both);
    take(&lock_a);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_barrier_init(&both, NULL, 2);
    pthread_create(&t, NULL, worker, NULL);
    pthread_mutex_lock(&lock_a);
    pthread_barrier_wait(&both);
    ready();
    take(&lock_b);
    return 0;
}
