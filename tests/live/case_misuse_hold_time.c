/* SPDX-License-Identifier: MIT */
/* With hold_ms=50, a lock held for 300 ms is reported with where it was
 * taken; a short hold is not. */
// RUN: -O hold_ms=50
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].hazard == "lock-held-too-long"
// CHECK: reports[0].threads[0].holds[0].acquired[0].line == @LINE(slow)
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

int main(void)
{
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    pthread_mutex_lock(&m); // @slow
    usleep(300000);
    pthread_mutex_unlock(&m);
    return 0;
}
