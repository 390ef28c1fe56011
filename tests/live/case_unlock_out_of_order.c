/* SPDX-License-Identifier: MIT */
/* A lock released before the one taken under it (a table lock dropped
 * while the object's lock is kept), then a real deadlock: the report must
 * show what each thread holds after that release, the object's lock and
 * not the table's. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[0].holds# == 1
// CHECK: reports[0].threads[1].holds# == 1
// CHECK: reports[0].threads[*].holds[0].lock.name == "lock_a"
// CHECK: reports[0].threads[*].holds[0].lock.name == "lock_b"
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(take_a)
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(take_b)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(wait_a)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(wait_b)
// NOSTDERR: 'table'
#include <pthread.h>

pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_b); // @take_b
    pthread_barrier_wait(&both_hold);
    pthread_mutex_lock(&lock_a); // @wait_a
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&t, NULL, worker, NULL);
    pthread_mutex_lock(&table);
    pthread_mutex_lock(&lock_a); // @take_a
    pthread_mutex_unlock(&table);
    pthread_barrier_wait(&both_hold);
    pthread_mutex_lock(&lock_b); // @wait_b
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    pthread_join(t, NULL);
    return 0;
}
