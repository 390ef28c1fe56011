/* SPDX-License-Identifier: MIT */
/* Three threads, three locks, each taken in a rotating order: a cycle of
 * three, predicted. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 3
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(second)
#include "predict_common.h"

static pthread_mutex_t locks[3] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                   PTHREAD_MUTEX_INITIALIZER};

static void nest(int i)
{
    pthread_mutex_lock(&locks[i]);
    pthread_mutex_lock(&locks[(i + 1) % 3]); // @second
    pthread_mutex_unlock(&locks[(i + 1) % 3]);
    pthread_mutex_unlock(&locks[i]);
}

int main(void)
{
    run_in_turns(3, nest);
    return 0;
}
