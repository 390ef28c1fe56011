/* SPDX-License-Identifier: MIT */
/* A graph past 65,536 edges and nodes, where its segments come 16 at a
 * time in one block (lockorder.c: add_segment). 70,000 objects each get a
 * lock taken under them (so each is a node, not a leaf) and are each
 * nested once under a table lock: 140,000 edges. Then a second thread
 * takes the last object, then the first, and a third the first object,
 * then the table: a cycle of three through the table's edge to the last
 * object (made among the last), found whole; no other is reported. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 3
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(table_then_obj)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(last_then_first)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(first_then_table)
#include "predict_common.h"

#define N 70000
static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t below = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *objects;

static void step(int i)
{
    if (i == 0) {
        for (int k = 0; k < N; k++) {
            pthread_mutex_lock(&objects[k]);
            pthread_mutex_lock(&below);
            pthread_mutex_unlock(&below);
            pthread_mutex_unlock(&objects[k]);
        }
        for (int k = 0; k < N; k++) {
            pthread_mutex_lock(&table);
            pthread_mutex_lock(&objects[k]); // @table_then_obj
            pthread_mutex_unlock(&objects[k]);
            pthread_mutex_unlock(&table);
        }
    } else if (i == 1) {
        pthread_mutex_lock(&objects[N - 1]);
        pthread_mutex_lock(&objects[0]); // @last_then_first
        pthread_mutex_unlock(&objects[0]);
        pthread_mutex_unlock(&objects[N - 1]);
    } else {
        pthread_mutex_lock(&objects[0]);
        pthread_mutex_lock(&table); // @first_then_table
        pthread_mutex_unlock(&table);
        pthread_mutex_unlock(&objects[0]);
    }
}

int main(void)
{
    objects = calloc(N, sizeof *objects);
    for (int k = 0; k < N; k++)
        pthread_mutex_init(&objects[k], NULL);
    run_in_turns(3, step);
    return 0;
}
