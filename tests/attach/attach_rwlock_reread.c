/* SPDX-License-Identifier: MIT */
/* The writer-preferring re-read: a reader holds table_rw, a writer queues
 * on it, and the reader read-locks it again. The rwlock prefers writers
 * with no recursive reads, so the second read waits for the writer, which
 * waits for the reader. main joins the reader, so every other thread is
 * blocked for good and the reader holding the lock can only be one of the
 * threads waiting on it: a deadlock, said by name. (With "pause", main
 * sleeps instead and could be the reader: rwlock_reread_pause.case.) */
// EXIT: 66
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].summary ~ "re-read of a writer-preferring rwlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.lock.name == "table_rw"
// CHECK: reports[0].threads[*].waits_for.lock.detail ~ "writer-preferring"
// CHECK: reports[0].threads[*].waits_for.mode == "read"
// CHECK: reports[0].threads[*].waits_for.mode == "write"
// CHECK: reports[0].threads[*].waits_for.stack[*].line == @LINE(reread)
// CHECK: reports[0].threads[*].waits_for.lock.kind == "thread"
// CHECK: reports[0].threads# == 3
// CHECK: !reports[0].threads[*].waits_for.lock.detail ~ "held by"
// STDOUT: tangle: DEADLOCK: re-read of a writer-preferring rwlock
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "hang.h"

pthread_rwlock_t table_rw;
static pthread_barrier_t holding;

static void *writer(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&holding);
    pthread_rwlock_wrlock(&table_rw);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&table_rw);
    pthread_barrier_wait(&holding);
    /* Until the writer is queued, a read would still get in. */
    while (pthread_rwlock_tryrdlock(&table_rw) == 0) {
        pthread_rwlock_unlock(&table_rw);
        usleep(1000);
    }
    ready();
    pthread_rwlock_rdlock(&table_rw); // @reread
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&table_rw, &a);
    pthread_barrier_init(&holding, NULL, 2);
    pthread_t r, w;
    pthread_create(&w, NULL, writer, NULL);
    pthread_create(&r, NULL, reader, NULL);
    if (argc > 1 && !strcmp(argv[1], "pause"))
        forever();
    pthread_join(r, NULL);
    return 0;
}
