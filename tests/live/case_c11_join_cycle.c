/* SPDX-License-Identifier: MIT */
/* C11 threads: two thrd_create'd threads thrd_join each other. (Main,
 * which joins one of them, may not have blocked yet when the cycle is
 * found: the report is not required to list it.) */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].summary ~ "in a cycle of joins"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "thread"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(join_b)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(join_a)
#include <stdatomic.h>
#include <threads.h>

static thrd_t a, b;
static atomic_int started;

static void all_started(void)
{
    atomic_fetch_add(&started, 1);
    while (atomic_load(&started) < 3)
        thrd_yield();
}

static int run_a(void *arg)
{
    (void)arg;
    all_started();
    thrd_join(b, NULL); // @join_b
    return 0;
}

static int run_b(void *arg)
{
    (void)arg;
    all_started();
    thrd_join(a, NULL); // @join_a
    return 0;
}

int main(void)
{
    thrd_create(&a, run_a, NULL);
    thrd_create(&b, run_b, NULL);
    all_started();
    thrd_join(a, NULL);
    return 0;
}
