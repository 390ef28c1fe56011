/* SPDX-License-Identifier: MIT */
/* One bug, one report (issue 15.11, after pigz's issue 60): every lock is
 * made by one wrapper, new_lock(); a pool lock and eight per-space locks
 * are taken in opposite orders by two threads, the second reaching the
 * inversion from two call sites. Eight inversions over lock instances, one
 * bug: one potential deadlock, the second call site listed as another
 * place, every sighting counted. */
// EXIT: 66
// STDOUT: finished
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].repeats == 7
// CHECK: reports[0].places# == 1
// CHECK: reports[0].places[0]# == 2
// CHECK: reports[0].threads[*].holds[0].acquired[0].line == @LINE(use_pool)
// CHECK: reports[0].places[0][*].acquired[0].line == @LINE(drop_pool)
// CHECK: reports[0].places[0][*].waits[*].line == @LINE(drop_space)
// CHECK: reports[0].places[0][*].acquired[0].line == @LINE(space_first)
// STDERR: SUMMARY: tangle: potential-deadlock
// COUNT: 1 SUMMARY: tangle:
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define SPACES 8

static pthread_mutex_t *pool, *space[SPACES];
static pthread_barrier_t turn;

static pthread_mutex_t *new_lock(void)
{
    pthread_mutex_t *m = malloc(sizeof *m);
    pthread_mutex_init(m, NULL);
    return m;
}

static void *recycler(void *arg)
{
    (void)arg;
    for (int i = 0; i < SPACES; i++) {
        pthread_mutex_lock(space[i]); // @space_first
        pthread_mutex_lock(pool);
        pthread_mutex_unlock(pool);
        pthread_mutex_unlock(space[i]);
    }
    pthread_barrier_wait(&turn);
    return NULL;
}

static void use_space(int i)
{
    pthread_mutex_lock(pool); // @use_pool
    pthread_mutex_lock(space[i]);
    pthread_mutex_unlock(space[i]);
    pthread_mutex_unlock(pool);
}

static void drop_space(int i)
{
    pthread_mutex_lock(pool); // @drop_pool
    pthread_mutex_lock(space[i]); // @drop_space
    pthread_mutex_unlock(space[i]);
    pthread_mutex_unlock(pool);
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&turn);
    for (int i = 0; i < SPACES; i++) {
        if (i < SPACES / 2)
            use_space(i);
        else
            drop_space(i);
    }
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    pool = new_lock();
    for (int i = 0; i < SPACES; i++)
        space[i] = new_lock();
    pthread_barrier_init(&turn, NULL, 2);
    pthread_create(&t1, NULL, recycler, NULL);
    pthread_create(&t2, NULL, worker, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    puts("finished");
    return 0;
}
