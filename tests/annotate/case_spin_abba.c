/* SPDX-License-Identifier: MIT */
/* Two threads take two home-made spinlocks, annotated with
 * tangle/annotate.h, in opposite orders and really deadlock: each spins
 * for ever in the other's lock. Caught live, with each spinning thread's
 * stack taken where it spins. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads# == 2
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.lock.name == "lock_a"
// CHECK: reports[0].threads[*].waits_for.lock.name == "lock_b"
// CHECK: reports[0].threads[*].waits_for.lock.created[0].function == "spin_init"
// CHECK: reports[0].threads[*].waits_for.stack[*].function == "spin_lock"
// CHECK: reports[0].threads[*].waits_for.stack[*].line == @LINE(wait_a)
// CHECK: reports[0].threads[*].waits_for.stack[*].line == @LINE(wait_b)
// CHECK: reports[0].threads[*].holds[0].lock.name == "lock_a"
// CHECK: reports[0].threads[*].holds[0].lock.name == "lock_b"
// CHECK: reports[0].threads[*].waits_for.holder == 1
// CHECK: reports[0].threads[*].waits_for.holder == 2
// STDERR: tangle: DEADLOCK: 2 threads wait for each other in a cycle
#include <pthread.h>

#include "spin.h"

struct spin lock_a, lock_b;
static pthread_barrier_t both_hold;

static void *worker(void *arg)
{
    (void)arg;
    spin_lock(&lock_b);
    pthread_barrier_wait(&both_hold);
    spin_lock(&lock_a); // @wait_a
    spin_unlock(&lock_a);
    spin_unlock(&lock_b);
    return NULL;
}

int main(void)
{
    pthread_t t;
    spin_init(&lock_a);
    spin_init(&lock_b);
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&t, NULL, worker, NULL);
    spin_lock(&lock_a);
    pthread_barrier_wait(&both_hold);
    spin_lock(&lock_b); // @wait_b
    spin_unlock(&lock_b);
    spin_unlock(&lock_a);
    pthread_join(t, NULL);
    return 0;
}
