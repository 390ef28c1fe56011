/* SPDX-License-Identifier: MIT */
/* malloc called from a signal handler that interrupted malloc on the same
 * thread: the handler waits for the allocator lock its own thread holds,
 * and never gets it. glibc takes that lock with an inline futex wait, not
 * through any call tangle hooks; the watchdog sees the thread asleep in it
 * and reads from its stack what it is inside. A second thread then frees
 * a block of the same arena and waits for the same lock: every thread is
 * blocked, a global stall, named for what it is. */
// RUN: -O stall_ms=300
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].summary ~ "global stall"
// CHECK: reports[0].summary ~ "blocked inside malloc/free (the allocator's lock), called from a signal handler that interrupted malloc/free on the same thread"
// CHECK: reports[0].advice ~ "async-signal-safe"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "futex"
// CHECK: reports[0].threads[*].waits_for.lock.detail == "blocked inside malloc/free (the allocator's lock)"
// CHECK: reports[0].threads[*].waits_for.stack[*].function == "on_signal"
// STDERR: waits for futex word (blocked inside malloc/free (the allocator's lock), called from a signal handler
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BIG 70000 /* past the per-thread cache, short of mmap: the arena, under its lock */

static pthread_t main_thread;
static void *volatile from_main;
static volatile long progress;

static void on_signal(int sig)
{
    (void)sig;
    void *p = malloc(BIG); /* not async-signal-safe: the bug this test is about */
    free(p);
}

/* Interrupts main with signals until main stops making progress, then
 * frees a block of main's arena. */
static void *interrupter(void *arg)
{
    (void)arg;
    long seen = -1;
    int still = 0;
    while (still < 200) {
        pthread_kill(main_thread, SIGUSR1);
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        long now = progress;
        still = now == seen ? still + 1 : 0;
        seen = now;
    }
    free(from_main);
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    main_thread = pthread_self();
    from_main = malloc(BIG);
    pthread_t t;
    pthread_create(&t, NULL, interrupter, NULL);
    for (;;) {
        void *p = malloc(BIG + (progress & 1023));
        progress++;
        free(p);
    }
}
