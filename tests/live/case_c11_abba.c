/* SPDX-License-Identifier: MIT */
/* C11 threads: two thrd_create'd threads take two mtx_t in opposite
 * orders and really deadlock. glibc's mtx_lock never calls the
 * interposable pthread_mutex_lock: only tangle's C11 hooks see it. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads# == 3
// CHECK: reports[0].threads[2].name == "main"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].function == "take"
// CHECK: reports[0].threads[*].waits_for.stack[1].line == @LINE(wait_a)
// CHECK: reports[0].threads[*].waits_for.stack[1].line == @LINE(wait_b)
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(take_a)
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(take_b)
// CHECK: reports[0].threads[*].holds[0].lock.name == "lock_a"
// CHECK: reports[0].threads[*].holds[0].lock.name == "lock_b"
// STDERR: tangle: DEADLOCK: 2 threads wait for each other in a cycle
// NOSTDERR: thread_start
#include <stdatomic.h>
#include <threads.h>

mtx_t lock_a, lock_b;
static atomic_int holding;

/* The waits go through a helper, so the report must show whole stacks. */
__attribute__((noinline)) static void take(mtx_t *m)
{
    mtx_lock(m);
}

/* Both threads hold their first lock before either takes its second. */
static void both_hold(void)
{
    atomic_fetch_add(&holding, 1);
    while (atomic_load(&holding) < 2)
        thrd_yield();
}

static int first(void *arg)
{
    (void)arg;
    mtx_lock(&lock_a); // @take_a
    both_hold();
    take(&lock_b); // @wait_b
    mtx_unlock(&lock_b);
    mtx_unlock(&lock_a);
    return 0;
}

static int second(void *arg)
{
    (void)arg;
    mtx_lock(&lock_b); // @take_b
    both_hold();
    take(&lock_a); // @wait_a
    mtx_unlock(&lock_a);
    mtx_unlock(&lock_b);
    return 0;
}

int main(void)
{
    thrd_t t1, t2;
    mtx_init(&lock_a, mtx_plain);
    mtx_init(&lock_b, mtx_timed);
    thrd_create(&t1, first, NULL);
    thrd_create(&t2, second, NULL);
    thrd_join(t1, NULL);
    thrd_join(t2, NULL);
    return 0;
}
