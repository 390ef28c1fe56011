/* SPDX-License-Identifier: MIT */
/* Kept first nestings from one line reached by two callers. The first
 * thread makes leaves (init, nest under `outer`, destroy: each a fresh
 * instance, its nesting kept, not queued) through nest_leaf() called from
 * churn(), then nests one more leaf the same way from keep(), and keeps
 * that one. The second thread then takes that leaf and `outer` the other
 * way round: a true potential deadlock (a barrier orders nothing). The
 * stack of a kept nesting comes from its thread's memo of stacks, looked
 * up at the slot of the hook's return into the program: the report must
 * show keep() as the first thread's caller, not churn(), whose nestings
 * at the same line came before. */
// EXIT: 66
// STDOUT: finished
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(inner)
// CHECK: reports[0].threads[*].waits_for.stack[1].line == @LINE(keep_call)
// CHECK: reports[0].threads[*].waits_for.stack[1].function == "keep"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(inverse)
#include <pthread.h>
#include <stdio.h>

#define CHURNED 50

static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t churned;
static pthread_mutex_t kept;
static pthread_barrier_t turn;

__attribute__((noinline)) static void nest_leaf(pthread_mutex_t *leaf)
{
    pthread_mutex_lock(&outer);
    pthread_mutex_lock(leaf); // @inner
    pthread_mutex_unlock(leaf);
    pthread_mutex_unlock(&outer);
}

__attribute__((noinline)) static void churn(void)
{
    for (int i = 0; i < CHURNED; i++) {
        pthread_mutex_init(&churned, NULL);
        nest_leaf(&churned); // @churn_call
        pthread_mutex_destroy(&churned);
    }
}

__attribute__((noinline)) static void keep(void)
{
    pthread_mutex_init(&kept, NULL);
    nest_leaf(&kept); // @keep_call
}

static void *first(void *arg)
{
    (void)arg;
    churn();
    keep();
    pthread_barrier_wait(&turn);
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&turn);
    pthread_mutex_lock(&kept);
    pthread_mutex_lock(&outer); // @inverse
    pthread_mutex_unlock(&outer);
    pthread_mutex_unlock(&kept);
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
