/* SPDX-License-Identifier: MIT */
/* Semaphore hand-offs that order every nesting: none can deadlock, none is
 * reported.
 * 1. thread 1 takes a then b, posts; its waiter takes b then a.
 * 2. a producer takes c then d and posts, 200 times; the consumer waits
 *    200 times and then takes d then c: every c -> d came before a post
 *    it waited for (each repeat after a post is renewed with its own
 *    clock, not the one of its handling).
 * 3. the same with a nesting repeated after the last post, under a gate
 *    the consumer holds too. */
// EXIT: 0
// CHECK: reports# == 0
// NOSTDERR: tangle
#include <pthread.h>
#include <semaphore.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t c = PTHREAD_MUTEX_INITIALIZER, d = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t e = PTHREAD_MUTEX_INITIALIZER, f = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static sem_t one, items, gated;

#define ITEMS 200

static void pair(pthread_mutex_t *p, pthread_mutex_t *q)
{
    pthread_mutex_lock(p);
    pthread_mutex_lock(q);
    pthread_mutex_unlock(q);
    pthread_mutex_unlock(p);
}

static void *waiter(void *arg)
{
    sem_wait(&one);
    pair(&b, &a);
    for (int i = 0; i < ITEMS; i++)
        sem_wait(&items);
    pair(&d, &c);
    sem_wait(&gated);
    pthread_mutex_lock(&gate);
    pair(&f, &e);
    pthread_mutex_unlock(&gate);
    return arg;
}

int main(void)
{
    sem_init(&one, 0, 0);
    sem_init(&items, 0, 0);
    sem_init(&gated, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    pair(&a, &b);
    sem_post(&one);
    for (int i = 0; i < ITEMS; i++) {
        pair(&c, &d);
        sem_post(&items);
    }
    pair(&e, &f);
    sem_post(&gated);
    pthread_mutex_lock(&gate);
    pair(&e, &f);
    pthread_mutex_unlock(&gate);
    pthread_join(t, NULL);
    return 0;
}
