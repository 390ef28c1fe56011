/* SPDX-License-Identifier: MIT */
/* Two GLib threads take two GMutexes in opposite orders and really
 * deadlock. GLib's GMutex is a bare futex (no pthread call): the program is
 * not modified, tangle interposes g_mutex_*. Caught live, with the
 * program's own lines for each wait and each acquisition. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.lock.name == "lock_a"
// CHECK: reports[0].threads[*].waits_for.lock.name == "lock_b"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(wait_a)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(wait_b)
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(take_a)
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(take_b)
// STDERR: tangle: DEADLOCK: 2 threads wait for each other in a cycle
#include <glib.h>
#include <pthread.h>

GMutex lock_a, lock_b;
static pthread_barrier_t both_hold;

static gpointer worker(gpointer arg)
{
    (void)arg;
    g_mutex_lock(&lock_b); // @take_b
    pthread_barrier_wait(&both_hold);
    g_mutex_lock(&lock_a); // @wait_a
    g_mutex_unlock(&lock_a);
    g_mutex_unlock(&lock_b);
    return NULL;
}

int main(void)
{
    pthread_barrier_init(&both_hold, NULL, 2);
    GThread *t = g_thread_new("worker", worker, NULL);
    g_mutex_lock(&lock_a); // @take_a
    pthread_barrier_wait(&both_hold);
    g_mutex_lock(&lock_b); // @wait_b
    g_mutex_unlock(&lock_b);
    g_mutex_unlock(&lock_a);
    g_thread_join(t);
    return 0;
}
