/* SPDX-License-Identifier: MIT */
/* main holds a lock and joins a thread that joins another, which waits
 * for that lock: a cycle of three through two joins, found whichever
 * wait closes it. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 3
// CHECK: reports[0].threads# == 3
// CHECK: reports[0].threads[*].waits_for.lock.kind == "thread"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "mutex"
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(hold)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(join_last)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(join_middle)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(want)
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t state = PTHREAD_MUTEX_INITIALIZER;

static void *last(void *arg)
{
    (void)arg;
    usleep(50000);
    pthread_mutex_lock(&state); // @want
    pthread_mutex_unlock(&state);
    return NULL;
}

static void *middle(void *arg)
{
    (void)arg;
    pthread_t t;
    pthread_create(&t, NULL, last, NULL);
    pthread_join(t, NULL); // @join_last
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_mutex_lock(&state); // @hold
    pthread_create(&t, NULL, middle, NULL);
    pthread_join(t, NULL); // @join_middle
    pthread_mutex_unlock(&state);
    return 0;
}
