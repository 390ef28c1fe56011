/* SPDX-License-Identifier: MIT */
/* Thread 0 takes config then stats, and stats then config: a hazard (an
 * inversion seen in one thread). Then thread 1, concurrent with it, takes
 * stats then config: now two threads show the cycle, and it is reported
 * again as a potential deadlock (issue 15, item 14). */
// EXIT: 66
// CHECK: reports# == 2
// CHECK: reports[0].kind == "hazard"
// CHECK: reports[0].hazard == "inversion-one-thread"
// CHECK: reports[1].kind == "potential-deadlock"
// CHECK: reports[1].cycle_length == 2
// CHECK: reports[1].threads[*].waits_for.lock.name == "stats_lock"
// CHECK: reports[1].threads[*].waits_for.lock.name == "config_lock"
#include "predict_common.h"

pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;

static void pair(pthread_mutex_t *x, pthread_mutex_t *y)
{
    pthread_mutex_lock(x);
    pthread_mutex_lock(y);
    pthread_mutex_unlock(y);
    pthread_mutex_unlock(x);
}

static void work(int i)
{
    if (i == 0)
        pair(&config_lock, &stats_lock);
    pair(&stats_lock, &config_lock);
}

int main(void)
{
    run_in_turns(2, work);
    return 0;
}
