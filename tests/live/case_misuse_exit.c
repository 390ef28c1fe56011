/* SPDX-License-Identifier: MIT */
/* Threads that end holding locks: by pthread_exit and by cancellation.
 * Process exit from main while holding a lock is not a finding. */
// EXIT: 66
// NOSTDERR: SUMMARY: tangle: exit-holding-lock ./nptl
// NOSTDERR: SUMMARY: tangle: exit-holding-lock ../sysdeps
// STDERR: SUMMARY: tangle: exit-holding-lock /
// CHECK: reports# == 2
// CHECK: reports[0].hazard == "exit-holding-lock"
// CHECK: reports[1].hazard == "exit-holding-lock"
// CHECK: reports[*].threads[0].holds[0].acquired[0].line == @LINE(before_exit)
// CHECK: reports[*].threads[0].holds[0].acquired[0].line == @LINE(before_cancel)
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER,
                       kept = PTHREAD_MUTEX_INITIALIZER;

static void *exits(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&a); // @before_exit
    pthread_exit(NULL);
}

static void *cancelled(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&b); // @before_cancel
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_create(&t1, NULL, exits, NULL);
    pthread_join(t1, NULL);
    pthread_create(&t2, NULL, cancelled, NULL);
    usleep(100000);
    pthread_cancel(t2);
    pthread_join(t2, NULL);
    pthread_mutex_lock(&kept);
    return 0;
}
