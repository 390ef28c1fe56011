/* SPDX-License-Identifier: MIT */
/* Built with musl-gcc (Debian's musl-tools), not glibc: two threads take
 * two mutexes in opposite orders. tangle knows glibc's layouts only, so
 * the report must say the C library is musl and that owners cannot be
 * read; every thread is still seen to wait for good on a futex of a named
 * lock: a whole-process stall. musl's libc.so has no unwind tables, so the
 * stacks go on past it by scanning for return addresses: take, then main
 * and worker. */
// EXIT: 66
// CHECK: reports[0].summary ~ "whole-process stall"
// CHECK: !reports[0].threads[*].waits_for.holder != null
// CHECK: reports[0].threads[*].waits_for.lock.name ~ "lock_a"
// CHECK: reports[0].threads[*].waits_for.lock.name ~ "lock_b"
// CHECK: reports[0].threads[*].waits_for.stack[1].function == "take"
// CHECK: reports[0].threads[*].waits_for.stack[1].line == @LINE(lock)
// CHECK: reports[0].threads[*].waits_for.stack[2].function == "main"
// CHECK: reports[0].threads[*].waits_for.stack[2].function == "worker"
// STDOUT: is musl, not glibc, so the owners of locks cannot be read
// STDOUT: found by scanning the stack
// STDOUT: musl_two_locks.c:@LINE(lock) in take
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
    pthread_barrier_init(&both, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_mutex_lock(&lock_a);
    pthread_barrier_wait(&both);
    ready();
    take(&lock_b);
    return 0;
}
