/* SPDX-License-Identifier: MIT */
/* C11 threads: two threads take two mtx_t in opposite orders, one after
 * the other (a condition variable hands over the turn): the run finishes,
 * and the lock order predicts the deadlock another interleaving would hit.
 * The second thread takes lock_a with mtx_timedlock: a timed mutex nested
 * the other way round is a deadlock all the same while the deadline is far. */
// EXIT: 66
// STDOUT: finished
// NOSTDERR: thread_start
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(t1_b)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(t2_a)
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(t1_a)
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(t2_b)
// CHECK: reports[0].threads[*].holds[0].lock.name == "lock_a"
#include <stdio.h>
#include <threads.h>
#include <time.h>

mtx_t lock_a, lock_b;
static mtx_t turn_lock;
static cnd_t turn_changed;
static int turn;

static int first(void *arg)
{
    (void)arg;
    mtx_lock(&lock_a); // @t1_a
    mtx_lock(&lock_b); // @t1_b
    mtx_unlock(&lock_b);
    mtx_unlock(&lock_a);
    mtx_lock(&turn_lock);
    turn = 1;
    cnd_signal(&turn_changed);
    mtx_unlock(&turn_lock);
    return 0;
}

static int second(void *arg)
{
    (void)arg;
    mtx_lock(&turn_lock);
    while (turn == 0)
        cnd_wait(&turn_changed, &turn_lock);
    mtx_unlock(&turn_lock);
    struct timespec far;
    timespec_get(&far, TIME_UTC);
    far.tv_sec += 3600;
    mtx_lock(&lock_b); // @t2_b
    if (mtx_timedlock(&lock_a, &far) != thrd_success) // @t2_a
        return 1;
    mtx_unlock(&lock_a);
    mtx_unlock(&lock_b);
    return 0;
}

int main(void)
{
    thrd_t t1, t2;
    int r1 = -1, r2 = -1;
    mtx_init(&lock_a, mtx_timed);
    mtx_init(&lock_b, mtx_plain);
    mtx_init(&turn_lock, mtx_plain);
    cnd_init(&turn_changed);
    thrd_create(&t1, first, NULL);
    thrd_create(&t2, second, NULL);
    thrd_join(t1, &r1);
    thrd_join(t2, &r2);
    if (r1 != 0 || r2 != 0)
        return 1;
    puts("finished");
    return 0;
}
