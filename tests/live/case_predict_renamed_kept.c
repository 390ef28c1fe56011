/* SPDX-License-Identifier: MIT */
/* A renamed thread nests into a leaf (the nesting is kept in a record of
 * the leaf's), then creates a thread: its clock moves on, and the record
 * keeps a snapshot of the thread as it was. When another thread's
 * nesting settles the leaf, the record goes to the graph under that
 * snapshot, shared, not copied (and not let go of twice), and the cycle
 * names the thread by the name it had. */
// EXIT: 66
// STDOUT: finished
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].threads[*].name == "kept"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(w_d)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(m_c)
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t c = PTHREAD_MUTEX_INITIALIZER, d = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static int turn;

static void *idle(void *arg)
{
    return arg;
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "kept");
    pthread_mutex_lock(&c);
    pthread_mutex_lock(&d); // @w_d
    pthread_mutex_unlock(&d);
    pthread_mutex_unlock(&c);
    pthread_t t;
    pthread_create(&t, NULL, idle, NULL);
    pthread_join(t, NULL);
    pthread_mutex_lock(&turn_lock);
    turn = 1;
    pthread_cond_signal(&turn_changed);
    while (turn != 2)
        pthread_cond_wait(&turn_changed, &turn_lock);
    pthread_mutex_unlock(&turn_lock);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_mutex_lock(&turn_lock);
    while (turn != 1)
        pthread_cond_wait(&turn_changed, &turn_lock);
    pthread_mutex_unlock(&turn_lock);
    pthread_mutex_lock(&d);
    pthread_mutex_lock(&c); // @m_c
    pthread_mutex_unlock(&c);
    pthread_mutex_unlock(&d);
    pthread_mutex_lock(&turn_lock);
    turn = 2;
    pthread_cond_broadcast(&turn_changed);
    pthread_mutex_unlock(&turn_lock);
    pthread_join(t, NULL);
    puts("finished");
    return 0;
}
