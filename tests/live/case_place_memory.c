/* SPDX-License-Identifier: MIT */
/* What a few nested locks cost in the table free() reads (place_count,
 * counted by 128-byte grain). The program makes 1,000 mutexes in one
 * array (about 40 KiB), then takes each once under a table lock, and
 * fails if its resident memory grew by more than 320 KiB over those
 * first nestings. Each nesting counts its lock in its grain's bucket:
 * buckets hashed at random put 1,000 locks on every page of the table
 * (it grew by some 630 KiB here with 16,384 buckets of 32 bytes), where
 * grains next to each other get buckets next to each other and touch
 * the few pages their array spans (130 to 180 KiB, most of it the
 * nestings' records, the thread's chain cache and the stack captures'
 * first reads). Silent: one order. */
// EXIT: 0
// NOSTDERR: tangle:
// CHECK: reports# == 0
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "resident.h"

#define LOCKS 1000
#define LIMIT_KB 320

int main(void)
{
    static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t *m = calloc(LOCKS, sizeof *m);
    if (!m)
        return 2;
    for (long i = 0; i < LOCKS; i++)
        pthread_mutex_init(&m[i], NULL);
    /* The table lock nests once first: what a first nesting sets up
     * (the thread's chain cache, the first block of records) is not
     * counted against the grains. */
    pthread_mutex_lock(&table);
    pthread_mutex_lock(&m[0]);
    pthread_mutex_unlock(&m[0]);
    pthread_mutex_unlock(&table);
    long before = resident_kb();
    for (long i = 1; i < LOCKS; i++) {
        pthread_mutex_lock(&table);
        pthread_mutex_lock(&m[i]);
        pthread_mutex_unlock(&m[i]);
        pthread_mutex_unlock(&table);
    }
    long after = resident_kb();
    for (long i = 0; i < LOCKS; i++)
        pthread_mutex_destroy(&m[i]);
    free(m);
    return resident_check("case_place_memory", before, after, LIMIT_KB, "1,000 first nestings");
}
