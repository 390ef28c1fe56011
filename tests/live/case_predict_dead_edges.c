/* SPDX-License-Identifier: MIT */
/* A hub lock whose lists of edges fill with dead ones. The first thread
 * takes a table and then each of 32 live locks, and 600 times makes a
 * mutex at one address, takes it with the table held and another lock
 * under it (so that it is no leaf and its nestings are edges at once),
 * and destroys it: each destroy leaves a dead edge in the table's list
 * and in the other lock's, and those lists are swept many times over,
 * between the live edges they keep. The second thread then destroys the
 * last instance, makes the mutex again and takes it and then the table
 * (no cycle: the edges of the earlier instances died with them), and one
 * of the live
 * locks and then the table: that inversion, through the live edge the
 * sweeps kept, is predicted once, at the lines of its two nestings. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(live_inner)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(live_outer)
#include "predict_common.h"

#define LIVE 32
#define ROUNDS 600

pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t live[LIVE];
static pthread_mutex_t slot, under = PTHREAD_MUTEX_INITIALIZER;

static void nest(pthread_mutex_t *outer, pthread_mutex_t *inner)
{
    pthread_mutex_lock(outer);
    pthread_mutex_lock(inner);
    pthread_mutex_unlock(inner);
    pthread_mutex_unlock(outer);
}

static void run(int i)
{
    if (i == 0) {
        for (int k = 0; k < LIVE; k++) {
            nest(&live[k], &under); /* no leaf: the next nesting is an edge */
            pthread_mutex_lock(&table);
            pthread_mutex_lock(&live[k]); // @live_inner
            pthread_mutex_unlock(&live[k]);
            pthread_mutex_unlock(&table);
        }
        for (int k = 0; k < ROUNDS; k++) {
            pthread_mutex_init(&slot, NULL);
            nest(&slot, &under);
            nest(&table, &slot);
            pthread_mutex_destroy(&slot);
        }
        pthread_mutex_init(&slot, NULL);
        nest(&slot, &under);
        nest(&table, &slot);
    } else {
        pthread_mutex_destroy(&slot);
        pthread_mutex_init(&slot, NULL);
        nest(&slot, &table);
        pthread_mutex_lock(&live[LIVE / 2]);
        pthread_mutex_lock(&table); // @live_outer
        pthread_mutex_unlock(&table);
        pthread_mutex_unlock(&live[LIVE / 2]);
    }
}

int main(void)
{
    for (int k = 0; k < LIVE; k++)
        pthread_mutex_init(&live[k], NULL);
    run_in_turns(2, run);
    return 0;
}
