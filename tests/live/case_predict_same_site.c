/* SPDX-License-Identifier: MIT */
/* One helper takes two locks for both threads: the first thread calls it
 * from forward() (first for two other locks, then for a and b), the second
 * from backward() with a and b swapped. Every wanted lock is taken at the
 * same line of the helper, so only the frames above it tell the two
 * threads apart: a stack remembered for that line (stack.c) must be given
 * back only for the same callers, and each thread's report shows its own
 * caller. */
// EXIT: 66
// STDOUT: finished
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(inner)
// CHECK: reports[0].threads[*].waits_for.stack[1].line == @LINE(fwd_call)
// CHECK: reports[0].threads[*].waits_for.stack[1].line == @LINE(bwd_call)
// CHECK: reports[0].threads[*].waits_for.stack[1].function == "forward"
// CHECK: reports[0].threads[*].waits_for.stack[1].function == "backward"
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_d = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t turn;

__attribute__((noinline)) static void lock_pair(pthread_mutex_t *x, pthread_mutex_t *y)
{
    pthread_mutex_lock(x);
    pthread_mutex_lock(y); // @inner
    pthread_mutex_unlock(y);
    pthread_mutex_unlock(x);
}

__attribute__((noinline)) static void forward(pthread_mutex_t *x, pthread_mutex_t *y)
{
    lock_pair(x, y); // @fwd_call
}

__attribute__((noinline)) static void backward(pthread_mutex_t *x, pthread_mutex_t *y)
{
    lock_pair(y, x); // @bwd_call
}

static void *first(void *arg)
{
    (void)arg;
    forward(&lock_c, &lock_d);
    forward(&lock_a, &lock_b);
    pthread_barrier_wait(&turn);
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&turn);
    backward(&lock_a, &lock_b);
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_barrier_init(&turn, NULL, 2);
    pthread_create(&t1, NULL, first, NULL);
    pthread_create(&t2, NULL, second, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    puts("finished");
    return 0;
}
