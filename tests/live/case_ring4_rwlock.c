/* SPDX-License-Identifier: MIT */
/* Four threads in a ring over write-locked rwlocks: each holds its own
 * lock and waits for the next one's. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 4
// CHECK: reports[0].threads# == 5
// CHECK: reports[0].threads[4].waits_for.lock.kind == "thread"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "rwlock"
// CHECK: reports[0].threads[*].waits_for.mode == "write"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(wait_next)
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(take_own)
// STDERR: 4 threads wait for each other in a cycle
#include <pthread.h>

#define N 4
static pthread_rwlock_t locks[N];
static pthread_barrier_t all_hold;

static void *member(void *arg)
{
    long i = (long)arg;
    pthread_rwlock_wrlock(&locks[i]); // @take_own
    pthread_barrier_wait(&all_hold);
    pthread_rwlock_wrlock(&locks[(i + 1) % N]); // @wait_next
    return NULL;
}

int main(void)
{
    pthread_t t[N];
    pthread_barrier_init(&all_hold, NULL, N);
    for (long i = 0; i < N; i++)
        pthread_rwlock_init(&locks[i], NULL);
    for (long i = 0; i < N; i++)
        pthread_create(&t[i], NULL, member, (void *)i);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    return 0;
}
