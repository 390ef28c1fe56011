/* SPDX-License-Identifier: MIT */
/* Locks whose memory is freed without a destroy leave the lock-order graph.
 * The first thread 300 times allocates a block (zeroed: its mutex needs no
 * init), takes a table lock and then the block's mutex, and frees the
 * block; the second allocates a block of the same size (mapped alone, so
 * usually at the address just freed) and takes its mutex and then the
 * table, and keeps it; the third takes the table and then that mutex. Only
 * the inversion between the second and the third is a deadlock: the
 * first thread's edges left with its blocks, and are not taken for the
 * second's lock even where the addresses coincide. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(kept_outer)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(kept_inner)
#include "predict_common.h"

#include <malloc.h>

#define BLOCK (256 * 1024) /* above the mmap threshold set below */

pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *kept;

static void run(int i)
{
    if (i == 0) {
        for (int k = 0; k < 300; k++) {
            pthread_mutex_t *m = calloc(1, BLOCK);
            pthread_mutex_lock(&table);
            pthread_mutex_lock(m);
            pthread_mutex_unlock(m);
            pthread_mutex_unlock(&table);
            free(m);
        }
    } else if (i == 1) {
        kept = calloc(1, BLOCK);
        pthread_mutex_lock(kept);
        pthread_mutex_lock(&table); // @kept_outer
        pthread_mutex_unlock(&table);
        pthread_mutex_unlock(kept);
    } else {
        pthread_mutex_lock(&table);
        pthread_mutex_lock(kept); // @kept_inner
        pthread_mutex_unlock(kept);
        pthread_mutex_unlock(&table);
    }
}

int main(void)
{
    mallopt(M_MMAP_THRESHOLD, 128 * 1024); /* fixed: freed blocks are unmapped */
    run_in_turns(3, run);
    free(kept);
    return 0;
}
