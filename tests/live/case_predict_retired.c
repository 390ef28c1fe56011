/* SPDX-License-Identifier: MIT */
/* Lock churn: 20,000 short-lived mutexes, each initialised at one of 8
 * reused addresses, taken under a table lock, then destroyed; in between,
 * another thread takes an object lock and then the table lock, always on
 * an instance that no other thread ever nested. The edges of destroyed
 * instances leave the graph and none of it is reported; the inversion
 * between two live locks is still predicted. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(live_a)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(live_b)
#include "predict_common.h"

pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t slots[8];

static void churn(int i)
{
    for (int k = 0; k < 10000; k++) {
        pthread_mutex_t *m = &slots[(k + i) % 8];
        pthread_mutex_init(m, NULL);
        if (i == 0) {
            pthread_mutex_lock(&table);
            pthread_mutex_lock(m);
            pthread_mutex_unlock(m);
            pthread_mutex_unlock(&table);
        } else {
            pthread_mutex_lock(m);
            pthread_mutex_lock(&table);
            pthread_mutex_unlock(&table);
            pthread_mutex_unlock(m);
        }
        pthread_mutex_destroy(m);
    }
    pthread_mutex_lock(i == 0 ? &lock_a : &lock_b);
    if (i == 0)
        pthread_mutex_lock(&lock_b); // @live_b
    else
        pthread_mutex_lock(&lock_a); // @live_a
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
}

int main(void)
{
    run_in_turns(2, churn);
    return 0;
}
