/* SPDX-License-Identifier: MIT */
/* A single-threaded program relocks a mutex deep in its held list (not
 * one of the two newest): still caught at once, with no watchdog. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads[0].holds# == 3
// CHECK: reports[0].threads[0].waits_for.stack[0].line == @LINE(relock)
#include <pthread.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER,
                       c = PTHREAD_MUTEX_INITIALIZER;

int main(void)
{
    pthread_mutex_lock(&a);
    pthread_mutex_lock(&b);
    pthread_mutex_lock(&c);
    pthread_mutex_lock(&a); // @relock
    return 0;
}
