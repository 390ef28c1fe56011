/* SPDX-License-Identifier: MIT */
/* A program started under `tangle run --on-deadlock hang` (issue 11, item
 * 7). indexer holds cache_rw for reading and waits for log_lock; flusher
 * holds log_lock and waits to write cache_rw. glibc only counts readers,
 * so from glibc's fields alone the writer's wait has no holder and the
 * cycle cannot be closed; tangle's records name the reader, and say where
 * each lock was acquired. tangle run reports the deadlock itself and, told
 * to hang, leaves the threads blocked for attach to read. */
// UNDER: --on-deadlock hang
// EXIT: 66
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.lock.name == "cache_rw"
// CHECK: reports[0].threads[*].waits_for.lock.name == "log_lock"
// CHECK: reports[0].threads[*].holds[0].lock.name == "cache_rw"
// CHECK: reports[0].threads[*].holds[0].mode == "read"
// CHECK: reports[0].threads[*].holds[0].acquired[*].line == @LINE(read)
// CHECK: reports[0].threads[*].holds[0].lock.name == "log_lock"
// CHECK: reports[0].threads[*].holds[0].acquired[*].line == @LINE(log)
// CHECK: !reports[0].threads[*].waits_for.holder == null
// CHECK: !reports[*].threads[*].waits_for.stack[*].function == "watchdog"
// CHECK: !reports[*].threads[*].waits_for.stack[*].module ~ "libtangle"
// STDOUT: come from tangle's own records
#define _GNU_SOURCE
#include "hang.h"

pthread_rwlock_t cache_rw = PTHREAD_RWLOCK_INITIALIZER;
pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;

static void *indexer(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&cache_rw); // @read
    pthread_barrier_wait(&both);
    pthread_mutex_lock(&log_lock);
    return NULL;
}

static void *flusher(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&log_lock); // @log
    pthread_barrier_wait(&both);
    pthread_rwlock_wrlock(&cache_rw);
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_barrier_init(&both, NULL, 3);
    pthread_create(&a, NULL, indexer, NULL);
    pthread_create(&b, NULL, flusher, NULL);
    pthread_barrier_wait(&both);
    ready();
    pthread_join(a, NULL);
    return 0;
}
