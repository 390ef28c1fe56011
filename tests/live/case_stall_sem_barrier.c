/* SPDX-License-Identifier: MIT */
/* A semaphore that is never posted and a barrier that never fills. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].summary ~ "global stall"
// CHECK: reports[0].threads# == 3
// CHECK: reports[0].threads[*].waits_for.lock.kind == "semaphore"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "barrier"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(sem)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(barrier)
#include <pthread.h>
#include <semaphore.h>

static sem_t items;
static pthread_barrier_t phase;

static void *taker(void *arg)
{
    (void)arg;
    sem_wait(&items); // @sem
    return NULL;
}

static void *phaser(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&phase); // @barrier
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    sem_init(&items, 0, 0);
    pthread_barrier_init(&phase, NULL, 3);
    pthread_create(&a, NULL, taker, NULL);
    pthread_create(&b, NULL, phaser, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}
