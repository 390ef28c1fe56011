/* SPDX-License-Identifier: MIT */
/* main holds a lock and joins a worker that waits for that lock. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads# == 2
// CHECK: reports[0].advice ~ "release locks before joining"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "thread"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "mutex"
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(hold)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(join)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(want)
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t state = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
    (void)arg;
    usleep(50000);
    pthread_mutex_lock(&state); // @want
    pthread_mutex_unlock(&state);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_mutex_lock(&state); // @hold
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL); // @join
    pthread_mutex_unlock(&state);
    return 0;
}
