/* SPDX-License-Identifier: MIT */
/* A FILE's lock in a cycle: one thread holds stdout (flockfile) and waits
 * for a mutex; the mutex's holder writes to stdout and waits for the
 * FILE's lock, inside fwrite, with glibc's own inline futex wait. tangle
 * sees the writer asleep inside stdio, so every thread is blocked: a
 * global stall, with the writer named blocked inside stdio (fputs, which
 * the compiler may make fwrite), on a FILE's lock. */
// RUN: -O stall_ms=300
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].summary ~ "global stall"
// CHECK: reports[0].summary ~ "(a FILE's lock)"
// CHECK: reports[0].advice ~ "FILE"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "futex"
// CHECK: reports[0].threads[*].waits_for.stack[*].line == @LINE(writer_wait)
// CHECK: reports[0].threads[*].waits_for.stack[*].line == @LINE(holder_wait)
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static sem_t holder_has_file, writer_has_m;

static void *writer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    sem_post(&writer_has_m);
    sem_wait(&holder_has_file);
    fputs("from the writer\n", stdout); // @writer_wait
    pthread_mutex_unlock(&m);
    return NULL;
}

static void *holder(void *arg)
{
    (void)arg;
    flockfile(stdout);
    sem_wait(&writer_has_m);
    sem_post(&holder_has_file);
    pthread_mutex_lock(&m); // @holder_wait
    pthread_mutex_unlock(&m);
    funlockfile(stdout);
    return NULL;
}

int main(void)
{
    sem_init(&holder_has_file, 0, 0);
    sem_init(&writer_has_m, 0, 0);
    pthread_t a, b;
    pthread_create(&a, NULL, writer, NULL);
    pthread_create(&b, NULL, holder, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}
