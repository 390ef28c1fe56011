/* SPDX-License-Identifier: MIT */
/* A nesting repeated after a semaphore post: thread 1 takes a then b,
 * posts, and takes a then b again at the same place; the waiter, once
 * through sem_wait, takes b then a. The first a -> b came before the
 * waiter's b -> a (the post orders them); the second did not, and it can
 * deadlock with it: a potential deadlock naming both. The same nesting is
 * one chain of locks, seen before the post: it must be looked at again
 * after it. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(a_b)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(b_a)
#include <pthread.h>
#include <semaphore.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static sem_t ready;

static void a_then_b(void)
{
    pthread_mutex_lock(&a);
    pthread_mutex_lock(&b); // @a_b
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
}

static void *waiter(void *arg)
{
    sem_wait(&ready);
    pthread_mutex_lock(&b);
    pthread_mutex_lock(&a); // @b_a
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    return arg;
}

int main(void)
{
    sem_init(&ready, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    a_then_b();
    sem_post(&ready);
    a_then_b();
    pthread_join(t, NULL);
    return 0;
}
