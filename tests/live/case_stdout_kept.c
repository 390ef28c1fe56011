/* SPDX-License-Identifier: MIT */
/* A program prints, without a newline or a flush, then deadlocks: when
 * tangle stops it, what it printed still reaches its standard output
 * (a file here, so fully buffered), and the report says no "actor". */
// EXIT: 66
// CHECK: reports[0].kind == "deadlock"
// STDOUT: printed before the deadlock
// NOSTDERR: actor
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&b);
    pthread_barrier_wait(&both);
    pthread_mutex_lock(&a);
    return NULL;
}

int main(void)
{
    pthread_t t;
    printf("printed before the deadlock");
    pthread_barrier_init(&both, NULL, 2);
    pthread_create(&t, NULL, worker, NULL);
    pthread_mutex_lock(&a);
    pthread_barrier_wait(&both);
    pthread_mutex_lock(&b);
    pthread_join(t, NULL);
    return 0;
}
