/* SPDX-License-Identifier: MIT */
/* A thread that takes an edge a second time in a way that can deadlock
 * where its first way could not: the second occurrence must be kept.
 * 1. gates: thread 0 takes gate, a, b and later a, b without the gate;
 *    thread 1 takes gate, b, a. Only the ungated a -> b can deadlock with it.
 * 2. held mode: thread 0 read-locks table (glibc's reader-preferring
 *    default) then takes m, later write-locks it then takes m; thread 1
 *    takes m then read-locks table. Only the write hold blocks thread 1.
 * 3. wanted mode: thread 0 takes m2 then read-locks table2, later m2 then
 *    write-locks it; thread 1 read-locks table2 then takes m2.
 * 4. happens-before: main takes x, y, then creates a child that takes y, x,
 *    then takes x, y again under another lock z. Only the second nesting
 *    runs at once with the child.
 * 5. both kept: thread 0 takes gate, c, d, then joins a thread of its own
 *    (its clock learns more: neither occurrence covers the other), then
 *    takes c, d without the gate; thread 1 takes gate, d, c. The cycle is
 *    completed with the ungated one.
 * 6. the same nesting again: main takes p, q; creates a child that takes
 *    q, p; takes p, q again at the same place (one chain of locks, seen
 *    before the create: only the second time runs at once with the child).
 * Each is one potential deadlock naming the second occurrence's line. */
// EXIT: 66
// CHECK: reports# == 6
// CHECK: reports[*].kind == "potential-deadlock"
// CHECK: !reports[*].kind == "hazard"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(ungated_b)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(gated_a)
// CHECK: reports[0].threads[*].holds[*].lock.name == "lock_a"
// CHECK: reports[1].threads[*].waits_for.stack[0].line == @LINE(write_then_m)
// CHECK: reports[1].threads[*].holds[0].mode == "write"
// CHECK: reports[1].threads[*].waits_for.stack[0].line == @LINE(m_then_read)
// CHECK: reports[2].threads[*].waits_for.stack[0].line == @LINE(m2_then_write)
// CHECK: reports[2].threads[*].waits_for.mode == "write"
// CHECK: reports[2].threads[*].waits_for.stack[0].line == @LINE(read_then_m2)
// CHECK: reports[3].threads[*].waits_for.stack[0].line == @LINE(x_y_later)
// CHECK: reports[3].threads[*].waits_for.stack[0].line == @LINE(child_y_x)
// CHECK: reports[4].threads[*].waits_for.stack[0].line == @LINE(ungated_d)
// CHECK: reports[4].threads[*].waits_for.stack[0].line == @LINE(gated_c)
// CHECK: reports[5].threads[*].waits_for.stack[0].line == @LINE(p_q)
// CHECK: reports[5].threads[*].waits_for.stack[0].line == @LINE(child_q_p)
// CHECK: !reports[*].threads[*].waits_for.stack[0].line == @LINE(gated_b)
// CHECK: !reports[*].threads[*].waits_for.stack[0].line == @LINE(gated_d)
// CHECK: !reports[*].threads[*].waits_for.stack[0].line == @LINE(read_then_m)
// CHECK: !reports[*].threads[*].waits_for.stack[0].line == @LINE(m2_then_read)
// CHECK: !reports[*].threads[*].waits_for.stack[0].line == @LINE(x_y_first)
#include "predict_common.h"

pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER, lock_b = PTHREAD_MUTEX_INITIALIZER;
pthread_rwlock_t table = PTHREAD_RWLOCK_INITIALIZER, table2 = PTHREAD_RWLOCK_INITIALIZER;
pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER, m2 = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t x = PTHREAD_MUTEX_INITIALIZER, y = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t z = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER, lock_d = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t p = PTHREAD_MUTEX_INITIALIZER, q = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static int child_done;

static void gates(int i)
{
    if (i == 0) {
        pthread_mutex_lock(&gate);
        pthread_mutex_lock(&lock_a);
        pthread_mutex_lock(&lock_b); // @gated_b
        pthread_mutex_unlock(&lock_b);
        pthread_mutex_unlock(&lock_a);
        pthread_mutex_unlock(&gate);
        pthread_mutex_lock(&lock_a);
        pthread_mutex_lock(&lock_b); // @ungated_b
        pthread_mutex_unlock(&lock_b);
        pthread_mutex_unlock(&lock_a);
    } else {
        pthread_mutex_lock(&gate);
        pthread_mutex_lock(&lock_b);
        pthread_mutex_lock(&lock_a); // @gated_a
        pthread_mutex_unlock(&lock_a);
        pthread_mutex_unlock(&lock_b);
        pthread_mutex_unlock(&gate);
    }
}

static void held_mode(int i)
{
    if (i == 0) {
        pthread_rwlock_rdlock(&table);
        pthread_mutex_lock(&m); // @read_then_m
        pthread_mutex_unlock(&m);
        pthread_rwlock_unlock(&table);
        pthread_rwlock_wrlock(&table);
        pthread_mutex_lock(&m); // @write_then_m
        pthread_mutex_unlock(&m);
        pthread_rwlock_unlock(&table);
    } else {
        pthread_mutex_lock(&m);
        pthread_rwlock_rdlock(&table); // @m_then_read
        pthread_rwlock_unlock(&table);
        pthread_mutex_unlock(&m);
    }
}

static void wanted_mode(int i)
{
    if (i == 0) {
        pthread_mutex_lock(&m2);
        pthread_rwlock_rdlock(&table2); // @m2_then_read
        pthread_rwlock_unlock(&table2);
        pthread_mutex_unlock(&m2);
        pthread_mutex_lock(&m2);
        pthread_rwlock_wrlock(&table2); // @m2_then_write
        pthread_rwlock_unlock(&table2);
        pthread_mutex_unlock(&m2);
    } else {
        pthread_rwlock_rdlock(&table2);
        pthread_mutex_lock(&m2); // @read_then_m2
        pthread_mutex_unlock(&m2);
        pthread_rwlock_unlock(&table2);
    }
}

static void child_done_say(void)
{
    pthread_mutex_lock(&done_lock); /* a mutex and a condition: no ordering */
    child_done = 1;
    pthread_cond_signal(&done_cond);
    pthread_mutex_unlock(&done_lock);
}

static void child_done_wait(void)
{
    pthread_mutex_lock(&done_lock);
    while (!child_done)
        pthread_cond_wait(&done_cond, &done_lock);
    child_done = 0;
    pthread_mutex_unlock(&done_lock);
}

static void *child(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&y);
    pthread_mutex_lock(&x); // @child_y_x
    pthread_mutex_unlock(&x);
    pthread_mutex_unlock(&y);
    child_done_say();
    return NULL;
}

static void *child_qp(void *arg)
{
    pthread_mutex_lock(&q);
    pthread_mutex_lock(&p); // @child_q_p
    pthread_mutex_unlock(&p);
    pthread_mutex_unlock(&q);
    child_done_say();
    return arg;
}

static void p_then_q(void)
{
    pthread_mutex_lock(&p);
    pthread_mutex_lock(&q); // @p_q
    pthread_mutex_unlock(&q);
    pthread_mutex_unlock(&p);
}

static void *nothing(void *arg)
{
    return arg;
}

static void both_kept(int i)
{
    if (i == 0) {
        pthread_mutex_lock(&gate);
        pthread_mutex_lock(&lock_c);
        pthread_mutex_lock(&lock_d); // @gated_d
        pthread_mutex_unlock(&lock_d);
        pthread_mutex_unlock(&lock_c);
        pthread_mutex_unlock(&gate);
        pthread_t t;
        pthread_create(&t, NULL, nothing, NULL);
        pthread_join(t, NULL);
        pthread_mutex_lock(&lock_c);
        pthread_mutex_lock(&lock_d); // @ungated_d
        pthread_mutex_unlock(&lock_d);
        pthread_mutex_unlock(&lock_c);
    } else {
        pthread_mutex_lock(&gate);
        pthread_mutex_lock(&lock_d);
        pthread_mutex_lock(&lock_c); // @gated_c
        pthread_mutex_unlock(&lock_c);
        pthread_mutex_unlock(&lock_d);
        pthread_mutex_unlock(&gate);
    }
}

int main(void)
{
    run_in_turns(2, gates);
    run_in_turns(2, held_mode);
    run_in_turns(2, wanted_mode);
    pthread_mutex_lock(&x);
    pthread_mutex_lock(&y); // @x_y_first
    pthread_mutex_unlock(&y);
    pthread_mutex_unlock(&x);
    pthread_t t;
    pthread_create(&t, NULL, child, NULL);
    child_done_wait();
    pthread_mutex_lock(&z);
    pthread_mutex_lock(&x);
    pthread_mutex_lock(&y); // @x_y_later
    pthread_mutex_unlock(&y);
    pthread_mutex_unlock(&x);
    pthread_mutex_unlock(&z);
    pthread_join(t, NULL);
    run_in_turns(2, both_kept);
    p_then_q();
    pthread_create(&t, NULL, child_qp, NULL);
    child_done_wait();
    p_then_q();
    pthread_join(t, NULL);
    return 0;
}
