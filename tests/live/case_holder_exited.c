/* SPDX-License-Identifier: MIT */
/* A worker returns early on an error path without unlocking; main then
 * waits for the lock forever. Two findings: the exit (a hazard, at once)
 * and the deadlock of main. */
// EXIT: 66
// CHECK: reports# == 2
// CHECK: reports[0].kind == "hazard"
// CHECK: reports[0].hazard == "exit-holding-lock"
// CHECK: reports[0].threads[0].holds[0].acquired[0].line == @LINE(take)
// CHECK: reports[1].kind == "deadlock"
// CHECK: reports[1].threads[*].state == "exited"
// CHECK: reports[1].threads[0].waits_for.stack[0].line == @LINE(wait)
// CHECK: reports[1].threads[*].holds[0].acquired[0].line == @LINE(take)
// STDERR: which has exited without releasing it
#include <pthread.h>

static pthread_mutex_t config = PTHREAD_MUTEX_INITIALIZER;

static void *loader(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&config); // @take
    int failed = 1;
    if (failed)
        return NULL; /* forgot to unlock */
    pthread_mutex_unlock(&config);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, loader, NULL);
    pthread_join(t, NULL);
    pthread_mutex_lock(&config); // @wait
    return 0;
}
