/* SPDX-License-Identifier: MIT */
/* Two GLib threads take two initialised GMutexes in opposite orders, one
 * after the other: the run finishes, and the lock order predicts the
 * deadlock another interleaving would hit. */
// EXIT: 66
// STDOUT: finished
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(first_b)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(second_a)
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(first_a)
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(second_b)
// CHECK: reports[0].threads[*].waits_for.lock.created[0].line == @LINE(init)
#include <glib.h>
#include <stdio.h>

struct account {
    GMutex lock;
    long balance;
} a, b;
static gint done_first;

static gpointer first(gpointer arg)
{
    (void)arg;
    g_mutex_lock(&a.lock); // @first_a
    g_mutex_lock(&b.lock); // @first_b
    a.balance--, b.balance++;
    g_mutex_unlock(&b.lock);
    g_mutex_unlock(&a.lock);
    g_atomic_int_set(&done_first, 1);
    return NULL;
}

static gpointer second(gpointer arg)
{
    (void)arg;
    g_mutex_lock(&b.lock); // @second_b
    g_mutex_lock(&a.lock); // @second_a
    b.balance--, a.balance++;
    g_mutex_unlock(&a.lock);
    g_mutex_unlock(&b.lock);
    return NULL;
}

int main(void)
{
    struct account *all[] = {&a, &b};
    for (int i = 0; i < 2; i++)
        g_mutex_init(&all[i]->lock); // @init
    /* One after the other, ordered only by a flag polled without a lock:
     * for tangle the two threads are concurrent. */
    GThread *t1 = g_thread_new("first", first, NULL);
    while (!g_atomic_int_get(&done_first))
        g_usleep(1000);
    GThread *t2 = g_thread_new("second", second, NULL);
    g_thread_join(t1);
    g_thread_join(t2);
    printf("finished %ld %ld\n", a.balance, b.balance);
    return 0;
}
