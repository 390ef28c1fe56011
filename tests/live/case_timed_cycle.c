/* SPDX-License-Identifier: MIT */
/* ABBA where one side uses a timed lock: the cycle breaks when the timeout
 * expires, so it is a "will time out" hazard, not a deadlock, and the
 * program finishes. The untimed side is seen by the watchdog after two
 * ticks; the timeout is long enough (4 s) for that to happen on a loaded
 * machine, where a 1 s timeout once expired first. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "hazard"
// CHECK: reports[0].hazard == "timed-cycle"
// CHECK: reports[0].threads[*].waits_for.timed == true
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(timed)
// STDOUT: finished
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER, lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_b);
    pthread_barrier_wait(&both);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 4;
    if (pthread_mutex_timedlock(&lock_a, &ts) == 0) // @timed
        pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_barrier_init(&both, NULL, 2);
    pthread_create(&t, NULL, worker, NULL);
    pthread_mutex_lock(&lock_a);
    pthread_barrier_wait(&both);
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    pthread_join(t, NULL);
    puts("finished");
    return 0;
}
