/* SPDX-License-Identifier: MIT */
/* The relock of attach_relock.c, done in a function that is always
 * inlined: the stack must still show it as a frame of its own, at its own
 * line, called from its caller's line. */
// EXIT: 66
// CHECK: reports[0].cycle_length == 1
// CHECK: reports[0].threads[0].waits_for.stack[*].function == "lock_config"
// CHECK: reports[0].threads[0].waits_for.stack[*].line == @LINE(inlined_lock)
// CHECK: reports[0].threads[0].waits_for.stack[*].line == @LINE(inlined_call)
// CHECK: reports[0].threads[0].waits_for.stack[*].function == "relocker"
#define _GNU_SOURCE
#include "hang.h"

pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;

static inline __attribute__((always_inline)) void lock_config(void)
{
    pthread_mutex_lock(&config_lock); // @inlined_lock
}

static void *relocker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&config_lock);
    ready();
    lock_config(); // @inlined_call
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, relocker, NULL);
    forever();
}
