/* SPDX-License-Identifier: MIT */
/* Issue 15 item 5: a condition wait with an errorcheck mutex the caller
 * does not hold fails with EPERM and leaves the mutex alone. The wait
 * without the mutex is reported; the lock taken next is not a relock. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].hazard == "cond-mutex-not-held"
// CHECK: reports[0].where[0].line == @LINE(unheld)
// STDOUT: wait: EPERM
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

int main(void)
{
    pthread_mutexattr_t attr;
    pthread_mutex_t m;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&m, &attr);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1;
    int rc = pthread_cond_timedwait(&c, &m, &ts); // @unheld
    printf("wait: %s\n", rc == EPERM ? "EPERM" : "other");
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    return 0;
}
