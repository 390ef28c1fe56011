/* SPDX-License-Identifier: MIT */
/* A thread renames itself between two nestings: the occurrence made after
 * the rename names the thread by its new name, although its clock did not
 * change (lock order keeps one snapshot of a thread per clock, and a
 * rename must not reuse the one made before). B and D are taken above X
 * first, so that the worker's nestings into them are queued, not kept as
 * leaves: its first nesting is handled before the rename. */
// EXIT: 66
// STDOUT: finished
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].threads[*].name == "after"
// CHECK: !reports[0].threads[*].name == "before"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(w_d)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(m_c)
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t c = PTHREAD_MUTEX_INITIALIZER, d = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t x = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static int turn;

static void nest(pthread_mutex_t *outer, pthread_mutex_t *inner)
{
    pthread_mutex_lock(outer);
    pthread_mutex_lock(inner);
    pthread_mutex_unlock(inner);
    pthread_mutex_unlock(outer);
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "before");
    nest(&a, &b);
    pthread_setname_np(pthread_self(), "after");
    pthread_mutex_lock(&c);
    pthread_mutex_lock(&d); // @w_d
    pthread_mutex_unlock(&d);
    pthread_mutex_unlock(&c);
    pthread_mutex_lock(&turn_lock);
    turn = 1;
    pthread_cond_signal(&turn_changed);
    pthread_mutex_unlock(&turn_lock);
    return NULL;
}

int main(void)
{
    nest(&b, &x);
    nest(&d, &x);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_mutex_lock(&turn_lock);
    while (!turn)
        pthread_cond_wait(&turn_changed, &turn_lock);
    pthread_mutex_unlock(&turn_lock);
    pthread_mutex_lock(&d);
    pthread_mutex_lock(&c); // @m_c
    pthread_mutex_unlock(&c);
    pthread_mutex_unlock(&d);
    pthread_join(t, NULL);
    puts("finished");
    return 0;
}
