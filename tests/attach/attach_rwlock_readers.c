/* SPDX-License-Identifier: MIT */
/* Two readers hold an rwlock and sleep; a writer waits for it. glibc only
 * counts readers, so the wait names the lock and says its readers cannot
 * be named; the readers sleep (pause), so nothing is a deadlock. */
// EXIT: 0
// CHECK: reports[*].kind == "threads"
// CHECK: !reports[*].kind == "deadlock"
// CHECK: reports[*].threads[0].waits_for.lock.name == "cache_rw"
// CHECK: reports[*].threads[0].waits_for.mode == "write"
// CHECK: reports[*].threads[0].waits_for.lock.detail ~ "held for reading by 2 threads"
// CHECK: reports[*].threads[0].waits_for.lock.detail ~ "cannot be named from outside"
// CHECK: reports[*].threads[0].waits_for.holder == null
#define _GNU_SOURCE
#include "hang.h"

pthread_rwlock_t cache_rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t readers_in;

static void *reader(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&cache_rw);
    pthread_barrier_wait(&readers_in);
    forever();
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_barrier_init(&readers_in, NULL, 3);
    pthread_create(&t, NULL, reader, NULL);
    pthread_create(&t, NULL, reader, NULL);
    pthread_barrier_wait(&readers_in);
    ready();
    pthread_rwlock_wrlock(&cache_rw);
    return 0;
}
