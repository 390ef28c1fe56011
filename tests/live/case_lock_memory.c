/* SPDX-License-Identifier: MIT */
/* What a lock costs before any nesting: its entry and its share of the
 * table's index. The program makes 1,000 mutexes, measures its resident
 * memory, makes 100,000 more and takes each once alone, and fails if the
 * memory grew by more than 64 bytes a lock (an entry is 48 bytes; the
 * index, 8 bytes a slot and at most 13/16 full, is 1 MiB for 101,000
 * locks: 10 bytes each); it grows by 58-59 here, 66 with the 56-byte
 * entry before, 77 with an index at most half full besides. Then every
 * mutex is destroyed and freed. Silent: nothing nests. */
// EXIT: 0
// NOSTDERR: tangle:
// CHECK: reports# == 0
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "resident.h"

#define LOCKS 100000
#define WARM 1000
#define LIMIT 64

int main(void)
{
    pthread_mutex_t *m = calloc(WARM + LOCKS, sizeof *m);
    if (!m)
        return 2;
    for (long i = 0; i < WARM; i++)
        pthread_mutex_init(&m[i], NULL);
    /* The array's pages are touched before the measure: only tangle's
     * memory grows in it. */
    for (long i = WARM; i < WARM + LOCKS; i++)
        m[i].__data.__lock = 0;
    long before = resident_kb();
    for (long i = WARM; i < WARM + LOCKS; i++) {
        pthread_mutex_init(&m[i], NULL);
        pthread_mutex_lock(&m[i]);
        pthread_mutex_unlock(&m[i]);
    }
    long after = resident_kb();
    for (long i = 0; i < WARM + LOCKS; i++)
        pthread_mutex_destroy(&m[i]);
    free(m);
    if (before < 0 || after < 0) {
        fprintf(stderr, "case_lock_memory: cannot read VmRSS\n");
        return 2;
    }
    long per_lock = (after - before) * 1024 / LOCKS;
    if (per_lock > LIMIT) {
        fprintf(stderr, "case_lock_memory: resident memory grew from %ld kB to %ld kB over %d "
                "locks, %ld bytes each\n", before, after, LOCKS, per_lock);
        return 1;
    }
    return 0;
}
