/* SPDX-License-Identifier: MIT */
/* Two threads take two mutexes in opposite orders and really deadlock. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads# == 2
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].function == "take"
// CHECK: reports[0].threads[*].waits_for.stack[1].line == @LINE(wait_a)
// CHECK: reports[0].threads[*].waits_for.stack[1].line == @LINE(wait_b)
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(take_a)
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(take_b)
// CHECK: reports[0].threads[*].holds[0].lock.name == "lock_a"
// CHECK: reports[0].threads[*].waits_for.holder == 1
// CHECK: reports[0].threads[*].waits_for.holder == 2
// STDERR: tangle: DEADLOCK: 2 threads wait for each other in a cycle
// CHECK: reports[0].threads[*].created[*].line == @LINE(spawn)
// STDERR: thread 2 was started in main
// NOSTDERR: thread 1 was started
#include <pthread.h>
#include <unistd.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

/* The waits go through a helper, so the report must show whole stacks. */
__attribute__((noinline)) static void take(pthread_mutex_t *m)
{
    pthread_mutex_lock(m);
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_b); // @take_b
    pthread_barrier_wait(&both_hold);
    take(&lock_a); // @wait_a
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&t, NULL, worker, NULL); // @spawn
    pthread_mutex_lock(&lock_a); // @take_a
    pthread_barrier_wait(&both_hold);
    take(&lock_b); // @wait_b
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    pthread_join(t, NULL);
    return 0;
}
