/* SPDX-License-Identifier: MIT */
/* A consumer waits on a GCond nobody will signal while main joins it:
 * every thread is blocked, a global stall, reported with both waits. */
// RUN: -O stall_ms=300
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].summary ~ "global stall"
// CHECK: reports[0].threads# == 2
// CHECK: reports[0].threads[*].waits_for.lock.kind == "condition"
// CHECK: reports[0].threads[*].waits_for.stack[*].line == @LINE(wait)
#include <glib.h>

static GMutex m;
static GCond ready;
static gboolean have_work;

static gpointer consumer(gpointer arg)
{
    (void)arg;
    g_mutex_lock(&m);
    while (!have_work)
        g_cond_wait(&ready, &m); // @wait
    g_mutex_unlock(&m);
    return NULL;
}

int main(void)
{
    GThread *t = g_thread_new("consumer", consumer, NULL);
    g_thread_join(t);
    return 0;
}
