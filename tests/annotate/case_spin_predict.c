/* SPDX-License-Identifier: MIT */
/* Two threads take two annotated spinlocks in opposite orders, one after
 * the other: the run finishes, and the lock order predicts the deadlock
 * another interleaving would hit. */
// EXIT: 66
// STDOUT: finished
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.lock.name == "lock_a"
// CHECK: reports[0].threads[*].waits_for.lock.name == "lock_b"
// CHECK: reports[0].threads[*].waits_for.stack[*].line == @LINE(first_b)
// CHECK: reports[0].threads[*].waits_for.stack[*].line == @LINE(second_a)
#include <stdio.h>

#include "../live/predict_common.h"
#include "spin.h"

struct spin lock_a, lock_b;

static void nest(int i)
{
    if (i == 0) {
        spin_lock(&lock_a);
        spin_lock(&lock_b); // @first_b
    } else {
        spin_lock(&lock_b);
        spin_lock(&lock_a); // @second_a
    }
    spin_unlock(&lock_a);
    spin_unlock(&lock_b);
}

int main(void)
{
    spin_init(&lock_a);
    spin_init(&lock_b);
    run_in_turns(2, nest);
    puts("finished");
    return 0;
}
