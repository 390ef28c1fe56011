/* SPDX-License-Identifier: MIT */
/* Unlocks of locks the caller does not hold: one nobody holds, one that
 * another thread holds (its acquisition is shown), and a recursive mutex
 * unlocked once too often. The unlock of the nobody-held mutex repeats in
 * a loop: one report, with a repeat count. Each call still returns glibc's
 * result. */
// EXIT: 66
// CHECK: reports# == 3
// CHECK: reports[*].hazard == "unlock-not-held"
// CHECK: !reports[*].kind == "deadlock"
// CHECK: reports[0].where[0].line == @LINE(nobody)
// CHECK: reports[0].repeats == 9
// CHECK: reports[0].summary ~ "which nobody holds"
// CHECK: reports[1].where[0].line == @LINE(other)
// CHECK: reports[1].summary ~ "holds"
// CHECK: reports[1].threads[1].holds[0].acquired[0].line == @LINE(taken)
// CHECK: reports[2].where[0].line == @LINE(extra)
// CHECK: reports[2].summary ~ "more times than locked"
// STDOUT: results 0 0 1
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t loose = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t owned = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t rec = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_barrier_t taken, done;

static void *owner(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&owned); // @taken
    pthread_barrier_wait(&taken);
    pthread_barrier_wait(&done);
    return NULL;
}

int main(void)
{
    int r1 = 0, r2, r3;
    for (int i = 0; i < 10; i++)
        r1 |= pthread_mutex_unlock(&loose); // @nobody
    pthread_t t;
    pthread_barrier_init(&taken, NULL, 2);
    pthread_barrier_init(&done, NULL, 2);
    pthread_create(&t, NULL, owner, NULL);
    pthread_barrier_wait(&taken);
    r2 = pthread_mutex_unlock(&owned); // @other
    pthread_barrier_wait(&done);
    pthread_join(t, NULL);
    pthread_mutex_lock(&rec);
    pthread_mutex_unlock(&rec);
    r3 = pthread_mutex_unlock(&rec) != 0; // @extra
    printf("results %d %d %d\n", r1, r2, r3);
    return 0;
}
