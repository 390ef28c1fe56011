/* SPDX-License-Identifier: MIT */
/* A deep nesting repeated after a semaphore post: thread 1 takes m[0] to
 * m[depth - 1] in order (five holds, or the first argument), posts, and
 * does it again at the same place once its waiter, through sem_wait, has
 * taken the last lock then the first. The first m[0] -> m[depth - 1] came
 * before the waiter's inverse nesting (the post orders them); the second
 * did not, and it can deadlock with it: a potential deadlock naming both.
 * The repeat is one chain of locks seen before the post, deeper than a
 * queued nesting holds: it must be looked at again after the post, and it
 * is the nesting that closes the cycle. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(deep_top)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(last_first)
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>

#define MAX_DEPTH 48
static pthread_mutex_t m[MAX_DEPTH];
static int depth = 5;
static sem_t ready;
static int waiter_done; /* an atomic flag: it orders nothing for tangle */

static void deep(void)
{
    for (int k = 0; k < depth - 1; k++)
        pthread_mutex_lock(&m[k]);
    pthread_mutex_lock(&m[depth - 1]); // @deep_top
    for (int k = depth; k-- > 0;)
        pthread_mutex_unlock(&m[k]);
}

static void last_then_first(void)
{
    pthread_mutex_lock(&m[depth - 1]);
    pthread_mutex_lock(&m[0]); // @last_first
    pthread_mutex_unlock(&m[0]);
    pthread_mutex_unlock(&m[depth - 1]);
}

static void *waiter(void *arg)
{
    sem_wait(&ready);
    last_then_first();
    __atomic_store_n(&waiter_done, 1, __ATOMIC_RELEASE);
    return arg;
}

int main(int argc, char **argv)
{
    if (argc > 1 && atoi(argv[1]) >= 2 && atoi(argv[1]) <= MAX_DEPTH)
        depth = atoi(argv[1]);
    for (int k = 0; k < depth; k++)
        pthread_mutex_init(&m[k], NULL);
    sem_init(&ready, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    deep();
    sem_post(&ready);
    while (!__atomic_load_n(&waiter_done, __ATOMIC_ACQUIRE))
        sched_yield();
    deep();
    pthread_join(t, NULL);
    return 0;
}
