/* SPDX-License-Identifier: MIT */
/* The program removes TANGLE_ADDR2LINE from its environment before it
 * deadlocks. tangle read it as it started, so the report still uses the
 * addr2line it named (here none that runs: frames keep module+offset and
 * the note says why), not the one on PATH. */
// RUN: -O symbolizer=addr2line
// ENV: TANGLE_ADDR2LINE=/nonexistent/addr2line
// EXIT: 66
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == null
// CHECK: reports[0].threads[*].holds[0].lock.name == "lock_a"
// COUNT: 1 tangle: note: stacks show module+offset, not functions and lines: libdw was not used (symbolizer=addr2line), and addr2line (binutils) could not be run.
#include <pthread.h>
#include <stdlib.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_b);
    pthread_barrier_wait(&both_hold);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

int main(void)
{
    pthread_t t;
    unsetenv("TANGLE_ADDR2LINE");
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&t, NULL, worker, NULL);
    pthread_mutex_lock(&lock_a);
    pthread_barrier_wait(&both_hold);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    pthread_join(t, NULL);
    return 0;
}
