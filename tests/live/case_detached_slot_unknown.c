/* SPDX-License-Identifier: MIT */
/* A detached thread's clock slot is not reused where that would hide a
 * deadlock: `first` (detached) takes a then b and ends; nobody learns of
 * it through a create, join or semaphore. Then `second` (detached) posts a
 * semaphore that main waits for, and main takes b then a. Had `second`
 * reused first's slot with a later clock, main would look ordered after
 * first's nesting, and the potential deadlock (first could as well have
 * run while main held b) would be missed. */
// EXIT: 66
// STDOUT: finished
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(first_b)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(main_a)
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static sem_t posted;
static atomic_int first_done; /* not an ordering tangle sees */

static void *first(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b); // @first_b
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    atomic_store(&first_done, 1);
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    sem_post(&posted);
    return NULL;
}

int main(void)
{
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sem_init(&posted, 0, 0);
    pthread_create(&t, &attr, first, NULL);
    while (!atomic_load(&first_done))
        usleep(1000);
    usleep(50000); /* first has ended, its record is free for second */
    pthread_create(&t, &attr, second, NULL);
    sem_wait(&posted);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a); // @main_a
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    puts("finished");
    return 0;
}
