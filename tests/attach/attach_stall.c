/* SPDX-License-Identifier: MIT */
/* Every thread waits for something only another could provide: a
 * condition nobody signals, a semaphore nobody posts, a barrier that
 * needs one more, and main joins one of them. No owner closes a cycle; the
 * whole process is stalled and tangle attach says so. */
// EXIT: 66
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].summary ~ "whole-process stall"
// CHECK: reports[0].threads# == 4
// CHECK: reports[0].threads[*].waits_for.lock.kind == "condition"
// CHECK: reports[0].threads[*].waits_for.lock.name == "work_ready"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "semaphore"
// CHECK: reports[0].threads[*].waits_for.lock.name == "slots"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "barrier"
// CHECK: reports[0].threads[*].waits_for.lock.name == "phase"
// CHECK: reports[0].threads[*].waits_for.lock.detail == "for 3 threads"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "thread"
// STDOUT: a whole-process stall
#define _GNU_SOURCE
#include <semaphore.h>

#include "hang.h"

pthread_mutex_t work_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t work_ready = PTHREAD_COND_INITIALIZER;
sem_t slots;
pthread_barrier_t phase;

static void *consumer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&work_lock);
    pthread_cond_wait(&work_ready, &work_lock);
    return NULL;
}

static void *producer(void *arg)
{
    (void)arg;
    sem_wait(&slots);
    return NULL;
}

static void *phaser(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&phase);
    return NULL;
}

int main(void)
{
    pthread_t c, p, b;
    sem_init(&slots, 0, 0);
    pthread_barrier_init(&phase, NULL, 3);
    pthread_create(&c, NULL, consumer, NULL);
    pthread_create(&p, NULL, producer, NULL);
    pthread_create(&b, NULL, phaser, NULL);
    ready();
    pthread_join(c, NULL);
    return 0;
}
