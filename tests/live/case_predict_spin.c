/* SPDX-License-Identifier: MIT */
/* Two threads take two spinlocks in opposite orders, one after the other:
 * spinlocks nest like mutexes, and the inversion is predicted. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(second_b)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(second_a)
#include "predict_common.h"

static pthread_spinlock_t spin_a, spin_b;

static void nest(int i)
{
    if (i == 0) {
        pthread_spin_lock(&spin_a);
        pthread_spin_lock(&spin_b); // @second_b
    } else {
        pthread_spin_lock(&spin_b);
        pthread_spin_lock(&spin_a); // @second_a
    }
    pthread_spin_unlock(&spin_a);
    pthread_spin_unlock(&spin_b);
}

int main(void)
{
    pthread_spin_init(&spin_a, PTHREAD_PROCESS_PRIVATE);
    pthread_spin_init(&spin_b, PTHREAD_PROCESS_PRIVATE);
    run_in_turns(2, nest);
    return 0;
}
