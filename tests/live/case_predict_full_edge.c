/* SPDX-License-Identifier: MIT */
/* An edge seen by more threads than it keeps occurrences for: four threads
 * take gate, a, b; a fifth takes a, b without the gate; a sixth takes
 * gate, b, a. The gated occurrences cannot deadlock with the sixth thread,
 * the fifth's can: it is kept in place of a gated one, and predicted. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(ungated_b)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(gated_a)
// CHECK: !reports[0].threads[*].waits_for.stack[0].line == @LINE(gated_b)
#include "predict_common.h"

pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER, lock_b = PTHREAD_MUTEX_INITIALIZER;

static void step(int i)
{
    if (i < 4) {
        pthread_mutex_lock(&gate);
        pthread_mutex_lock(&lock_a);
        pthread_mutex_lock(&lock_b); // @gated_b
        pthread_mutex_unlock(&lock_b);
        pthread_mutex_unlock(&lock_a);
        pthread_mutex_unlock(&gate);
    } else if (i == 4) {
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

int main(void)
{
    run_in_turns(6, step);
    return 0;
}
