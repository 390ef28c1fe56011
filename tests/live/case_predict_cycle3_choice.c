/* SPDX-License-Identifier: MIT */
/* A cycle of three whose occurrences must be chosen with care: thread 1
 * takes l1 then l2, and later l2 then l0; thread 2 takes l1 then l2;
 * thread 0 takes l0 then l1. Thread 0, thread 2 and thread 1 can each
 * hold one lock and wait for the next: a potential deadlock. Thread 0's
 * edge comes last and closes the cycle; a choice that gives l1 -> l2 to
 * thread 1 (its first taker) leaves l2 -> l0 with no other thread to take
 * it: the choice must be searched, not made edge by edge. (Thread 1 first
 * takes l0 then x, so that l0 is no leaf and its l2 -> l0 is looked at
 * before thread 2 runs; each thread ends with releases that let its
 * nestings be handled in its turn.) */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 3
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(t0_l1)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(t2_l2)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(t1_l0)
// CHECK: !reports[0].threads[*].waits_for.stack[0].line == @LINE(t1_l2)
#include "predict_common.h"

#include <unistd.h>

static pthread_mutex_t l0 = PTHREAD_MUTEX_INITIALIZER, l1 = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t l2 = PTHREAD_MUTEX_INITIALIZER, x = PTHREAD_MUTEX_INITIALIZER;

static void pair(pthread_mutex_t *p, pthread_mutex_t *q)
{
    pthread_mutex_lock(p);
    pthread_mutex_lock(q);
    pthread_mutex_unlock(q);
    pthread_mutex_unlock(p);
}

static void settle(void)
{
    for (int i = 0; i < 5; i++) { /* idle releases: queued nestings are handled at one */
        pthread_mutex_lock(&x);
        pthread_mutex_unlock(&x);
        usleep(2000);
    }
}

static void nest(int i)
{
    if (i == 0) { /* thread 1 first: its l1 -> l2 is the edge's first occurrence */
        pair(&l0, &x);
        pthread_mutex_lock(&l1);
        pthread_mutex_lock(&l2); // @t1_l2
        pthread_mutex_unlock(&l2);
        pthread_mutex_unlock(&l1);
        pthread_mutex_lock(&l2);
        pthread_mutex_lock(&l0); // @t1_l0
        pthread_mutex_unlock(&l0);
        pthread_mutex_unlock(&l2);
    } else if (i == 1) { /* thread 2 */
        pthread_mutex_lock(&l1);
        pthread_mutex_lock(&l2); // @t2_l2
        pthread_mutex_unlock(&l2);
        pthread_mutex_unlock(&l1);
    } else { /* thread 0 closes the cycle */
        pthread_mutex_lock(&l0);
        pthread_mutex_lock(&l1); // @t0_l1
        pthread_mutex_unlock(&l1);
        pthread_mutex_unlock(&l0);
    }
    settle();
}

int main(void)
{
    run_in_turns(3, nest);
    return 0;
}
