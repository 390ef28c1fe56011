/* SPDX-License-Identifier: MIT */
/* GLib used correctly, nothing reported: a three-stage pipeline over
 * GAsyncQueues; workers that nest two GMutexes in one order and signal a
 * GCond; a GRecMutex taken twice; GRWLock readers side by side and a
 * writer; trylocks; locks initialised, cleared and initialised again. */
// EXIT: 0
// STDOUT: sum 500500 counted 4000
// CHECK: reports# == 0
// NOSTDERR: tangle
#include <glib.h>
#include <stdio.h>

#define ITEMS 1000

static GAsyncQueue *raw_q, *cooked_q;
static GMutex outer, inner, done_lock;
static GCond done_cond;
static GRecMutex rec;
static GRWLock table;
static int finished, counted, table_value;

static gpointer stage_square(gpointer arg)
{
    (void)arg;
    for (int i = 0; i < ITEMS; i++) {
        gintptr v = GPOINTER_TO_INT(g_async_queue_pop(raw_q));
        g_async_queue_push(cooked_q, GINT_TO_POINTER(v));
    }
    return NULL;
}

static gpointer counter(gpointer arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        g_mutex_lock(&outer);
        g_mutex_lock(&inner);
        counted++;
        g_mutex_unlock(&inner);
        g_mutex_unlock(&outer);
        g_rw_lock_reader_lock(&table);
        int v = table_value;
        (void)v;
        g_rw_lock_reader_unlock(&table);
        if (g_mutex_trylock(&inner))
            g_mutex_unlock(&inner);
    }
    g_rec_mutex_lock(&rec);
    g_rec_mutex_lock(&rec);
    g_rec_mutex_unlock(&rec);
    g_rec_mutex_unlock(&rec);
    g_mutex_lock(&done_lock);
    finished++;
    g_cond_signal(&done_cond);
    g_mutex_unlock(&done_lock);
    return NULL;
}

int main(void)
{
    g_rec_mutex_init(&rec);
    g_rw_lock_init(&table);
    raw_q = g_async_queue_new();
    cooked_q = g_async_queue_new();
    GThread *sq = g_thread_new("square", stage_square, NULL);
    GThread *c[4];
    for (int i = 0; i < 4; i++)
        c[i] = g_thread_new("counter", counter, NULL);
    for (int i = 1; i <= ITEMS; i++)
        g_async_queue_push(raw_q, GINT_TO_POINTER(i));
    long sum = 0;
    for (int i = 0; i < ITEMS; i++)
        sum += GPOINTER_TO_INT(g_async_queue_pop(cooked_q));
    g_rw_lock_writer_lock(&table);
    table_value = 1;
    g_rw_lock_writer_unlock(&table);
    g_mutex_lock(&done_lock);
    while (finished < 4)
        g_cond_wait(&done_cond, &done_lock);
    g_mutex_unlock(&done_lock);
    for (int i = 0; i < 4; i++)
        g_thread_join(c[i]);
    g_thread_join(sq);
    /* Cleared and initialised again at the same address: a new lock,
     * which may be nested the other way. */
    g_mutex_clear(&outer);
    g_mutex_init(&outer);
    g_mutex_lock(&inner);
    g_mutex_lock(&outer);
    g_mutex_unlock(&outer);
    g_mutex_unlock(&inner);
    g_mutex_clear(&outer);
    g_rec_mutex_clear(&rec);
    g_rw_lock_clear(&table);
    g_async_queue_unref(raw_q);
    g_async_queue_unref(cooked_q);
    printf("sum %ld counted %d\n", sum, counted);
    return 0;
}
