/* SPDX-License-Identifier: MIT */
/* With PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP a reader that reads
 * again while a writer queues deadlocks: the writer waits for the reader,
 * the second read waits behind the writer. */
// EXIT: 66
// CHECK: reports[*].kind == "deadlock"
// CHECK: reports[*].threads# == 2
// CHECK: reports[*].threads[*].waits_for.mode == "read"
// CHECK: reports[*].threads[*].waits_for.mode == "write"
// CHECK: reports[*].threads[*].waits_for.stack[0].line == @LINE(reread)
// CHECK: reports[*].hazard == "recursive-read"
// STDERR: queued ahead of it for write access (it does not hold the lock
#include <pthread.h>
#include <unistd.h>

static pthread_rwlock_t lock;

static void *writer(void *arg)
{
    (void)arg;
    pthread_rwlock_wrlock(&lock);
    pthread_rwlock_unlock(&lock);
    return NULL;
}

int main(void)
{
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lock, &attr);
    pthread_t t;
    pthread_rwlock_rdlock(&lock);
    pthread_create(&t, NULL, writer, NULL);
    usleep(200000); /* the writer queues */
    pthread_rwlock_rdlock(&lock); // @reread
    pthread_rwlock_unlock(&lock);
    pthread_rwlock_unlock(&lock);
    pthread_join(t, NULL);
    return 0;
}
