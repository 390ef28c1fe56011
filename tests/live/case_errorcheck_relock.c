/* SPDX-License-Identifier: MIT */
/* Relocking an errorcheck mutex fails with EDEADLK: a hazard, never a
 * deadlock; the program goes on. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "hazard"
// CHECK: reports[0].hazard == "relock-errorcheck"
// CHECK: reports[0].where[0].line == @LINE(relock)
// CHECK: !reports[*].kind == "deadlock"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

int main(void)
{
    pthread_mutex_t m;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&m, &attr);
    pthread_mutex_lock(&m);
    int rc = pthread_mutex_lock(&m); // @relock
    printf("second lock: %s\n", rc == EDEADLK ? "EDEADLK" : "?");
    pthread_mutex_unlock(&m);
    return rc == EDEADLK ? 0 : 1;
}
