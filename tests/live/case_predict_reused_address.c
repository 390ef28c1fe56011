/* SPDX-License-Identifier: MIT */
/* A lock re-created at one address: the first thread takes a table lock
 * and then a mutex that it initialises and destroys 500 times at the same
 * address, then once more and keeps it; the second thread takes that last
 * instance and then the table. Every earlier instance's edge left the graph
 * with its destroy, and the chain the first thread validated for them is
 * not taken for the last one: the inversion between the two live locks is
 * predicted, at the lines of the last nesting. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(last_inner)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(last_outer)
#include "predict_common.h"

pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t slot;

static void nest(void)
{
    pthread_mutex_lock(&table);
    pthread_mutex_lock(&slot);
    pthread_mutex_unlock(&slot);
    pthread_mutex_unlock(&table);
}

static void run(int i)
{
    if (i == 0) {
        for (int k = 0; k < 500; k++) {
            pthread_mutex_init(&slot, NULL);
            nest();
            pthread_mutex_destroy(&slot);
        }
        pthread_mutex_init(&slot, NULL);
        pthread_mutex_lock(&table);
        pthread_mutex_lock(&slot); // @last_inner
        pthread_mutex_unlock(&slot);
        pthread_mutex_unlock(&table);
    } else {
        pthread_mutex_lock(&slot);
        pthread_mutex_lock(&table); // @last_outer
        pthread_mutex_unlock(&table);
        pthread_mutex_unlock(&slot);
    }
}

int main(void)
{
    run_in_turns(2, run);
    return 0;
}
