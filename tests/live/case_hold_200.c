/* SPDX-License-Identifier: MIT */
/* One thread holds 200 locks at once (ThreadSanitizer aborts past 64) and
 * then deadlocks with another thread over the last one: the report lists
 * all 200 holds. */
// EXIT: 66
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads[*].holds# == 200
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(wait_first)
#include <pthread.h>

#define HELD 200
static pthread_mutex_t locks[HELD];
static pthread_mutex_t extra = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t ready;

static void *other(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&extra);
    pthread_barrier_wait(&ready);
    pthread_mutex_lock(&locks[0]); // @wait_first
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_barrier_init(&ready, NULL, 2);
    for (int i = 0; i < HELD; i++) {
        pthread_mutex_init(&locks[i], NULL);
        pthread_mutex_lock(&locks[i]);
    }
    pthread_create(&t, NULL, other, NULL);
    pthread_barrier_wait(&ready);
    pthread_mutex_lock(&extra);
    return 0;
}
