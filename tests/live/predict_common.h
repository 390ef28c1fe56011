/* SPDX-License-Identifier: MIT */
/* Helpers for the lock-order cases: run functions in threads one at a
 * time, in a fixed order, without ordering them by create or join (a
 * semaphore hands the turn on), so the threads count as concurrent. */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>

#define MAX_TURNS 2000
static sem_t turns[MAX_TURNS + 1];

struct turn_arg {
    int index;
    void (*fn)(int);
};

static void *turn_thread(void *p)
{
    struct turn_arg *t = p;
    sem_wait(&turns[t->index]);
    t->fn(t->index);
    sem_post(&turns[t->index + 1]);
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
        sem_init(&turns[i], 0, 0);
    for (int i = 0; i < n; i++) {
        args[i].index = i;
        args[i].fn = fn;
        pthread_create(&t[i], &attr, turn_thread, &args[i]);
    }
    sem_post(&turns[0]);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    free(t);
    free(args);
}
