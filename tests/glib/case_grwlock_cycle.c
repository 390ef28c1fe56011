/* SPDX-License-Identifier: MIT */
/* A GRWLock held for writing and a GMutex, taken in opposite orders by two
 * GLib threads: the reader waits for the writer, who waits for the mutex
 * the reader holds. Caught live, with the lock modes. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.lock.name == "table"
// CHECK: reports[0].threads[*].waits_for.mode == "read"
// CHECK: reports[0].threads[*].holds[0].mode == "write"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(read)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(stats)
#include <glib.h>
#include <pthread.h>

GRWLock table;
GMutex stats_lock;
static pthread_barrier_t both_hold;

static gpointer reporter(gpointer arg)
{
    (void)arg;
    g_mutex_lock(&stats_lock);
    pthread_barrier_wait(&both_hold);
    g_rw_lock_reader_lock(&table); // @read
    g_rw_lock_reader_unlock(&table);
    g_mutex_unlock(&stats_lock);
    return NULL;
}

int main(void)
{
    g_rw_lock_init(&table);
    pthread_barrier_init(&both_hold, NULL, 2);
    GThread *t = g_thread_new("reporter", reporter, NULL);
    g_rw_lock_writer_lock(&table);
    pthread_barrier_wait(&both_hold);
    g_mutex_lock(&stats_lock); // @stats
    g_mutex_unlock(&stats_lock);
    g_rw_lock_writer_unlock(&table);
    g_thread_join(t);
    return 0;
}
