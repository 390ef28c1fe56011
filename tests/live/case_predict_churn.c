/* SPDX-License-Identifier: MIT */
/* Thread churn: 300 generations of two threads, created and joined, take
 * a then b; then two threads of one generation take them in opposite
 * orders. Every earlier occurrence of a -> b came before the late b -> a
 * (join), but the late a -> b did not: the inversion is still predicted,
 * and the threads ever created do not make it slow. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(late_a)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(late_b)
#include "predict_common.h"

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void *in_order(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    return NULL;
}

static void late(int i)
{
    pthread_mutex_t *first = i == 0 ? &lock_a : &lock_b;
    pthread_mutex_t *second = i == 0 ? &lock_b : &lock_a;
    pthread_mutex_lock(first);
    if (i == 0)
        pthread_mutex_lock(second); // @late_b
    else
        pthread_mutex_lock(second); // @late_a
    pthread_mutex_unlock(second);
    pthread_mutex_unlock(first);
}

int main(void)
{
    for (int g = 0; g < 300; g++) {
        pthread_t t1, t2;
        pthread_create(&t1, NULL, in_order, NULL);
        pthread_create(&t2, NULL, in_order, NULL);
        pthread_join(t1, NULL);
        pthread_join(t2, NULL);
    }
    run_in_turns(2, late);
    return 0;
}
