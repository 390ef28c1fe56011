/* SPDX-License-Identifier: MIT */
/* N threads each hold one mutex and wait for the next one's: a cycle of
 * length N. ARGS: N KIND, KIND one of normal recursive errorcheck adaptive
 * robust pi. The program runs without tangle; tangle attach must find the
 * cycle from glibc's owner fields alone. */
// ARGS: 2 normal
// EXIT: 66
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads# == 2
// CHECK: reports[0].threads[*].waits_for.lock.kind == "mutex"
// CHECK: reports[0].threads[*].waits_for.lock.detail == "normal"
// CHECK: reports[0].threads[*].waits_for.lock.name == "locks+40"
// CHECK: reports[0].threads[*].waits_for.stack[*].function ~ "pthread_mutex_lock"
// CHECK: reports[0].threads[*].waits_for.stack[*].function == "take"
// CHECK: reports[0].threads[*].waits_for.stack[*].function == "ring_member"
// CHECK: reports[0].threads[*].holds[0].lock.kind == "mutex"
// CHECK: reports[0].threads[0].waits_for.holder == 2
// STDOUT: tangle: DEADLOCK: 2 threads wait for each other in a cycle
// STDOUT: has been released as it was
// STDOUT: attach_ring.c:@LINE(lock) in take
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "hang.h"

#define MAX 64
pthread_mutex_t locks[MAX];
static pthread_barrier_t all_hold;
static int n;

__attribute__((noinline)) static void take(pthread_mutex_t *m)
{
    pthread_mutex_lock(m); // @lock
}

static void *ring_member(void *arg)
{
    long i = (long)arg;
    pthread_mutex_lock(&locks[i]);
    pthread_barrier_wait(&all_hold);
    take(&locks[(i + 1) % n]);
    return NULL;
}

int main(int argc, char **argv)
{
    n = argc > 1 ? atoi(argv[1]) : 2;
    const char *kind = argc > 2 ? argv[2] : "normal";
    if (n < 1 || n > MAX)
        return 2;
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    if (!strcmp(kind, "recursive"))
        pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    else if (!strcmp(kind, "errorcheck"))
        pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    else if (!strcmp(kind, "adaptive"))
        pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
    else if (!strcmp(kind, "robust"))
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    else if (!strcmp(kind, "pi"))
        pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
    for (int i = 0; i < n; i++)
        pthread_mutex_init(&locks[i], &a);
    pthread_barrier_init(&all_hold, NULL, (unsigned)n);
    pthread_t t;
    for (long i = 1; i < n; i++)
        pthread_create(&t, NULL, ring_member, (void *)i);
    ready();
    ring_member((void *)0);
    return 0;
}
