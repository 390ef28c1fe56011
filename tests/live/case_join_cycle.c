/* SPDX-License-Identifier: MIT */
/* Two threads join each other. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads# == 3
// CHECK: reports[0].threads[2].name == "main"
// CHECK: reports[0].summary ~ "in a cycle of joins"
// CHECK: reports[0].advice ~ "join in one direction only"
// CHECK: !reports[0].advice ~ "take the locks in one agreed order"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "thread"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(join_b)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(join_a)
#include <pthread.h>

static pthread_t a, b;
static pthread_barrier_t started;

static void *run_a(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&started);
    pthread_join(b, NULL); // @join_b
    return NULL;
}

static void *run_b(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&started);
    pthread_join(a, NULL); // @join_a
    return NULL;
}

int main(void)
{
    pthread_barrier_init(&started, NULL, 3);
    pthread_create(&a, NULL, run_a, NULL);
    pthread_create(&b, NULL, run_b, NULL);
    pthread_barrier_wait(&started);
    pthread_join(a, NULL);
    return 0;
}
