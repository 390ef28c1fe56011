/* SPDX-License-Identifier: MIT */
/* Helpers for the lock-order cases: run functions in threads one at a
 * time, in a fixed order, without ordering them by create, join or a
 * semaphore (a turn counter under a mutex and a condition hands the turn
 * on: tangle takes neither for an ordering), so the threads count as
 * concurrent. */
#include <pthread.h>
#include <stdlib.h>

#define MAX_TURNS 2000
static pthread_mutex_t turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_ready[MAX_TURNS + 1]; /* one per turn: no herd of wake-ups */
static int turn = -1;

struct turn_arg {
    int index;
    void (*fn)(int);
};

static void *turn_thread(void *p)
{
    struct turn_arg *t = p;
    pthread_mutex_lock(&turn_lock);
    while (turn != t->index)
        pthread_cond_wait(&turn_ready[t->index], &turn_lock);
    pthread_mutex_unlock(&turn_lock);
    t->fn(t->index);
    pthread_mutex_lock(&turn_lock);
    turn = t->index + 1;
    pthread_cond_signal(&turn_ready[t->index + 1]);
    pthread_mutex_unlock(&turn_lock);
    return NULL;
}

/* Runs fn(0), fn(1), ..., fn(n-1), each in its own thread, in that order. */
static void run_in_turns(int n, void (*fn)(int))
{
    pthread_t *t = calloc((size_t)n, sizeof *t);
    struct turn_arg *args = calloc((size_t)n, sizeof *args);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    for (int i = 0; i <= n; i++)
        pthread_cond_init(&turn_ready[i], NULL);
    for (int i = 0; i < n; i++) {
        args[i].index = i;
        args[i].fn = fn;
        pthread_create(&t[i], &attr, turn_thread, &args[i]);
    }
    pthread_mutex_lock(&turn_lock);
    turn = 0;
    pthread_cond_signal(&turn_ready[0]);
    pthread_mutex_unlock(&turn_lock);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    free(t);
    free(args);
}
