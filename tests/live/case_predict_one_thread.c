/* SPDX-License-Identifier: MIT */
/* One thread takes config then stats in one place and stats then config
 * in another (issue 15, item 14). Alone it cannot deadlock, but a second
 * thread running either path would: a hazard, "lock-order inversion seen
 * in one thread", naming both places; not a potential deadlock. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "hazard"
// CHECK: reports[0].hazard == "inversion-one-thread"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].summary ~ "lock-order inversion seen in one thread"
// CHECK: reports[0].threads# == 2
// CHECK: !reports[0].threads[*].id >= 2
// CHECK: reports[*].threads[*].waits_for.lock.name == "stats_lock"
// CHECK: reports[*].threads[*].waits_for.lock.name == "config_lock"
// CHECK: reports[*].threads[*].holds[0].lock.name == "config_lock"
// CHECK: reports[*].threads[*].holds[0].lock.name == "stats_lock"
// CHECK: reports[*].threads[*].waits_for.stack[0].line == @LINE(first)
// CHECK: reports[*].threads[*].waits_for.stack[0].line == @LINE(second)
#include <pthread.h>

pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;

static void reload(void)
{
    pthread_mutex_lock(&config_lock);
    pthread_mutex_lock(&stats_lock); // @first
    pthread_mutex_unlock(&stats_lock);
    pthread_mutex_unlock(&config_lock);
}

static void report(void)
{
    pthread_mutex_lock(&stats_lock);
    pthread_mutex_lock(&config_lock); // @second
    pthread_mutex_unlock(&config_lock);
    pthread_mutex_unlock(&stats_lock);
}

int main(void)
{
    reload();
    report();
    return 0;
}
