/* SPDX-License-Identifier: MIT */
/* Semaphore hand-offs that order every deep nesting (five holds, or the
 * first argument: deeper than a queued nesting holds): none can deadlock,
 * none is reported.
 * 1. a producer takes m[0] to m[depth - 1] in order and posts, 200 times;
 *    the consumer waits 200 times and then takes the last then the first:
 *    every m[0] -> m[depth - 1] came before a post it waited for (each
 *    repeat after a post is renewed with its own clock, not the one of
 *    its handling).
 * 2. the same with the locks n[], repeated after the last post under a
 *    gate the consumer holds too when it takes the last then the first. */
// EXIT: 0
// CHECK: reports# == 0
// NOSTDERR: tangle
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>

#define MAX_DEPTH 48
static pthread_mutex_t m[MAX_DEPTH], n[MAX_DEPTH];
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static int depth = 5;
static sem_t items, gated;

#define ITEMS 200

static void deep(pthread_mutex_t *l)
{
    for (int k = 0; k < depth; k++)
        pthread_mutex_lock(&l[k]);
    for (int k = depth; k-- > 0;)
        pthread_mutex_unlock(&l[k]);
}

static void last_then_first(pthread_mutex_t *l)
{
    pthread_mutex_lock(&l[depth - 1]);
    pthread_mutex_lock(&l[0]);
    pthread_mutex_unlock(&l[0]);
    pthread_mutex_unlock(&l[depth - 1]);
}

static void *consumer(void *arg)
{
    for (int i = 0; i < ITEMS; i++)
        sem_wait(&items);
    last_then_first(m);
    sem_wait(&gated);
    pthread_mutex_lock(&gate);
    last_then_first(n);
    pthread_mutex_unlock(&gate);
    return arg;
}

int main(int argc, char **argv)
{
    if (argc > 1 && atoi(argv[1]) >= 2 && atoi(argv[1]) <= MAX_DEPTH)
        depth = atoi(argv[1]);
    for (int k = 0; k < depth; k++) {
        pthread_mutex_init(&m[k], NULL);
        pthread_mutex_init(&n[k], NULL);
    }
    sem_init(&items, 0, 0);
    sem_init(&gated, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, consumer, NULL);
    for (int i = 0; i < ITEMS; i++) {
        deep(m);
        sem_post(&items);
    }
    deep(n);
    sem_post(&gated);
    pthread_mutex_lock(&gate);
    deep(n);
    pthread_mutex_unlock(&gate);
    pthread_join(t, NULL);
    return 0;
}
