/* SPDX-License-Identifier: MIT */
/* A thread locks a default mutex it already holds, through a helper. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads# == 1
// CHECK: reports[0].threads[0].waits_for.holder == 1
// CHECK: reports[0].threads[0].waits_for.stack[0].function == "log_event"
// CHECK: reports[0].threads[0].waits_for.stack[0].line == @LINE(relock)
// CHECK: reports[0].threads[0].waits_for.stack[1].line == @LINE(call_helper)
// CHECK: reports[0].threads[0].holds[0].acquired[0].line == @LINE(first)
// STDERR: waits for a mutex it already holds
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void log_event(const char *what)
{
    pthread_mutex_lock(&log_lock); // @relock
    printf("%s\n", what);
    pthread_mutex_unlock(&log_lock);
}

int main(void)
{
    pthread_mutex_lock(&log_lock); // @first
    log_event("inside"); // @call_helper
    pthread_mutex_unlock(&log_lock);
    return 0;
}
