/* SPDX-License-Identifier: MIT */
/* A cycle through 1,000 locks and 1,000 threads is found whole (the
 * anchors truncate cycles at 10 or 20). */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 1000
// CHECK: reports[0].threads# == 1000
#include "predict_common.h"

#define N 1000
static pthread_mutex_t locks[N];

static void nest(int i)
{
    pthread_mutex_lock(&locks[i]);
    pthread_mutex_lock(&locks[(i + 1) % N]);
    pthread_mutex_unlock(&locks[(i + 1) % N]);
    pthread_mutex_unlock(&locks[i]);
}

int main(void)
{
    for (int i = 0; i < N; i++)
        pthread_mutex_init(&locks[i], NULL);
    run_in_turns(N, nest);
    return 0;
}
