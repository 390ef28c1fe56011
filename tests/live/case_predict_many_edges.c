/* SPDX-License-Identifier: MIT */
/* A large graph: 50,000 objects, each nested once under a table lock (an
 * edge each, in an index that grows a bucket at a time), then every odd
 * one destroyed (its edge leaves the index); then another thread takes the
 * last object left and then the table, and then the same with a new
 * lock at a destroyed object's place. The one inversion is found through
 * the grown index; the destroyed objects' edges are not reported. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(obj_then_table)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(table_then_obj)
#include "predict_common.h"

#define N 50000
pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *objects;

static void step(int i)
{
    if (i == 0) {
        for (int k = 0; k < N; k++) {
            pthread_mutex_lock(&table);
            pthread_mutex_lock(&objects[k]); // @table_then_obj
            pthread_mutex_unlock(&objects[k]);
            pthread_mutex_unlock(&table);
        }
        for (int k = 1; k < N; k += 2)
            pthread_mutex_destroy(&objects[k]);
    } else {
        pthread_mutex_lock(&objects[N - 2]);
        pthread_mutex_lock(&table); // @obj_then_table
        pthread_mutex_unlock(&table);
        pthread_mutex_unlock(&objects[N - 2]);
        pthread_mutex_init(&objects[N - 1], NULL); /* a new instance: the old one's edge is gone */
        pthread_mutex_lock(&objects[N - 1]);
        pthread_mutex_lock(&table);
        pthread_mutex_unlock(&table);
        pthread_mutex_unlock(&objects[N - 1]);
    }
}

int main(void)
{
    objects = calloc(N, sizeof *objects);
    for (int k = 0; k < N; k++)
        pthread_mutex_init(&objects[k], NULL);
    run_in_turns(2, step);
    return 0;
}
