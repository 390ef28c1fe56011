/* SPDX-License-Identifier: MIT */
/* A deadlock whose waits go through an always-inlined helper: the report
 * shows the helper and, as a frame of its own at the same address, the
 * caller's line it was inlined at (addr2line without -i lost it). */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads[*].waits_for.stack[0].function == "take_inline"
// CHECK: reports[0].threads[*].waits_for.stack[0].inlined == true
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(inner)
// CHECK: reports[0].threads[*].waits_for.stack[1].function == "worker"
// CHECK: reports[0].threads[*].waits_for.stack[1].line == @LINE(call_worker)
// CHECK: reports[0].threads[*].waits_for.stack[1].function == "main"
// CHECK: reports[0].threads[*].waits_for.stack[1].line == @LINE(call_main)
// CHECK: reports[0].threads[*].waits_for.stack[0].file ~ "tests/live/case_inline_frames.c"
// STDERR: (inlined)
// STDERR: tangle: DEADLOCK: 2 threads wait for each other in a cycle
#include <pthread.h>

static pthread_mutex_t first = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t second = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static inline __attribute__((always_inline)) void take_inline(pthread_mutex_t *m)
{
    pthread_mutex_lock(m); // @inner
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&second);
    pthread_barrier_wait(&both_hold);
    take_inline(&first); // @call_worker
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&t, NULL, worker, NULL);
    pthread_mutex_lock(&first);
    pthread_barrier_wait(&both_hold);
    take_inline(&second); // @call_main
    pthread_join(t, NULL);
    return 0;
}
