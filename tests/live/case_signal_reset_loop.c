/* SPDX-License-Identifier: MIT */
/* Issue 17 item 3: a thread of the program keeps resetting SIGRTMAX-7 (the
 * signal tangle sends a stuck thread to ask for its stack) to its default
 * action, which terminates, and restoring what it found, as a library that
 * briefly takes a signal over does; meanwhile main waits for a mutex held
 * by a worker, again and again, so that the watchdog samples stacks all
 * along, and at last the two deadlock. tangle's handler stays installed
 * whatever the program sets: the program is never killed, and the
 * deadlock's stacks are whole (sampled while the resets go on). */
// RUN: -O watchdog_ms=10
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads[*].waits_for.stack[0].function == "take"
// CHECK: reports[0].threads[*].waits_for.stack[1].line == @LINE(wait_a)
// CHECK: reports[0].threads[*].waits_for.stack[1].line == @LINE(wait_b)
// STDOUT: rounds done
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#define ROUNDS 30

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER, lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t step;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

__attribute__((noinline)) static void take(pthread_mutex_t *m)
{
    pthread_mutex_lock(m);
}

static void *resetter(void *arg)
{
    (void)arg;
    struct sigaction dfl = {.sa_handler = SIG_DFL}, old;
    for (;;) {
        sigaction(SIGRTMAX - 7, &dfl, &old);
        signal(SIGRTMAX - 7, SIG_DFL);
        sigaction(SIGRTMAX - 7, &old, NULL);
    }
    return NULL;
}

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock_a);
        pthread_barrier_wait(&step);
        sleep_ms(60); /* main is stuck on lock_a meanwhile */
        pthread_mutex_unlock(&lock_a);
        pthread_barrier_wait(&step);
    }
    take(&lock_b);
    pthread_barrier_wait(&step);
    take(&lock_a); // @wait_a
    return NULL;
}

int main(void)
{
    pthread_t w, r;
    pthread_barrier_init(&step, NULL, 2);
    pthread_create(&r, NULL, resetter, NULL);
    pthread_create(&w, NULL, worker, NULL);
    for (int i = 0; i < ROUNDS; i++) {
        pthread_barrier_wait(&step);
        pthread_mutex_lock(&lock_a);
        pthread_mutex_unlock(&lock_a);
        pthread_barrier_wait(&step);
    }
    puts("rounds done");
    fflush(stdout);
    take(&lock_a);
    pthread_barrier_wait(&step);
    take(&lock_b); // @wait_b
    return 0;
}
