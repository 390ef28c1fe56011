/* SPDX-License-Identifier: MIT */
/* First nestings wait in the main thread's queue (it keeps an outer lock,
 * and joins nobody before the end) across a create and a join, which
 * change its happens-before clock: each must be handled with the clock of
 * its nesting.
 * - main takes a then b, then creates a thread that takes b then a: the
 *   create orders the two, nothing can deadlock (read at the create, main's
 *   clock has moved past the nesting, and the pair would look concurrent);
 * - a worker created before takes d then c while main, at the same time as
 *   far as any ordering goes, takes c then d, and main then joins it: a
 *   true inversion (read after the join, main's clock would know the
 *   worker's nesting, and the pair would look ordered: a lost report). */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(main_d)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(worker_c)
#include <pthread.h>
#include <sched.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_d = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
static int go, late_done; /* spun on, not locks: tangle sees no ordering in them */

static void *after_create(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    __atomic_store_n(&late_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *worker(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        sched_yield();
    pthread_mutex_lock(&lock_d);
    pthread_mutex_lock(&lock_c); // @worker_c
    pthread_mutex_unlock(&lock_c);
    pthread_mutex_unlock(&lock_d);
    return NULL;
}

int main(void)
{
    pthread_t early, late;
    pthread_create(&early, NULL, worker, NULL);
    pthread_mutex_lock(&outer);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    pthread_create(&late, NULL, after_create, NULL);
    while (!__atomic_load_n(&late_done, __ATOMIC_ACQUIRE))
        sched_yield();
    pthread_mutex_lock(&lock_c);
    pthread_mutex_lock(&lock_d); // @main_d
    pthread_mutex_unlock(&lock_d);
    pthread_mutex_unlock(&lock_c);
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    pthread_join(early, NULL);
    pthread_mutex_unlock(&outer);
    pthread_join(late, NULL);
    return 0;
}
