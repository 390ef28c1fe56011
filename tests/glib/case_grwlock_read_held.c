/* SPDX-License-Identifier: MIT */
/* A GRWLock held for reading and a GMutex, taken in opposite orders by two
 * GLib threads: the writer waits for the reader, who waits for the mutex
 * the writer holds. Neither lock is initialised (static GLib locks need
 * not be), and every hold is taken on tangle's inline path, by address
 * alone: the report still names the rwlock an rwlock, held for reading,
 * and the mutex a mutex. Caught live. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.lock.name == "table"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "rwlock"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "mutex"
// CHECK: reports[0].threads[*].holds[0].lock.kind == "rwlock"
// CHECK: reports[0].threads[*].holds[0].lock.kind == "mutex"
// CHECK: reports[0].threads[*].holds[0].mode == "read"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(write)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(stats)
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(read)
#include <glib.h>
#include <pthread.h>

static GRWLock table;
static GMutex stats_lock;
static pthread_barrier_t both_hold;

static gpointer reader(gpointer arg)
{
    (void)arg;
    g_rw_lock_reader_lock(&table); // @read
    pthread_barrier_wait(&both_hold);
    g_mutex_lock(&stats_lock); // @stats
    g_mutex_unlock(&stats_lock);
    g_rw_lock_reader_unlock(&table);
    return NULL;
}

int main(void)
{
    pthread_barrier_init(&both_hold, NULL, 2);
    GThread *t = g_thread_new("reader", reader, NULL);
    g_mutex_lock(&stats_lock);
    pthread_barrier_wait(&both_hold);
    g_rw_lock_writer_lock(&table); // @write
    g_rw_lock_writer_unlock(&table);
    g_mutex_unlock(&stats_lock);
    g_thread_join(t);
    return 0;
}
