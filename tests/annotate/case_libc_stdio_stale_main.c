/* SPDX-License-Identifier: MIT */
/* The FILE's-lock stall of case_libc_stdio_lock, with the writer's stack
 * holding a stale copy of main's return addresses (main, and the C
 * library's start-up frames that called it) between the stdio call and
 * the writer's own frames, as ASan's fwrite interceptor once left them.
 * tangle reads a thread asleep inside the C library by scanning its stack
 * for return addresses; on a thread that is not main, main's start-up
 * frames are not where its stack ends, and are not shown (the stale
 * return into main itself is: nothing tells it from a live one): the scan
 * goes on to the writer's frames, and ends at the thread's own start. */
// RUN: -O stall_ms=300
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].summary ~ "global stall"
// CHECK: reports[0].summary ~ "(a FILE's lock)"
// CHECK: reports[0].threads[*].waits_for.stack[*].line == @LINE(stale_write)
// CHECK: reports[0].threads[*].waits_for.stack[*].line == @LINE(writer_wait)
// CHECK: reports[0].threads[*].waits_for.stack[*].line == @LINE(holder_wait)
// CHECK: reports[0].threads[1].waits_for.stack[*].line == @LINE(writer_wait)
// CHECK: reports[0].threads[1].waits_for.stack[*].function == "start_thread"
// CHECK: !reports[0].threads[1].waits_for.stack[*].function ~ "libc_start"
// CHECK: !reports[0].threads[1].waits_for.stack[*].function == "_start"
#include <execinfo.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static sem_t holder_has_file, writer_has_m;
static void *main_frames[8];
static int n_main_frames;

/* Copies main's return addresses into a local the compiler must keep,
 * below the writer's frame and above the stdio call's, then writes. */
__attribute__((noinline)) static void write_with_stale_frames(void)
{
    volatile uintptr_t stale[8];
    for (int i = 0; i < 8; i++)
        stale[i] = i < n_main_frames ? (uintptr_t)main_frames[i] : 0;
    fputs("from the writer\n", stdout); // @stale_write
    (void)stale[0];
}

static void *writer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    sem_post(&writer_has_m);
    sem_wait(&holder_has_file);
    write_with_stale_frames(); // @writer_wait
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
    /* main, __libc_start_call_main, __libc_start_main, _start. */
    n_main_frames = backtrace(main_frames, 8);
    sem_init(&holder_has_file, 0, 0);
    sem_init(&writer_has_m, 0, 0);
    pthread_t a, b;
    pthread_create(&a, NULL, writer, NULL);
    pthread_create(&b, NULL, holder, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}
