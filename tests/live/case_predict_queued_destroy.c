/* SPDX-License-Identifier: MIT */
/* A first nesting waits in its thread's queue while the thread keeps a
 * lock, and another thread destroys one of its locks before the queue is
 * handled. The first thread takes b then a; the second, holding an outer
 * lock it keeps, takes a then b (queued: it still holds the outer lock);
 * the third destroys a at once. The destroy retires a's edges, and must
 * handle every queue before it does: else the second thread's a -> b is
 * added after b -> a left the graph and the true inversion is lost. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(first_a)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(second_b)
#include <pthread.h>
#include <sched.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
static int stage; /* spun on, not a lock: tangle sees no ordering in it */

static void wait_stage(int s)
{
    while (__atomic_load_n(&stage, __ATOMIC_ACQUIRE) != s)
        sched_yield();
}

static void *first(void *arg)
{
    (void)arg;
    wait_stage(0);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a); // @first_a
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    __atomic_store_n(&stage, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    wait_stage(1);
    pthread_mutex_lock(&outer);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b); // @second_b
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    __atomic_store_n(&stage, 2, __ATOMIC_RELEASE);
    wait_stage(3);
    pthread_mutex_unlock(&outer);
    return NULL;
}

static void *third(void *arg)
{
    (void)arg;
    wait_stage(2);
    pthread_mutex_destroy(&lock_a);
    __atomic_store_n(&stage, 3, __ATOMIC_RELEASE);
    return NULL;
}

int main(void)
{
    pthread_t t[3];
    pthread_create(&t[0], NULL, first, NULL);
    pthread_create(&t[1], NULL, second, NULL);
    pthread_create(&t[2], NULL, third, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    return 0;
}
